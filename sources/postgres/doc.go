// Package postgres reads a PostgreSQL server's state for the Postgres pane and
// the snapshot: connections, long and blocked sessions, rates, sizes, the
// largest tables, extensions, replication and (optionally) pgbouncer's pools.
//
// A poll is one round trip: a single simple-protocol message holding a
// read-only transaction, a statement timeout and one query that answers with a
// JSON document. It works through pgbouncer in transaction pooling mode (no
// prepared statements, no session state).
package postgres
