package sources

import (
	"context"
	"time"
)

// Cache reads a Redis deployment's state (one server, a Sentinel-managed
// master or a Cluster). Implementations keep the previous poll's counters, so
// that rates come out of the second poll on.
type Cache interface {
	Poll(ctx context.Context) (CacheState, error)
}

// CacheState is one poll. For a Cluster the top-level figures are sums over
// the nodes (version and role describe the deployment); Nodes has each node.
// The JSON names are the snapshot's (see README "Snapshot").
type CacheState struct {
	At      time.Time `json:"-"`
	Mode    string    `json:"mode"` // single, sentinel or cluster
	Version string    `json:"version"`
	Role    string    `json:"role"` // master, replica, or cluster
	Uptime  float64   `json:"uptime_seconds"`

	ConnectedClients int   `json:"connected_clients"`
	BlockedClients   int   `json:"blocked_clients"`
	UsedMemory       int64 `json:"used_memory_bytes"`
	// MaxMemory is 0 when unlimited.
	MaxMemory       int64   `json:"maxmemory_bytes"`
	MaxMemoryPolicy string  `json:"maxmemory_policy,omitempty"`
	Fragmentation   float64 `json:"fragmentation_ratio"`
	OpsPerSec       float64 `json:"ops_per_sec"`
	// HitRatio is between polls when there were lookups, else since start; nil without lookups.
	HitRatio *float64 `json:"keyspace_hit_ratio,omitempty"`
	// EvictedPerSec and ExpiredPerSec are nil on the first poll.
	EvictedPerSec *float64 `json:"evicted_keys_per_sec,omitempty"`
	ExpiredPerSec *float64 `json:"expired_keys_per_sec,omitempty"`

	Keyspace    []CacheDB        `json:"keyspace"`
	Persistence CachePersistence `json:"persistence"`
	Replication CacheReplication `json:"replication"`
	SlowLog     []SlowEntry      `json:"slowlog,omitempty"`
	Ping        time.Duration    `json:"-"`
	PingMillis  float64          `json:"ping_ms"`

	Queues []Queue `json:"queues"`
	// Nodes is one line per Cluster node (empty otherwise).
	Nodes []CacheNode `json:"nodes,omitempty"`
	// Hidden says what the server refused to show (ACLs), one finding per line.
	Hidden []string `json:"hidden,omitempty"`
}

// CacheDB is one keyspace line of INFO.
type CacheDB struct {
	DB      int   `json:"db"`
	Keys    int64 `json:"keys"`
	Expires int64 `json:"expires"`
}

// CachePersistence is the last RDB and AOF outcome.
type CachePersistence struct {
	Loading        bool      `json:"loading"`
	RDBLastStatus  string    `json:"rdb_last_bgsave_status"`
	RDBLastSave    time.Time `json:"rdb_last_save_time"`
	RDBChanges     int64     `json:"rdb_changes_since_last_save"`
	AOFEnabled     bool      `json:"aof_enabled"`
	AOFLastWrite   string    `json:"aof_last_write_status,omitempty"`
	AOFLastRewrite string    `json:"aof_last_bgrewrite_status,omitempty"`
}

// OK reports whether the last save and AOF write succeeded.
func (p CachePersistence) OK() bool {
	return p.RDBLastStatus != "err" && p.AOFLastWrite != "err" && p.AOFLastRewrite != "err"
}

// CacheReplication is INFO replication in short.
type CacheReplication struct {
	// ConnectedReplicas on a master.
	ConnectedReplicas int `json:"connected_replicas"`
	// Master, LinkStatus and LastIO are set on a replica.
	Master     string  `json:"master,omitempty"`
	LinkStatus string  `json:"link_status,omitempty"` // up or down
	LastIO     float64 `json:"last_io_seconds,omitempty"`
}

// SlowEntry is one SLOWLOG entry.
type SlowEntry struct {
	ID       int64         `json:"id"`
	At       time.Time     `json:"time"`
	Duration time.Duration `json:"-"`
	Micros   int64         `json:"duration_us"`
	Command  string        `json:"command"`
	Client   string        `json:"client,omitempty"`
	Node     string        `json:"node,omitempty"`
}

// Queue is a Celery queue: the length of its list key.
type Queue struct {
	Name   string `json:"name"`
	Length int64  `json:"length"`
	// Growth is the change over GrowthOver (nil until two polls apart).
	Growth     *int64        `json:"growth,omitempty"`
	GrowthOver time.Duration `json:"-"`
	Error      string        `json:"error,omitempty"`
}

// CacheNode is one Cluster node in short.
type CacheNode struct {
	Addr             string  `json:"addr"`
	Role             string  `json:"role"`
	Slots            string  `json:"-"`
	ConnectedClients int     `json:"connected_clients"`
	UsedMemory       int64   `json:"used_memory_bytes"`
	MaxMemory        int64   `json:"maxmemory_bytes"`
	OpsPerSec        float64 `json:"ops_per_sec"`
	Keys             int64   `json:"keys"`
	LinkStatus       string  `json:"link_status,omitempty"`
	PingMillis       float64 `json:"ping_ms"`
	Error            string  `json:"error,omitempty"`
}

// CacheModeCluster is CacheState.Mode for a Redis Cluster.
const CacheModeCluster = "cluster"
