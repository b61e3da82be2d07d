package sources

import "time"

// TableActivity is what a migration would meet on its tables right now:
// who holds or waits for locks on them, which transactions have been open
// long, and the tables' cumulative scan and write counters (two reads give
// the traffic that would queue behind a lock).
type TableActivity struct {
	At time.Time
	// Major is the server's major version (15 for 15.4).
	Major int
	// Locks are other sessions' locks on the tables, granted or awaited.
	Locks []TableLock
	// Old are transactions open longer than asked, in the watched database.
	Old []DBSession
	// Counters are per table (schema-qualified as the catalogue prints it).
	Counters map[string]TableCounters
}

// TableLock is one session's lock on one of the tables.
type TableLock struct {
	Session DBSession
	Table   string // as the migration names it
	Mode    string // pg_locks' mode name
	Granted bool
}

// TableCounters are pg_stat_user_tables' cumulative counters of a table.
type TableCounters struct {
	Scans  int64 `json:"scans"`  // sequential and index scans
	Writes int64 `json:"writes"` // rows inserted, updated and deleted
}
