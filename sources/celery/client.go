package celery

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/redis"
)

// Origin's queues, the default when none are configured.
var DefaultQueues = []string{"default", "high_priority", "low_priority"}

// Options configure a Client.
type Options struct {
	// BrokerURL is the Redis broker; ResultURL the result backend ("" for
	// the broker).
	BrokerURL, ResultURL string
	Queues               []string
	// Window is what the task figures cover (the console's window).
	Window time.Duration
	// Timeout bounds a poll (default 5s); ReplyWait how long a control
	// command waits for replies (default 1s, less when every known worker
	// has answered).
	Timeout, ReplyWait time.Duration
	Scrubber           *redact.Scrubber
}

// Client reads a Celery deployment: the event stream in the background
// from New to Close, everything else on Poll.
type Client struct {
	opts      Options
	broker    *goredis.Client
	backend   *goredis.Client // the broker's client when they are one
	db        int
	user      string
	tls       bool
	target    string
	tr        *tracker
	stop      context.CancelFunc
	done      chan struct{}
	listenCtx context.Context
	startOnce sync.Once
	// ps is the event subscription: Close closes it, as a blocked read
	// does not see its context's end.
	psMu sync.Mutex
	ps   *goredis.PubSub
	// broadcasts counts the control commands sent (the budget: at most one
	// a poll, none while heartbeats say enough).
	broadcasts atomic.Int64
	// waits counts the event reads that blocked for their message: the
	// stream's wake-ups (the budget: about one a second, however many come).
	waits atomic.Int64

	mu       sync.Mutex
	growth   sources.QueueGrowth
	statsAt  time.Time
	stats    map[string]workerStats // from inspect stats
	replied  map[string]time.Time   // last reply per worker
	answered map[string]bool        // who answered the last command
	// bound are the workers whose pidbox queue is bound on the broker: a
	// worker stopped cleanly unbinds it, one killed or lost does not.
	bound     []string
	asked     bool // the last poll sent a command (so silence means something)
	running   map[string][]sources.CeleryRunning
	meta      map[string]taskMeta // failures' records from the result backend, by id
	bindings  map[string]string   // "exchange\x00routing key" -> queue
	bindingAt time.Time
	// unackedLen is the unacked hash's length at the last poll.
	unackedLen int64
	// recordedList is the result backend's failures as read at recordedAt.
	recordedList []sources.CeleryFailure
	recordedAt   time.Time
}

type workerStats struct {
	pool        string
	concurrency int
}

// New prepares the broker's (and the backend's) clients; the first Poll
// connects and starts listening to events.
func New(o Options) (*Client, error) {
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.ReplyWait <= 0 {
		o.ReplyWait = time.Second
	}
	if len(o.Queues) == 0 {
		o.Queues = DefaultQueues
	}
	if o.ResultURL == "" {
		o.ResultURL = o.BrokerURL
	}
	if o.Scrubber == nil {
		o.Scrubber = redact.NewScrubber(append(redact.SecretsOf(o.BrokerURL), redact.SecretsOf(o.ResultURL)...)...)
	}
	open := func(u string) (*goredis.Client, *goredis.Options, error) {
		po, err := goredis.ParseURL(u)
		if err != nil {
			return nil, nil, fmt.Errorf("celery broker url %s: %s", redact.URL(u), o.Scrubber.String(err.Error()))
		}
		po.ClientName, po.Protocol, po.DisableIdentity = "opsdeck", 2, true
		po.MaxRetries, po.PoolSize, po.MaxIdleConns = -1, 3, 3
		po.DialTimeout, po.ReadTimeout, po.WriteTimeout, po.ContextTimeoutEnabled = o.Timeout, o.Timeout, o.Timeout, true
		po.ReadBufferSize, po.WriteBufferSize = 32<<10, 4<<10
		return goredis.NewClient(po), po, nil
	}
	broker, po, err := open(o.BrokerURL)
	if err != nil {
		return nil, err
	}
	tr := newTracker(o.Window)
	c := &Client{opts: o, broker: broker, backend: broker, db: po.DB, user: po.Username, tls: po.TLSConfig != nil,
		target: fmt.Sprintf("%s/%d", po.Addr, po.DB), tr: tr, done: make(chan struct{}),
		growth: sources.QueueGrowth{Span: tr.window}, stats: map[string]workerStats{}, replied: map[string]time.Time{}, meta: map[string]taskMeta{},
		running: map[string][]sources.CeleryRunning{}}
	if o.ResultURL != o.BrokerURL {
		if c.backend, _, err = open(o.ResultURL); err != nil {
			broker.Close()
			return nil, err
		}
	}
	c.listenCtx, c.stop = context.WithCancel(context.Background())
	return c, nil
}

// start begins listening to events, at the first poll: New does no I/O.
func (c *Client) start() {
	c.startOnce.Do(func() { go c.listen(c.listenCtx) })
}

// Close stops listening and closes the connections.
func (c *Client) Close() {
	c.startOnce.Do(func() { close(c.done) }) // never started: nothing to wait for
	c.stop()
	c.psMu.Lock()
	if c.ps != nil {
		c.ps.Close()
	}
	c.psMu.Unlock()
	<-c.done
	c.broker.Close()
	if c.backend != c.broker {
		c.backend.Close()
	}
}

// Target is host:port/db of the broker.
func (c *Client) Target() string { return c.target }

// describe puts a broker failure in words, secrets masked.
func (c *Client) describe(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = context.DeadlineExceeded
	}
	return errors.New(c.opts.Scrubber.String(redis.Describe(err, "the Celery broker "+c.target, c.user, c.opts.Timeout, c.tls)))
}

// listen consumes the event stream on one connection of its own until
// Close: kombu's Redis transport PUBLISHes each event on
// /{db}.celeryev/<routing key>. A lost connection is said and tried again.
func (c *Client) listen(ctx context.Context) {
	defer close(c.done)
	pattern := fmt.Sprintf("/%d.celeryev/*", c.db)
	backoff := 500 * time.Millisecond
	for ctx.Err() == nil {
		ps := c.broker.PSubscribe(ctx, pattern)
		c.psMu.Lock()
		c.ps = ps
		c.psMu.Unlock()
		if ctx.Err() != nil { // closed while subscribing
			ps.Close()
			return
		}
		if _, err := ps.Receive(ctx); err != nil {
			ps.Close()
			if ctx.Err() != nil {
				return
			}
			c.tr.down("events: " + c.describe(ctx, err).Error())
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 2*time.Second) // back within a refresh or two of the broker
			continue
		}
		backoff = 500 * time.Millisecond
		c.tr.connected(time.Now())
		c.consume(ctx, ps)
		ps.Close()
	}
}

// consume folds the subscription's messages into the tracker until it
// fails or ctx ends. Each message that had to be waited for is followed by
// a rest until the next whole second, so that the messages of a busy second
// are read together when it ends (one wake-up instead of one a message: on
// an idle console the event stream was a fifth of its CPU); those that came
// meanwhile wait in the socket, and the counts are at most a second late.
func (c *Client) consume(ctx context.Context, ps *goredis.PubSub) {
	rest := time.NewTimer(0)
	defer rest.Stop()
	for {
		asked := time.Now()
		msg, err := ps.ReceiveMessage(ctx)
		if err != nil {
			if ctx.Err() == nil {
				c.tr.down("events: " + c.describe(ctx, err).Error())
			}
			return
		}
		now := time.Now()
		c.tr.message([]byte(msg.Payload), now)
		if now.Sub(asked) < waited {
			continue // it was already there: read on
		}
		c.waits.Add(1)
		rest.Reset(now.Truncate(time.Second).Add(time.Second).Sub(now))
		select {
		case <-ctx.Done():
			return
		case <-rest.C:
		}
	}
}

// waited is how long a read must have blocked for its message to count as
// new rather than one read from what had arrived already.
const waited = time.Millisecond

// Poll reads the queues, asks the workers one control command and folds in
// the events seen since the last poll.
func (c *Client) Poll(ctx context.Context, req sources.CeleryRequest) (sources.CeleryState, error) {
	c.start()
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	now := time.Now()
	queues, err := c.queues(ctx, now)
	if err != nil {
		return sources.CeleryState{}, c.describe(ctx, err)
	}
	st := sources.CeleryState{At: now, Queues: queues}
	c.readBound(ctx)
	events, tasks, failures, ev, window := c.tr.snapshot(now)
	st.Tasks, st.Events, st.Window = tasks, ev, window
	if err := c.inspect(ctx, events, req.Running); err != nil {
		st.Problems = append(st.Problems, "control commands: "+c.describe(ctx, err).Error())
	}
	st.Workers = c.workers(events, now)
	st.Failures = c.withMeta(ctx, failures)
	if len(st.Failures) == 0 && (ev.Since.IsZero() || now.Sub(ev.Since) < recordedAfter) {
		// Not listened long enough to have seen a task fail: the failures
		// the result backend recorded in the window stand in.
		st.Failures = c.recordedSince(ctx, now, ev.Since)
	}
	st.Problems = append(st.Problems, problems(st, now)...)
	return st, nil
}

// recordedAfter is how long the events are listened to before the failures
// they bring are all a poll lists.
const recordedAfter = 30 * time.Second

// recordedSince is recorded for the window before now, read once while the
// events are listened to: a read taken after the stream came up (listening
// since) holds every failure before it, and the stream brings those after,
// so the polls of the first recordedAfter reuse it (a result backend can
// hold thousands of results, each poll a scan and a decode of them all).
// Without the stream every poll reads.
func (c *Client) recordedSince(ctx context.Context, now, listening time.Time) []sources.CeleryFailure {
	from := now.Add(-c.tr.window)
	c.mu.Lock()
	cached, at := c.recordedList, c.recordedAt
	c.mu.Unlock()
	if listening.IsZero() || at.Before(listening) {
		at = time.Now() // after the stream's start when it is up: nothing falls between
		cached = c.recorded(ctx, from)
		c.mu.Lock()
		c.recordedList, c.recordedAt = cached, at
		c.mu.Unlock()
	}
	var out []sources.CeleryFailure
	for _, f := range cached {
		if !f.At.Before(from) {
			out = append(out, f)
		}
	}
	return out
}

// pidboxBindings is the set of the workers' control queues on the broker.
const pidboxBindings = "_kombu.binding.celery.pidbox"

// readBound reads which workers' control queues are bound (kombu's
// binding entries: routing key, pattern and queue "<host>.celery.pidbox").
func (c *Client) readBound(ctx context.Context) {
	members, err := c.broker.SMembers(ctx, pidboxBindings).Result()
	if err != nil {
		return // the command's replies still say who is there
	}
	var hosts []string
	for _, m := range members {
		parts := strings.Split(m, "\x06\x16")
		if h, ok := strings.CutSuffix(parts[len(parts)-1], ".celery.pidbox"); ok && h != "" {
			hosts = append(hosts, h)
		}
	}
	slices.Sort(hosts)
	c.mu.Lock()
	c.bound = hosts
	c.mu.Unlock()
}

// problems are the state's findings in words.
func problems(st sources.CeleryState, now time.Time) []string {
	var out []string
	if st.Events.Error != "" {
		out = append(out, st.Events.Error)
	}
	var silent []string
	for _, w := range st.Workers {
		if w.Online && !w.SendsEvents && !st.Events.Since.IsZero() && now.Sub(st.Events.Since) > 5*time.Second {
			silent = append(silent, w.Hostname)
		}
	}
	if len(silent) > 0 {
		out = append(out, fmt.Sprintf("%s answer but send no events: start them with -E (or set worker_send_task_events): no task figures or failures from them",
			strings.Join(silent, ", ")))
	}
	if st.Events.Malformed > 0 {
		out = append(out, fmt.Sprintf("%d event message(s) could not be read and were skipped", st.Events.Malformed))
	}
	return out
}

// queues reads each queue's waiting messages (its list and kombu's
// priority lists) and its unacknowledged ones (the unacked hash, read
// whole while it holds at most maxUnackedRead entries), in one round trip.
func (c *Client) queues(ctx context.Context, now time.Time) ([]sources.CeleryQueue, error) {
	pipe := c.broker.Pipeline()
	lens := make([][]*goredis.IntCmd, len(c.opts.Queues))
	for i, q := range c.opts.Queues {
		for _, key := range priorityKeys(q) {
			lens[i] = append(lens[i], pipe.LLen(ctx, key))
		}
	}
	hlen := pipe.HLen(ctx, "unacked")
	// The hash is read whole in the same round trip while the last poll
	// found it small (it holds the messages workers prefetched).
	c.mu.Lock()
	small := c.unackedLen <= maxUnackedRead
	c.mu.Unlock()
	var hvals *goredis.StringSliceCmd
	if small {
		hvals = pipe.HVals(ctx, "unacked")
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, goredis.Nil) {
		return nil, err
	}
	unacked, counted := map[string]int64{}, false
	if n := hlen.Val(); hvals != nil && n <= maxUnackedRead {
		counted = true
		for _, v := range hvals.Val() {
			m, err := unackedEntry([]byte(v))
			if err != nil {
				continue
			}
			unacked[c.queueOf(ctx, m, now)]++
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.unackedLen = hlen.Val()
	out := make([]sources.CeleryQueue, 0, len(c.opts.Queues))
	for i, name := range c.opts.Queues {
		q := sources.CeleryQueue{Name: name, Unacked: -1}
		for _, l := range lens[i] {
			q.Waiting += l.Val()
		}
		if counted {
			q.Unacked = unacked[name]
		}
		q.Growth, q.GrowthOver = c.growth.Add(name, q.Waiting, now)
		out = append(out, q)
	}
	return out, nil
}

// maxUnackedRead bounds the unacked hash read whole to count per queue.
const maxUnackedRead = 5000

// priorityKeys are kombu's lists of a queue: the queue and its priority
// steps 3, 6 and 9 (the separator is kombu's \x06\x16).
func priorityKeys(q string) []string {
	return []string{q, q + "\x06\x163", q + "\x06\x166", q + "\x06\x169"}
}

// queueOf is the queue a delivered message came from: its routing key on
// the default exchange, else the exchange's binding (kombu's
// _kombu.binding.<exchange> sets, re-read every minute).
func (c *Client) queueOf(ctx context.Context, m TaskMessage, now time.Time) string {
	if m.Exchange == "" {
		return m.RoutingKey
	}
	c.mu.Lock()
	stale := c.bindings == nil || now.Sub(c.bindingAt) > time.Minute
	c.mu.Unlock()
	if stale {
		b := map[string]string{}
		for _, ex := range []string{m.Exchange, "tasks", "celery"} {
			members, _ := c.broker.SMembers(ctx, "_kombu.binding."+ex).Result()
			for _, mem := range members {
				parts := strings.Split(mem, "\x06\x16")
				if len(parts) == 3 {
					b[ex+"\x00"+parts[0]] = parts[2]
				}
			}
		}
		c.mu.Lock()
		c.bindings, c.bindingAt = b, now
		c.mu.Unlock()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return cmp.Or(c.bindings[m.Exchange+"\x00"+m.RoutingKey], m.RoutingKey)
}

// newID is a random id (a control command's ticket, a reply queue).
func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Broadcast sends a control command to every worker over the pidbox and
// gathers the replies until wait passes, or sooner once every worker of
// expect has answered. Replies come back on a reply queue of opsdeck's own,
// bound for the command and removed after it.
func (c *Client) Broadcast(ctx context.Context, method string, args map[string]any, expect []string, wait time.Duration) (map[string]json.RawMessage, error) {
	return c.BroadcastTo(ctx, nil, method, args, expect, wait)
}

// BroadcastTo is Broadcast to the workers named in to (nil: every one):
// the others ignore the command.
func (c *Client) BroadcastTo(ctx context.Context, to []string, method string, args map[string]any, expect []string, wait time.Duration) (map[string]json.RawMessage, error) {
	c.broadcasts.Add(1)
	replyKey, ticket := newID(), newID()
	queue := replyKey + ".reply.celery.pidbox"
	binding := replyKey + "\x06\x16\x06\x16" + queue
	if err := c.broker.SAdd(ctx, "_kombu.binding.reply.celery.pidbox", binding).Err(); err != nil {
		return nil, err
	}
	defer func() {
		cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		c.broker.SRem(cleanup, "_kombu.binding.reply.celery.pidbox", binding)
		c.broker.Del(cleanup, queue)
	}()
	msg, err := controlMessage(method, args, to, ticket, replyKey, float64(time.Now().Add(wait).UnixNano())/1e9, newID())
	if err != nil {
		return nil, err
	}
	topic := fmt.Sprintf("/%d.celery.pidbox", c.db)
	if err := c.broker.Publish(ctx, topic, msg).Err(); err != nil {
		return nil, err
	}
	out := map[string]json.RawMessage{}
	deadline := time.Now().Add(wait)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d.Add(-50 * time.Millisecond)
	}
	for time.Now().Before(deadline) {
		if len(expect) > 0 && !slices.ContainsFunc(expect, func(h string) bool { _, ok := out[h]; return !ok }) {
			break
		}
		// RPOP, not BRPOP: the client rounds a blocking timeout up to a
		// second, and replies come within milliseconds.
		res, err := c.broker.RPop(ctx, queue).Bytes()
		if errors.Is(err, goredis.Nil) {
			select {
			case <-ctx.Done():
				return out, ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
			continue
		}
		if err != nil {
			return out, err
		}
		t, answers, err := decodeReply(res)
		if err != nil || t != ticket {
			continue
		}
		for host, a := range answers {
			if len(out) < maxWorkers {
				out[cut(host)] = a
			}
		}
	}
	return out, nil
}

// inspect asks the workers one command a poll: `stats` (pool and
// concurrency) when a worker's are unknown or a minute old, else `active`
// (the tasks they run). It waits for the workers known to be online.
func (c *Client) inspect(ctx context.Context, events map[string]sources.CeleryWorker, running bool) error {
	now := time.Now()
	c.mu.Lock()
	var expect []string
	method := "active"
	// Heartbeats say who is alive: a command is needed for what they do not
	// say (running tasks, asked for), for a worker without them, and for
	// the pools, once a minute.
	needed := running || len(events) == 0
	for h, w := range events {
		if w.Online {
			expect = append(expect, h)
		}
	}
	for h, at := range c.replied {
		if now.Sub(at) < 30*time.Second && !slices.Contains(expect, h) {
			expect = append(expect, h)
			needed = needed || events[h].Hostname == "" // answers, sends no heartbeats
		}
	}
	if len(events) == 0 {
		// No heartbeat heard yet (a first poll, a one-shot read): wait for
		// every bound worker's reply, so that silence means it is gone.
		for _, h := range c.bound {
			if !slices.Contains(expect, h) {
				expect = append(expect, h)
			}
		}
	}
	for _, h := range expect {
		if _, ok := c.stats[h]; !ok {
			method = "stats"
		}
	}
	if now.Sub(c.statsAt) > time.Minute {
		method = "stats"
	}
	if !needed && method != "stats" {
		// Liveness from the heartbeats alone this time; what ran at the
		// last command is not shown as running now.
		c.answered, c.running, c.asked = nil, map[string][]sources.CeleryRunning{}, false
		c.mu.Unlock()
		return nil
	}
	c.mu.Unlock()
	wait := c.opts.ReplyWait
	if len(expect) == 0 {
		// No worker known: replies come within milliseconds when there is
		// one, and a poll of an idle broker should not take a second.
		wait = min(wait, 300*time.Millisecond)
	}
	wait = min(wait, c.opts.Timeout/4) // the rest of the poll keeps its room
	replies, err := c.Broadcast(ctx, method, nil, expect, wait)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.answered, c.asked = map[string]bool{}, true
	for h := range replies {
		c.replied[h], c.answered[h] = now, true
	}
	switch method {
	case "stats":
		c.statsAt = now
		for h, raw := range replies {
			var s struct {
				Pool map[string]json.RawMessage `json:"pool"`
			}
			if json.Unmarshal(raw, &s) == nil {
				c.stats[h] = poolOf(s.Pool)
			}
		}
	case "active":
		for h, raw := range replies {
			c.running[h] = decodeActive(h, raw)
		}
	}
	return err
}

// poolOf reads the pool from `inspect stats`, which does not name it: a
// prefork pool lists its processes, a threads pool its threads, solo one
// process of concurrency 1; gevent and eventlet say only their size.
func poolOf(p map[string]json.RawMessage) workerStats {
	var ws workerStats
	_ = json.Unmarshal(p["max-concurrency"], &ws.concurrency)
	var procs []int
	_ = json.Unmarshal(p["processes"], &procs)
	_, threads := p["threads"]
	switch {
	case threads:
		ws.pool = "threads"
	case len(procs) > 0 && ws.concurrency == 1 && string(p["put-guarded-by-semaphore"]) == "true":
		ws.pool = "solo"
	case len(procs) > 0:
		ws.pool = "prefork"
	case ws.concurrency > 0:
		ws.pool = "gevent/eventlet"
	}
	return ws
}

// decodeActive reads a worker's answer to `inspect active`.
func decodeActive(host string, raw json.RawMessage) []sources.CeleryRunning {
	var tasks []struct {
		ID        string          `json:"id"`
		Name      string          `json:"name"`
		Args      json.RawMessage `json:"args"`
		TimeStart float64         `json:"time_start"`
	}
	if json.Unmarshal(raw, &tasks) != nil {
		return nil
	}
	out := make([]sources.CeleryRunning, 0, min(len(tasks), 100))
	for _, t := range tasks[:min(len(tasks), 100)] {
		r := sources.CeleryRunning{ID: cut(t.ID), Name: cut(t.Name), Args: cut(string(t.Args)), Worker: host}
		if t.TimeStart > 0 && t.TimeStart < 1e11 { // the worker's wall clock, in seconds
			r.Started = time.Unix(0, int64(t.TimeStart*1e9))
		}
		out = append(out, r)
	}
	return out
}

// workers joins what the events say of each worker with what it answered.
func (c *Client) workers(events map[string]sources.CeleryWorker, now time.Time) []sources.CeleryWorker {
	c.mu.Lock()
	defer c.mu.Unlock()
	all := map[string]sources.CeleryWorker{}
	for h, w := range events {
		all[h] = w
	}
	// A worker is online by its heartbeats, or by answering the last
	// command; one that did neither is gone (kept while it was seen within
	// the window).
	for h, at := range c.replied {
		w, ok := all[h]
		if !ok {
			if now.Sub(at) > c.tr.window {
				delete(c.replied, h)
				continue
			}
			w = sources.CeleryWorker{Hostname: h}
		}
		w.Online = w.Online || c.answered[h]
		if at.After(w.LastSeen) {
			w.LastSeen = at
		}
		all[h] = w
	}
	// A worker still bound that neither beats nor answered when asked was
	// killed or lost: it never unbound its control queue. (Never seen: its
	// LastSeen stays zero.)
	if c.asked {
		for _, h := range c.bound {
			if _, ok := all[h]; !ok && !c.answered[h] {
				all[h] = sources.CeleryWorker{Hostname: h, Lost: true}
			}
		}
	}
	out := make([]sources.CeleryWorker, 0, len(all))
	for h, w := range all {
		if s, ok := c.stats[h]; ok {
			w.Pool, w.Concurrency = s.pool, s.concurrency
		}
		if w.Online {
			w.Running = c.running[h]
			if !w.SendsEvents {
				w.Active = len(w.Running)
			}
		}
		out = append(out, w)
	}
	slices.SortFunc(out, func(a, b sources.CeleryWorker) int { return strings.Compare(a.Hostname, b.Hostname) })
	return out
}

// taskMeta is a task's record in the result backend (result_extended).
type taskMeta struct {
	Status string          `json:"status"`
	Name   string          `json:"name"`
	Args   json.RawMessage `json:"args"`
	Kwargs json.RawMessage `json:"kwargs"`
	Queue  string          `json:"queue"`
	Worker string          `json:"worker"`
}

// withMeta adds to the failures what the result backend stored of them,
// reading at most ten new records a poll (one round trip).
func (c *Client) withMeta(ctx context.Context, failures []sources.CeleryFailure) []sources.CeleryFailure {
	c.mu.Lock()
	var want []string
	for _, f := range failures {
		if _, ok := c.meta[f.ID]; !ok && f.ID != "" && len(want) < 10 {
			want = append(want, f.ID)
		}
	}
	c.mu.Unlock()
	if len(want) > 0 {
		pipe := c.backend.Pipeline()
		cmds := make([]*goredis.StringCmd, len(want))
		for i, id := range want {
			cmds[i] = pipe.Get(ctx, "celery-task-meta-"+id)
		}
		_, _ = pipe.Exec(ctx)
		c.mu.Lock()
		for i, id := range want {
			var m taskMeta
			if b, err := cmds[i].Bytes(); err == nil && len(b) <= maxMessage {
				_ = json.Unmarshal(b, &m)
			}
			c.meta[id] = m
		}
		if len(c.meta) > 4*maxFailures { // keep the current failures' records
			keep := map[string]taskMeta{}
			for _, f := range failures {
				keep[f.ID] = c.meta[f.ID]
			}
			c.meta = keep
		}
		c.mu.Unlock()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	out := slices.Clone(failures)
	for i, f := range out {
		m := c.meta[f.ID]
		out[i].Args, out[i].Kwargs, out[i].Queue = cut(string(m.Args)), cut(string(m.Kwargs)), cut(m.Queue)
		if f.Name == unknownTasks && m.Name != "" {
			out[i].Name = cut(m.Name)
		}
	}
	return out
}
