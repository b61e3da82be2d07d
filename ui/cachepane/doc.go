// Package cachepane is the Redis pane: is Redis full, or is the Celery queue
// backing up? Queue lengths with threshold colours come first, then memory
// against maxmemory, clients, ops/s, hit ratio, evictions, the keyspace,
// persistence, replication, the slowest commands and, in a Cluster, one line
// per node.
package cachepane
