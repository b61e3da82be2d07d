// Package redis reads a Redis deployment's state for the Redis pane and the
// snapshot, through go-redis's UniversalClient: one server, a Sentinel-managed
// master, or a Cluster (one summary line per node).
//
// A poll costs each node two round trips: a pipeline of INFO, SLOWLOG GET and
// the LLEN of every Celery queue the node holds, then a timed PING. Counts
// come from INFO alone: never KEYS, never a SCAN.
package redis
