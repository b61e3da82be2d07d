package redis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/internal/sandbox/faults"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
	"github.com/opsdeck/opsdeck/sources"
)

type countingDial struct {
	writes atomic.Int64
	mu     sync.Mutex
	byAddr map[string]int
	last   map[string]string
}

type countedConn struct {
	net.Conn
	d    *countingDial
	addr string
}

func (c countedConn) Write(b []byte) (int, error) {
	if strings.HasPrefix(string(b), "*2\r\n$7\r\ncluster\r\n$5\r\nslots") {
		// go-redis's own slot-map refresh (at most every 10 s), not the poll's.
		return c.Conn.Write(b)
	}
	c.d.writes.Add(1)
	c.d.mu.Lock()
	if c.d.byAddr == nil {
		c.d.byAddr, c.d.last = map[string]int{}, map[string]string{}
	}
	c.d.byAddr[c.addr]++
	if l := c.d.last[c.addr]; len(l) < 400 { // what went out, for the failure message
		c.d.last[c.addr] = l + strings.ReplaceAll(string(b[:min(len(b), 60)]), "\r\n", " ") + " | "
	}
	c.d.mu.Unlock()
	return c.Conn.Write(b)
}

func (d *countingDial) reset() {
	d.writes.Store(0)
	d.mu.Lock()
	d.byAddr, d.last = map[string]int{}, map[string]string{}
	d.mu.Unlock()
}

func (d *countingDial) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return countedConn{c, d, addr}, nil
}

func newClient(t *testing.T, o Options) *Client {
	t.Helper()
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func poll(t *testing.T, c *Client) sources.CacheState {
	t.Helper()
	st, err := c.Poll(context.Background())
	if err != nil {
		t.Fatalf("poll: %v", err)
	}
	return st
}

// info reads one INFO field straight from the server.
func info(t *testing.T, r *goredis.Client, field string) string {
	t.Helper()
	s, err := r.Info(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	return parseInfo(s)[field]
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestPollAgreesWithServer seeds keys in two databases, Celery queues and
// slow commands, then checks each figure against INFO, DBSIZE and LLEN.
func TestPollAgreesWithServer(t *testing.T) {
	t.Parallel()
	srv := sandboxtest.NewRedis(t, servers.RedisOptions{})
	ctx := context.Background()
	direct := func(db int) *goredis.Client {
		c := goredis.NewClient(&goredis.Options{Addr: srv.Addr(), Password: srv.Password, DB: db, Protocol: 2})
		t.Cleanup(func() { c.Close() })
		return c
	}
	db0, db2 := direct(0), direct(2)
	must(t, db0.ConfigSet(ctx, "slowlog-log-slower-than", "0").Err())
	for i := 0; i < 100; i++ {
		ttl := time.Duration(0)
		if i < 20 {
			ttl = time.Hour
		}
		must(t, db0.Set(ctx, "key:"+strconv.Itoa(i), i, ttl).Err())
	}
	for i := 0; i < 10; i++ {
		must(t, db2.Set(ctx, "other:"+strconv.Itoa(i), i, 0).Err())
	}
	for i := 0; i < 37; i++ {
		must(t, db0.RPush(ctx, "celery", fmt.Sprintf(`{"task": %d}`, i)).Err())
	}
	must(t, db0.Set(ctx, "notalist", "x", 0).Err())

	dial := &countingDial{}
	c := newClient(t, Options{URL: srv.URL(0), Queues: []string{"celery", "emails", "notalist"}, Dial: dial.dial})
	st := poll(t, c)

	if st.Version != info(t, db0, "redis_version") || st.Role != "master" || st.Mode != Single {
		t.Errorf("version %q role %q mode %q", st.Version, st.Role, st.Mode)
	}
	for _, want := range []struct {
		db      int
		c       *goredis.Client
		expires int64
	}{{0, db0, 20}, {2, db2, 0}} {
		n, err := want.c.DBSize(ctx).Result()
		must(t, err)
		var got *sources.CacheDB
		for i := range st.Keyspace {
			if st.Keyspace[i].DB == want.db {
				got = &st.Keyspace[i]
			}
		}
		if got == nil || got.Keys != n || got.Expires != want.expires {
			t.Errorf("db%d: %+v, DBSIZE %d, want %d expiring", want.db, got, n, want.expires)
		}
	}
	celery, err := db0.LLen(ctx, "celery").Result()
	must(t, err)
	if q := st.Queues[0]; q.Name != "celery" || q.Length != celery || q.Error != "" {
		t.Errorf("celery queue = %+v, LLEN %d", q, celery)
	}
	if q := st.Queues[1]; q.Name != "emails" || q.Length != 0 || q.Error != "" {
		t.Errorf("missing queue = %+v, want length 0", q)
	}
	if q := st.Queues[2]; !strings.Contains(q.Error, "WRONGTYPE") {
		t.Errorf("a string key as a queue = %+v, want WRONGTYPE", q)
	}
	clients, _ := strconv.Atoi(info(t, db0, "connected_clients"))
	if d := st.ConnectedClients - clients; d < -2 || d > 2 {
		t.Errorf("connected clients %d, INFO says %d", st.ConnectedClients, clients)
	}
	used, _ := strconv.ParseInt(info(t, db0, "used_memory"), 10, 64)
	if d := st.UsedMemory - used; d < -used/5 || d > used/5 { // client buffers come and go
		t.Errorf("used memory %d, INFO says %d", st.UsedMemory, used)
	}
	if len(st.SlowLog) == 0 || len(st.SlowLog) > slowEntries || st.SlowLog[0].Command == "" {
		t.Errorf("slowlog = %+v", st.SlowLog)
	}
	for i := 1; i < len(st.SlowLog); i++ {
		if st.SlowLog[i].Duration > st.SlowLog[i-1].Duration {
			t.Errorf("slowlog not slowest first: %+v", st.SlowLog)
		}
	}
	if st.Ping <= 0 || st.Persistence.RDBLastStatus != "ok" || !st.Persistence.OK() {
		t.Errorf("ping %v persistence %+v", st.Ping, st.Persistence)
	}
	if st.EvictedPerSec != nil || st.Queues[0].Growth != nil {
		t.Errorf("first poll has rates: %v %v", st.EvictedPerSec, st.Queues[0].Growth)
	}

	// Between two polls: 30 hits, 10 misses, 5 keys expired, 3 more tasks.
	for i := 0; i < 30; i++ {
		must(t, db0.Get(ctx, "key:50").Err())
	}
	for i := 0; i < 10; i++ {
		if err := db0.Get(ctx, "absent").Err(); err != goredis.Nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 5; i++ {
		must(t, db0.Set(ctx, "short:"+strconv.Itoa(i), 1, time.Millisecond).Err())
	}
	time.Sleep(20 * time.Millisecond) // time let pass on purpose: the keys' 1 ms to live
	for i := 0; i < 5; i++ {
		_ = db0.Get(ctx, "short:"+strconv.Itoa(i)).Err() // expires them on access
	}
	for i := 0; i < 3; i++ {
		must(t, db0.RPush(ctx, "celery", "more").Err())
	}
	dial.writes.Store(0)
	st = poll(t, c)
	if n := dial.writes.Load(); n > 2 {
		t.Errorf("a poll took %d round trips, want at most 2", n)
	}
	if st.HitRatio == nil || *st.HitRatio < 0.65 || *st.HitRatio > 0.8 {
		t.Errorf("hit ratio between polls = %v, want about 0.75", deref(st.HitRatio))
	}
	if st.ExpiredPerSec == nil || *st.ExpiredPerSec <= 0 || st.EvictedPerSec == nil || *st.EvictedPerSec != 0 {
		t.Errorf("expired/s %v evicted/s %v", deref(st.ExpiredPerSec), deref(st.EvictedPerSec))
	}
	if g := st.Queues[0].Growth; g == nil || *g != 3 || st.Queues[0].Length != celery+3 {
		t.Errorf("celery growth = %v, length %d", g, st.Queues[0].Length)
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestAuthenticationFailureIsInWords(t *testing.T) {
	t.Parallel()
	srv := sandboxtest.NewRedis(t, servers.RedisOptions{})
	url := strings.Replace(srv.URL(0), srv.Password, "wr0ng-s3cret", 1)
	_, err := newClient(t, Options{URL: url}).Poll(context.Background())
	want := "authentication failed for user default at " + srv.Addr() + "/0"
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %q", err, want)
	}
	_, err = newClient(t, Options{URL: "redis://" + srv.Addr() + "/0"}).Poll(context.Background())
	if err == nil || !strings.Contains(err.Error(), "requires a password") {
		t.Fatalf("no password: %v", err)
	}
}

func TestServerDown(t *testing.T) {
	t.Parallel()
	port := sandboxtest.DeadPort(t)
	_, err := newClient(t, Options{URL: "redis://:s3cret@127.0.0.1:" + strconv.Itoa(port) + "/0"}).Poll(context.Background())
	if err == nil || !strings.Contains(err.Error(), "connection refused by 127.0.0.1:"+strconv.Itoa(port)) || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("error = %v", err)
	}
}

// TestCluster: a real three-master cluster; one line per node, keys summed
// over masters, the queue read on the master that owns its slot.
func TestCluster(t *testing.T) {
	t.Parallel()
	cl := sandboxtest.NewRedisCluster(t, 3)
	ctx := context.Background()
	direct := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: cl.Addrs(), Password: cl.Password, Protocol: 2})
	t.Cleanup(func() { direct.Close() })
	for i := 0; i < 300; i++ {
		must(t, direct.Set(ctx, "k"+strconv.Itoa(i), i, 0).Err())
	}
	for i := 0; i < 5; i++ {
		must(t, direct.RPush(ctx, "celery", i).Err())
	}
	url := fmt.Sprintf("redis://:%s@%s/0", cl.Password, cl.Nodes[0].Addr())
	dial := &countingDial{}
	c := newClient(t, Options{URL: url, Mode: Cluster, Addrs: cl.Addrs()[1:], Queues: []string{"celery"}, Dial: dial.dial})
	st := poll(t, c)
	if len(st.Nodes) != 3 || st.Role != "cluster" || st.Mode != Cluster {
		t.Fatalf("nodes %+v role %q", st.Nodes, st.Role)
	}
	var total int64
	for _, n := range st.Nodes {
		node := goredis.NewClient(&goredis.Options{Addr: n.Addr, Password: cl.Password, Protocol: 2})
		size, err := node.DBSize(ctx).Result()
		node.Close()
		must(t, err)
		if n.Keys != size || n.Role != "master" || n.Error != "" {
			t.Errorf("node %s: %+v, DBSIZE %d", n.Addr, n, size)
		}
		total += size
	}
	if total != 301 || len(st.Keyspace) != 1 || st.Keyspace[0].Keys != total {
		t.Errorf("keyspace %+v, nodes hold %d keys (want 301)", st.Keyspace, total)
	}
	if st.Queues[0].Length != 5 || st.Queues[0].Error != "" {
		t.Errorf("queue = %+v", st.Queues[0])
	}
	dial.reset()
	poll(t, c)
	for addr, n := range dial.byAddr {
		if n > 2 {
			t.Errorf("a cluster poll took %d round trips to %s, want at most 2: %s", n, addr, dial.last[addr])
		}
	}
}

// TestSentinel: the master is found through a real Sentinel.
func TestSentinel(t *testing.T) {
	t.Parallel()
	master := sandboxtest.NewRedis(t, servers.RedisOptions{})
	sentinel := sandboxtest.NewSentinel(t, master, "origin", "s3ntinel-pw")
	must(t, master.Do(context.Background(), 0, []string{"RPUSH", "celery", "a", "b"}))
	c := newClient(t, Options{URL: fmt.Sprintf("redis://:%s@%s/0", master.Password, sentinel.Addr()), Mode: Sentinel,
		MasterName: "origin", SentinelPassword: "s3ntinel-pw", Queues: []string{"celery"}})
	st := poll(t, c)
	if st.Role != "master" || st.Queues[0].Length != 2 || st.Version == "" {
		t.Fatalf("through sentinel: role %q queue %+v version %q", st.Role, st.Queues[0], st.Version)
	}
	// Without the sentinel's password: said in words, no password shown.
	_, err := newClient(t, Options{URL: fmt.Sprintf("redis://:%s@%s/0", master.Password, sentinel.Addr()), Mode: Sentinel,
		MasterName: "origin", Scrubber: redact.NewScrubber(master.Password, "s3ntinel-pw")}).Poll(context.Background())
	if err == nil || !strings.Contains(err.Error(), "the sentinels refused the password (master origin via sentinel "+sentinel.Addr()+"): set redis.sentinel_password") {
		t.Fatalf("sentinel without its password: %v", err)
	}
}

// TestRecoversWhenTheServerReturns: see the Postgres test of the same name.
func TestRecoversWhenTheServerReturns(t *testing.T) {
	t.Parallel()
	srv := sandboxtest.NewRedis(t, servers.RedisOptions{})
	proxy := faults.NewProxy(t, srv.Addr())
	c := newClient(t, Options{URL: strings.Replace(srv.URL(0), srv.Addr(), proxy.Addr(), 1), Timeout: 2 * time.Second})
	poll(t, c)
	proxy.Down()
	for i := 0; i < 2; i++ {
		_, err := c.Poll(context.Background())
		if err == nil || !(strings.Contains(err.Error(), "closed the connection") || strings.Contains(err.Error(), "connection refused by "+proxy.Addr()+"/0")) {
			t.Fatalf("poll %d with the server gone: %v", i, err)
		}
	}
	must(t, proxy.Up())
	// go-redis redials a pool that failed in the background, once a second:
	// a later poll succeeds without a new client.
	wait.Eventually(t, "a state once the server returned", func() error {
		st, err := c.Poll(context.Background())
		if err == nil && st.Version == "" {
			err = errors.New("a state without the server's version")
		}
		return err
	})
}

// TestReplicaLinkAndEvictions: a real replica reports its link to the master;
// a master over maxmemory evicts, and the rate between polls says so.
func TestReplicaLinkAndEvictions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	master := sandboxtest.NewRedis(t, servers.RedisOptions{})
	replica := sandboxtest.NewRedis(t, servers.RedisOptions{Password: master.Password,
		Config: fmt.Sprintf("replicaof 127.0.0.1 %d\nmasterauth %s\n", master.Port, master.Password)})
	rc := newClient(t, Options{URL: replica.URL(0)})
	var st sources.CacheState
	_ = wait.For(t, func() error {
		if st = poll(t, rc); st.Replication.LinkStatus != "up" {
			return errors.New("link down")
		}
		return nil
	})
	if st.Role != "replica" || st.Replication.LinkStatus != "up" || st.Replication.Master != master.Addr() {
		t.Fatalf("replica: role %q replication %+v", st.Role, st.Replication)
	}
	mc := newClient(t, Options{URL: master.URL(0)})
	if st := poll(t, mc); st.Replication.ConnectedReplicas != 1 {
		t.Errorf("master sees %d replicas", st.Replication.ConnectedReplicas)
	}

	must(t, master.Do(ctx, 0, []string{"CONFIG", "SET", "maxmemory", "3mb"}, []string{"CONFIG", "SET", "maxmemory-policy", "allkeys-lru"}))
	poll(t, mc)
	big := strings.Repeat("x", 10_000)
	var cmds [][]string
	for i := 0; i < 800; i++ { // 8 MB into 3 MB
		cmds = append(cmds, []string{"SET", "big:" + strconv.Itoa(i), big})
	}
	must(t, master.Do(ctx, 0, cmds...))
	st = poll(t, mc)
	if st.EvictedPerSec == nil || *st.EvictedPerSec <= 0 || st.MaxMemory != 3<<20 || st.MaxMemoryPolicy != "allkeys-lru" {
		t.Errorf("evicted/s %v maxmemory %d policy %q", deref(st.EvictedPerSec), st.MaxMemory, st.MaxMemoryPolicy)
	}
}
