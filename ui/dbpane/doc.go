// Package dbpane is the Postgres pane: is the database choking? Connections
// against the limit, idle transactions, blocked sessions, the longest query
// and transaction, rates, sizes, replication and pgbouncer's pools, what is
// wrong first. Zoomed, it lists every session with a filter and a sort,
// pg_activity style.
package dbpane
