package redis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/internal/safetext"
	"github.com/opsdeck/opsdeck/sources"
)

// Modes, as in the configuration.
const (
	Single   = "single"
	Sentinel = "sentinel"
	Cluster  = "cluster"
)

// Options configure a Client.
type Options struct {
	URL string
	// Mode is Single (default), Sentinel or Cluster.
	Mode string
	// Addrs are more cluster seeds, or the sentinels.
	Addrs      []string
	MasterName string
	// SentinelPassword is the sentinels' requirepass ("" for none).
	SentinelPassword string
	Queues           []string
	// Timeout bounds a whole poll (default 5s).
	Timeout  time.Duration
	Scrubber *redact.Scrubber
	// Dial replaces the network dialer (tests count round trips with it).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// queueHistory is how far back queue growth is measured: Origin's backlog
// alert looks at 10 minutes.
const queueHistory = 10 * time.Minute

// slowEntries is how many SLOWLOG entries each node is asked for.
const slowEntries = 5

// Client polls one deployment; safe for concurrent use.
type Client struct {
	opts   Options
	client goredis.UniversalClient
	target string
	user   string
	db     int
	tls    bool // rediss://: a plain server answers the handshake with silence

	mu     sync.Mutex
	prev   map[string]counters // by node address
	prevAt time.Time
	growth sources.QueueGrowth
}

type counters struct{ hits, misses, evicted, expired int64 }

// New parses the options; it does no I/O.
func New(o Options) (*Client, error) {
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.Mode == "" {
		o.Mode = Single
	}
	if o.Scrubber == nil {
		o.Scrubber = redact.NewScrubber(redact.SecretsOf(o.URL)...)
	}
	// go-redis logs dial failures to stderr, under the console's frame; the
	// pane shows them instead. Its logger is process-wide: setting it again
	// is harmless.
	goredis.SetLogger(discard{})
	uo := &goredis.UniversalOptions{
		ClientName: "opsdeck",
		// RESP2 and no CLIENT SETINFO: nothing extra on connect, any server version.
		Protocol: 2, DisableIdentity: true,
		// A failed poll is retried by the next one, not inside it.
		MaxRetries: -1, PoolSize: 2, MinIdleConns: 0, MaxIdleConns: 2, ConnMaxIdleTime: 5 * time.Minute,
		DialTimeout: o.Timeout, ReadTimeout: o.Timeout, WriteTimeout: o.Timeout, ContextTimeoutEnabled: true,
		Dialer: o.Dial, DialerRetries: 1,
		// One connection per node, with small buffers: the default dedicated
		// pipeline pool would open a second one with 256 KiB of buffers.
		PipelinePoolSize: -1, ReadBufferSize: 16 << 10, WriteBufferSize: 4 << 10,
	}
	var seeds []string
	c := &Client{opts: o, prev: map[string]counters{}, growth: sources.QueueGrowth{Span: queueHistory}}
	if o.URL != "" {
		po, err := goredis.ParseURL(o.URL)
		if err != nil {
			return nil, fmt.Errorf("redis url %s: %s", redact.URL(o.URL), o.Scrubber.String(err.Error()))
		}
		seeds = append(seeds, po.Addr)
		uo.Username, uo.Password, uo.DB, uo.TLSConfig = po.Username, po.Password, po.DB, po.TLSConfig
		c.tls = po.TLSConfig != nil
		if po.Network == "unix" {
			uo.Dialer = unixDialer(po.Addr, o.Dial)
		}
		c.user, c.db = po.Username, po.DB
	}
	switch o.Mode {
	case Sentinel:
		if o.MasterName == "" {
			return nil, errors.New("redis mode sentinel needs master_name")
		}
		uo.Addrs, uo.MasterName, uo.SentinelPassword = o.Addrs, o.MasterName, o.SentinelPassword
		if len(uo.Addrs) == 0 {
			uo.Addrs = seeds
		}
		c.target = fmt.Sprintf("master %s via sentinel %s", o.MasterName, strings.Join(uo.Addrs, ","))
	case Cluster:
		uo.Addrs, uo.IsClusterMode = append(seeds, o.Addrs...), true
		c.target = "cluster " + strings.Join(uo.Addrs, ",")
	default:
		uo.Addrs = seeds
		c.target = fmt.Sprintf("%s/%d", strings.Join(seeds, ","), c.db)
	}
	if len(uo.Addrs) == 0 {
		return nil, errors.New("redis: no address (set redis.url or redis.addrs)")
	}
	c.client = goredis.NewUniversalClient(uo)
	return c, nil
}

type discard struct{}

func (discard) Printf(context.Context, string, ...any) {}

func unixDialer(path string, dial func(context.Context, string, string) (net.Conn, error)) func(context.Context, string, string) (net.Conn, error) {
	return func(ctx context.Context, _, _ string) (net.Conn, error) {
		if dial != nil {
			return dial(ctx, "unix", path)
		}
		return (&net.Dialer{}).DialContext(ctx, "unix", path)
	}
}

// Target describes where the client points, for display.
func (c *Client) Target() string { return c.target }

// Close releases the connections.
func (c *Client) Close() { _ = c.client.Close() }

// nodeResult is one node's answer.
type nodeResult struct {
	addr   string
	info   map[string]string
	slow   []goredis.SlowLog
	queues map[string]queueLen
	ping   time.Duration
	hidden []string
	err    error
}

type queueLen struct {
	n   int64
	err error
}

// Poll reads the deployment. Errors are in words and scrubbed.
func (c *Client) Poll(ctx context.Context) (sources.CacheState, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	var nodes []nodeResult
	switch cl := c.client.(type) {
	case *goredis.ClusterClient:
		// Each queue is read on the master that holds its slot (the client's
		// cached slot map: no extra round trip).
		owner := map[string][]string{}
		for _, q := range c.opts.Queues {
			if m, err := cl.MasterForKey(ctx, q); err == nil {
				addr := m.Options().Addr
				owner[addr] = append(owner[addr], q)
			}
		}
		var mu sync.Mutex
		err := cl.ForEachShard(ctx, func(ctx context.Context, node *goredis.Client) error {
			addr := node.Options().Addr
			r := pollNode(ctx, node, addr, owner[addr])
			mu.Lock()
			nodes = append(nodes, r)
			mu.Unlock()
			return nil
		})
		if err != nil {
			return sources.CacheState{}, c.describe(ctx, err)
		}
		sort.Slice(nodes, func(i, j int) bool { return nodes[i].addr < nodes[j].addr })
	default:
		r := pollNode(ctx, c.client, c.target, c.opts.Queues)
		if r.err != nil {
			return sources.CacheState{}, c.describe(ctx, r.err)
		}
		nodes = append(nodes, r)
	}
	st := c.assemble(nodes)
	if len(st.Nodes) > 0 && allFailed(st.Nodes) {
		return sources.CacheState{}, errors.New(c.opts.Scrubber.String("every cluster node failed: " + st.Nodes[0].Error))
	}
	return st, nil
}

func allFailed(nodes []sources.CacheNode) bool {
	for _, n := range nodes {
		if n.Error == "" {
			return false
		}
	}
	return true
}

// pollNode is a node's two round trips.
func pollNode(ctx context.Context, node goredis.Cmdable, addr string, queues []string) nodeResult {
	r := nodeResult{addr: addr, queues: map[string]queueLen{}}
	var (
		info *goredis.StringCmd
		slow *goredis.SlowLogCmd
		lens = map[string]*goredis.IntCmd{}
	)
	_, err := node.Pipelined(ctx, func(p goredis.Pipeliner) error {
		info = p.Info(ctx)
		slow = p.SlowLogGet(ctx, slowEntries)
		for _, q := range queues {
			lens[q] = p.LLen(ctx, q)
		}
		return nil
	})
	if info.Err() != nil {
		r.err = info.Err()
		return r
	}
	if info.Val() == "" && err != nil {
		r.err = err // the connection failed before INFO was asked (a refused password)
		return r
	}
	r.info = parseInfo(info.Val())
	if r.info["redis_version"] == "" {
		// Zeros read from garbage would say "reachable, empty": say what it is.
		r.err = errNotRedis
		return r
	}
	if err := slow.Err(); err != nil {
		r.hidden = append(r.hidden, "SLOWLOG refused: "+firstLine(err.Error()))
	} else {
		r.slow = slow.Val()
	}
	for q, cmd := range lens {
		r.queues[q] = queueLen{n: cmd.Val(), err: cmd.Err()}
	}
	start := time.Now()
	if err := node.Ping(ctx).Err(); err != nil {
		r.err = err
		return r
	}
	r.ping = time.Since(start)
	return r
}

// assemble turns node answers into a state, with rates against the last poll.
func (c *Client) assemble(nodes []nodeResult) sources.CacheState {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	dt := now.Sub(c.prevAt).Seconds()
	first := c.prevAt.IsZero()
	st := sources.CacheState{At: now, Mode: c.opts.Mode}
	var hits, misses, dHits, dMisses, dEvicted, dExpired int64
	rated := !first
	keyspace := map[int]*sources.CacheDB{}
	cur := map[string]counters{}
	ok := 0
	for _, n := range nodes {
		if n.err != nil {
			st.Nodes = append(st.Nodes, sources.CacheNode{Addr: n.addr, Error: c.opts.Scrubber.String(c.describeErr(n.err, n.addr))})
			rated = false
			continue
		}
		ok++
		in := n.info
		cn := counters{hits: i64(in["keyspace_hits"]), misses: i64(in["keyspace_misses"]), evicted: i64(in["evicted_keys"]), expired: i64(in["expired_keys"])}
		cur[n.addr] = cn
		hits += cn.hits
		misses += cn.misses
		if p, seen := c.prev[n.addr]; seen && cn.hits >= p.hits && cn.evicted >= p.evicted {
			dHits += cn.hits - p.hits
			dMisses += cn.misses - p.misses
			dEvicted += cn.evicted - p.evicted
			dExpired += cn.expired - p.expired
		} else {
			rated = false // a restart or a new node: no honest rate this time
		}
		role := in["role"]
		if role == "slave" {
			role = "replica"
		}
		if ok == 1 {
			st.Version, st.Role, st.Uptime = in["redis_version"], role, f64(in["uptime_in_seconds"])
			st.MaxMemoryPolicy = in["maxmemory_policy"]
			st.Fragmentation = f64(in["mem_fragmentation_ratio"])
			st.Persistence = persistence(in)
			st.Replication = replication(in)
		} else {
			st.Uptime = min(st.Uptime, f64(in["uptime_in_seconds"]))
			st.Fragmentation = max(st.Fragmentation, f64(in["mem_fragmentation_ratio"]))
			if p := persistence(in); !p.OK() {
				st.Persistence = p
			}
		}
		st.ConnectedClients += int(i64(in["connected_clients"]))
		st.BlockedClients += int(i64(in["blocked_clients"]))
		st.UsedMemory += i64(in["used_memory"])
		st.MaxMemory += i64(in["maxmemory"])
		st.OpsPerSec += f64(in["instantaneous_ops_per_sec"])
		var keys int64
		for _, db := range parseKeyspace(in) {
			keys += db.Keys
			if k := keyspace[db.DB]; k != nil {
				// A cluster replica holds the same keys as its master: count masters only.
				if role == "master" {
					k.Keys += db.Keys
					k.Expires += db.Expires
				}
			} else if role == "master" || len(nodes) == 1 {
				d := db
				keyspace[db.DB] = &d
			}
		}
		st.Ping = max(st.Ping, n.ping)
		for _, s := range n.slow {
			e := sources.SlowEntry{ID: s.ID, At: s.Time, Duration: s.Duration, Micros: s.Duration.Microseconds(),
				Command: strings.Join(s.Args, " "), Client: s.ClientAddr}
			if len(nodes) > 1 {
				e.Node = n.addr
			}
			st.SlowLog = append(st.SlowLog, e)
		}
		st.Hidden = append(st.Hidden, n.hidden...)
		if c.opts.Mode == Cluster {
			st.Nodes = append(st.Nodes, sources.CacheNode{
				Addr: n.addr, Role: role, ConnectedClients: int(i64(in["connected_clients"])),
				UsedMemory: i64(in["used_memory"]), MaxMemory: i64(in["maxmemory"]),
				OpsPerSec: f64(in["instantaneous_ops_per_sec"]), Keys: keys,
				LinkStatus: in["master_link_status"], PingMillis: float64(n.ping.Microseconds()) / 1000,
			})
		}
	}
	if c.opts.Mode == Cluster {
		st.Role = "cluster"
	}
	st.PingMillis = float64(st.Ping.Microseconds()) / 1000
	for _, k := range keyspace {
		st.Keyspace = append(st.Keyspace, *k)
	}
	if st.Keyspace == nil {
		st.Keyspace = []sources.CacheDB{}
	}
	sort.Slice(st.Keyspace, func(i, j int) bool { return st.Keyspace[i].DB < st.Keyspace[j].DB })
	// The slowest entries first, five in all.
	sort.SliceStable(st.SlowLog, func(i, j int) bool { return st.SlowLog[i].Duration > st.SlowLog[j].Duration })
	if len(st.SlowLog) > slowEntries {
		st.SlowLog = st.SlowLog[:slowEntries]
	}
	if rated && dt > 0 {
		ev, ex := float64(dEvicted)/dt, float64(dExpired)/dt
		st.EvictedPerSec, st.ExpiredPerSec = &ev, &ex
	}
	switch {
	case rated && dHits+dMisses > 0:
		r := float64(dHits) / float64(dHits+dMisses)
		st.HitRatio = &r
	case hits+misses > 0:
		r := float64(hits) / float64(hits+misses)
		st.HitRatio = &r
	}
	st.Queues = c.queues(nodes, now)
	c.prev, c.prevAt = cur, now
	return st
}

// queues gathers queue lengths and their growth over the last ten minutes.
func (c *Client) queues(nodes []nodeResult, now time.Time) []sources.Queue {
	out := make([]sources.Queue, 0, len(c.opts.Queues))
	for _, name := range c.opts.Queues {
		q := sources.Queue{Name: name, Error: "not read"}
		for _, n := range nodes {
			if l, ok := n.queues[name]; ok {
				q.Error = ""
				if l.err != nil && !errors.Is(l.err, goredis.Nil) {
					q.Error = firstLine(l.err.Error())
				} else {
					q.Length = l.n
				}
			}
		}
		if q.Error == "" {
			q.Growth, q.GrowthOver = c.growth.Add(name, q.Length, now)
		}
		out = append(out, q)
	}
	return out
}

func persistence(in map[string]string) sources.CachePersistence {
	p := sources.CachePersistence{
		Loading:       in["loading"] == "1",
		RDBLastStatus: in["rdb_last_bgsave_status"],
		RDBChanges:    i64(in["rdb_changes_since_last_save"]),
		AOFEnabled:    in["aof_enabled"] == "1",
	}
	if t := i64(in["rdb_last_save_time"]); t > 0 {
		p.RDBLastSave = time.Unix(t, 0)
	}
	if p.AOFEnabled {
		p.AOFLastWrite, p.AOFLastRewrite = in["aof_last_write_status"], in["aof_last_bgrewrite_status"]
	}
	return p
}

func replication(in map[string]string) sources.CacheReplication {
	r := sources.CacheReplication{ConnectedReplicas: int(i64(in["connected_slaves"]))}
	if in["role"] == "slave" {
		r.Master = net.JoinHostPort(in["master_host"], in["master_port"])
		r.LinkStatus = in["master_link_status"]
		r.LastIO = f64(in["master_last_io_seconds_ago"])
	}
	return r
}

// parseInfo reads INFO's "key:value" lines; keys are unique across sections.
func parseInfo(s string) map[string]string {
	m := make(map[string]string, 128)
	for line := range strings.SplitSeq(s, "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" || line[0] == '#' {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = v
		}
	}
	return m
}

// parseKeyspace reads the db<N>:keys=..,expires=.. lines.
func parseKeyspace(in map[string]string) []sources.CacheDB {
	var out []sources.CacheDB
	for k, v := range in {
		if !strings.HasPrefix(k, "db") {
			continue
		}
		n, err := strconv.Atoi(k[2:])
		if err != nil {
			continue
		}
		db := sources.CacheDB{DB: n}
		for field := range strings.SplitSeq(v, ",") {
			name, val, _ := strings.Cut(field, "=")
			switch name {
			case "keys":
				db.Keys = i64(val)
			case "expires":
				db.Expires = i64(val)
			}
		}
		out = append(out, db)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].DB < out[j].DB })
	return out
}

// errNotRedis is an INFO answer without the fields every Redis sends.
var errNotRedis = errors.New("answered INFO without redis_version: not a Redis server (or a proxy that hides INFO)")

// maxErrorText bounds a server's error as shown: a 100 KB reply is a
// hostile or broken server, and its length says nothing more.
const maxErrorText = 300

func shorten(s string) string { return safetext.Shorten(s, maxErrorText) }

func i64(s string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return n
}

func f64(s string) float64 {
	f, _ := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return f
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func (c *Client) describe(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = context.DeadlineExceeded // the poll's own deadline, whatever the driver made of it
	}
	return errors.New(c.opts.Scrubber.String(c.describeErr(err, c.target)))
}

// describeErr puts a go-redis failure at where (a node, or the whole
// target) in words.
func (c *Client) describeErr(err error, where string) string {
	return Describe(err, where, c.user, c.opts.Timeout, c.tls)
}

// Describe puts a go-redis failure at where in words: who could not
// connect, a refused password, a timeout, a TLS mismatch. The Celery
// source says its broker's failures the same way.
func Describe(err error, where, user string, timeout time.Duration, tls bool) string {
	s := err.Error()
	if user == "" {
		user = "default"
	}
	// The connection's read deadline is the same timeout as the poll's and
	// can fire just before it: one timeout, said one way.
	var netErr net.Error
	timedOut := errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()) || strings.Contains(s, "i/o timeout")
	switch {
	case strings.Contains(s, "sentinels") && (strings.Contains(s, "NOAUTH") || strings.Contains(s, "WRONGPASS")):
		return fmt.Sprintf("the sentinels refused the password (%s): set redis.sentinel_password", where)
	case strings.HasPrefix(s, "WRONGPASS") || strings.Contains(s, "invalid password") || strings.Contains(s, "invalid username-password"):
		return fmt.Sprintf("authentication failed for user %s at %s", user, where)
	case strings.HasPrefix(s, "NOAUTH"):
		return fmt.Sprintf("%s requires a password: put it in redis.url (redis://:password@host:port/db)", where)
	case strings.HasPrefix(s, "LOADING"):
		return fmt.Sprintf("%s is loading its dataset into memory", where)
	case strings.Contains(s, "connection refused"):
		return fmt.Sprintf("connection refused by %s (is Redis running there?)", where)
	case strings.Contains(s, "no such host"):
		return fmt.Sprintf("cannot resolve the host of %s", where)
	case tls && (timedOut || strings.Contains(s, "tls:") || strings.Contains(s, "EOF")):
		// A plain server reads the TLS hello as a command and waits for its end.
		return fmt.Sprintf("no TLS handshake with %s within %s: the URL says rediss:// (TLS); if the server speaks plain Redis, use redis://", where, timeout)
	case timedOut:
		return fmt.Sprintf("no answer from %s within %s", where, timeout)
	case strings.Contains(s, "EOF") || strings.Contains(s, "connection reset") || strings.Contains(s, "broken pipe"):
		return fmt.Sprintf("%s closed the connection", where)
	case strings.Contains(s, "all sentinels") || strings.Contains(s, "sentinel"):
		return fmt.Sprintf("no sentinel knows the master: %s", shorten(firstLine(s)))
	}
	return shorten(firstLine(s))
}
