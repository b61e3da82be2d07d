// Package cachepane is the Redis pane: is Redis full, or is the Celery queue
// backing up? Queue lengths with threshold colours, memory against
// maxmemory, clients, ops/s, hit ratio, evictions, the keyspace,
// persistence, replication, the slowest commands and, in a Cluster, one line
// per node; what is wrong first, each figure before its label.
package cachepane
