package sources

import (
	"context"
	"time"
)

// Database reads a PostgreSQL server's state. Implementations keep the
// previous poll's counters, so that rates come out of the second poll on.
type Database interface {
	Poll(ctx context.Context, req DBRequest) (DBState, error)
}

// DBRequest says what a poll should include beyond the summary.
type DBRequest struct {
	// Sessions asks for every client session (the drill-down is open).
	Sessions bool
	// Statements asks for pg_stat_statements (its view is open).
	Statements bool
}

// DBState is one poll of a PostgreSQL server. The JSON names are the
// snapshot's (see README "Snapshot").
type DBState struct {
	At         time.Time `json:"-"`
	Version    string    `json:"version"`
	StartedAt  time.Time `json:"started_at"`
	Role       string    `json:"role"` // "primary" or "replica"
	Database   string    `json:"database"`
	User       string    `json:"user"`
	Privileged bool      `json:"sees_all_sessions"` // superuser or pg_read_all_stats
	// Hidden says what the role cannot see, in words, one finding per line.
	Hidden []string `json:"hidden,omitempty"`

	Connections DBConnections `json:"connections"`
	// LongestQuery and LongestTransaction are nil when nothing runs.
	LongestQuery       *DBSession  `json:"longest_query,omitempty"`
	LongestTransaction *DBSession  `json:"longest_transaction,omitempty"`
	Blocked            []DBSession `json:"blocked,omitempty"`
	// Blockers are the sessions the blocked wait for that wait for
	// nothing themselves: the lock tree's roots.
	Blockers []DBSession `json:"blockers,omitempty"`

	Counters DBCounters `json:"-"`
	// Rates are between this poll and the previous one; nil on the first.
	Rates *DBRates `json:"rates,omitempty"`
	// CacheHitRatio is blks_hit over all block reads since the statistics were
	// reset (Rates has the ratio between polls).
	CacheHitRatio *float64 `json:"cache_hit_ratio,omitempty"`

	DatabaseSize int64         `json:"database_size_bytes"`
	Tables       []DBTable     `json:"tables"`
	Extensions   []DBExtension `json:"extensions"`
	// MissingExtensions are required by the configuration but not installed.
	MissingExtensions []string      `json:"missing_extensions,omitempty"`
	Replication       DBReplication `json:"replication"`

	// Sessions is filled when DBRequest.Sessions is set.
	Sessions []DBSession `json:"-"`

	// Statements is filled when DBRequest.Statements is set.
	Statements *DBStatements `json:"-"`

	// Pgbouncer is nil when no admin URL is configured.
	Pgbouncer *Pgbouncer `json:"pgbouncer,omitempty"`
}

// DBConnections counts client sessions by state.
type DBConnections struct {
	Total             int `json:"total"`
	Active            int `json:"active"`
	Idle              int `json:"idle"`
	IdleInTransaction int `json:"idle_in_transaction"`
	// Aborted is "idle in transaction (aborted)".
	Aborted int `json:"idle_in_transaction_aborted"`
	// Hidden sessions belong to other roles and show no state without pg_read_all_stats.
	Hidden  int `json:"hidden"`
	Waiting int `json:"waiting_on_lock"`
	Max     int `json:"max"`
	// Reserved are superuser_reserved_connections: ordinary roles get Max-Reserved.
	Reserved int `json:"reserved"`
}

// DBSession is one client backend.
type DBSession struct {
	PID         int     `json:"pid"`
	User        string  `json:"user"`
	Database    string  `json:"database,omitempty"`
	Application string  `json:"application,omitempty"`
	Client      string  `json:"client,omitempty"`
	State       string  `json:"state"`
	WaitEvent   string  `json:"wait_event,omitempty"`
	BackendAge  float64 `json:"-"`
	QueryAge    float64 `json:"query_seconds"`
	XactAge     float64 `json:"transaction_seconds"`
	StateAge    float64 `json:"-"`
	Query       string  `json:"query"`
	BlockedBy   []int   `json:"blocked_by,omitempty"`
	// Lock is the lock a blocked session waits for.
	Lock       *DBLock   `json:"lock,omitempty"`
	QueryStart time.Time `json:"-"`
}

// DBLock is a lock a session waits for: its mode (AccessExclusiveLock…),
// the relation when it is on one, and the lock's type (relation,
// transactionid, advisory…).
type DBLock struct {
	Mode     string `json:"mode"`
	Relation string `json:"relation,omitempty"`
	Type     string `json:"type"`
}

// DBCounters are pg_stat_database's cumulative counters for this database.
type DBCounters struct {
	Commits, Rollbacks, BlocksHit, BlocksRead, Deadlocks, TempBytes int64
	Reset                                                           time.Time // stats_reset
}

// DBRates are per-second rates between two polls.
type DBRates struct {
	TPS           float64  `json:"transactions_per_sec"`
	CacheHitRatio *float64 `json:"cache_hit_ratio,omitempty"` // nil when nothing was read
	Deadlocks     float64  `json:"deadlocks_per_sec"`
	TempBytes     float64  `json:"temp_bytes_per_sec"`
	Seconds       float64  `json:"interval_seconds"`
}

// DBTable is one of the largest tables; figures are the catalogue's estimates
// (as of the last VACUUM or ANALYZE), read without touching the table.
type DBTable struct {
	Name           string     `json:"name"` // schema.table
	RowsEstimate   int64      `json:"rows_estimate"`
	SizeBytes      int64      `json:"size_bytes"`
	DeadTuples     int64      `json:"dead_tuples"`
	LastAutovacuum *time.Time `json:"last_autovacuum,omitempty"`
}

// DBExtension is an installed extension.
type DBExtension struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// DBReplication is what the server knows about replication: its replicas on
// a primary, its upstream on a replica.
type DBReplication struct {
	Replicas []DBReplica `json:"replicas,omitempty"`
	// Upstream is set on a replica.
	Upstream *DBUpstream `json:"upstream,omitempty"`
}

// DBReplica is one row of pg_stat_replication.
type DBReplica struct {
	Name      string   `json:"name"`
	Client    string   `json:"client"`
	State     string   `json:"state"`
	SyncState string   `json:"sync_state"`
	LagBytes  *int64   `json:"lag_bytes,omitempty"`
	ReplayLag *float64 `json:"replay_lag_seconds,omitempty"`
}

// DBUpstream is a replica's view of its primary.
type DBUpstream struct {
	Status string `json:"status"` // WAL receiver status, "" when none runs
	Sender string `json:"sender,omitempty"`
	// LagBytes is WAL received but not yet replayed.
	LagBytes *int64 `json:"lag_bytes,omitempty"`
	// ReplayLag is the age of the last replayed transaction, 0 when caught up.
	ReplayLag *float64 `json:"replay_lag_seconds,omitempty"`
}

// Pgbouncer is the admin console's view.
type Pgbouncer struct {
	Error string          `json:"error,omitempty"`
	Pools []PgbouncerPool `json:"pools,omitempty"`
}

// PgbouncerPool is one row of SHOW POOLS joined with SHOW STATS.
type PgbouncerPool struct {
	Database      string  `json:"database"`
	User          string  `json:"user"`
	Mode          string  `json:"pool_mode"`
	ClientsActive int     `json:"clients_active"`
	ClientsWait   int     `json:"clients_waiting"`
	ServersActive int     `json:"servers_active"`
	ServersIdle   int     `json:"servers_idle"`
	MaxWait       float64 `json:"max_wait_seconds"`
	AvgQuery      float64 `json:"avg_query_seconds"`
}
