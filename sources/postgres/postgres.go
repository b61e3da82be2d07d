package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opsdeck/opsdeck/internal/errtext"
	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/sources"
)

// Options configure a Client.
type Options struct {
	URL string
	// PgbouncerURL is pgbouncer's admin console; "" for none.
	PgbouncerURL string
	// StatementTimeout bounds each query on the server (default 2s).
	StatementTimeout time.Duration
	// Timeout bounds a whole poll, connecting included (default 5s).
	Timeout            time.Duration
	RequiredExtensions []string
	Scrubber           *redact.Scrubber
	// Dial replaces the network dialer (tests count round trips with it).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Client polls one server. It is safe for concurrent use; the rates it
// reports are between consecutive polls.
type Client struct {
	opts   Options
	pool   *pgxpool.Pool
	target string // user@host:port/db, for messages
	user   string

	bouncer *bouncer

	// own are the backend pids of this client's connections: a signal
	// never reaches them, whatever they call themselves.
	ownMu sync.Mutex
	own   map[uint32]bool

	mu     sync.Mutex
	prev   *sources.DBState
	size   int64     // the database size, re-read every sizeEvery
	sizeAt time.Time // when size was read
	// pgss is pg_stat_statements as the last poll found it; stmts is the
	// last read of it, kept for the next one's differences while its view
	// is open.
	pgss  pgss
	stmts *statementRead
}

// pgss is whether pg_stat_statements can be read, and where.
type pgss struct {
	view   string // the schema-qualified view; "" when not installed
	loaded *bool  // nil: the role cannot tell
}

// statementRead is one read of pg_stat_statements.
type statementRead struct {
	at       time.Time
	entries  []sources.StatementCounters
	complete bool // fewer than statementLimit entries: nothing was cut
}

// sizeEvery is how often the database size is re-read: it changes slowly and
// costs a stat of every file of the database.
const sizeEvery = 30 * time.Second

// New parses the URL; it does no I/O (the first poll connects).
func New(o Options) (*Client, error) {
	if o.StatementTimeout <= 0 {
		o.StatementTimeout = 2 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.Scrubber == nil {
		o.Scrubber = redact.NewScrubber(redact.SecretsOf(o.URL)...)
	}
	cfg, err := pgxpool.ParseConfig(Driverless(o.URL))
	if err != nil {
		return nil, fmt.Errorf("postgres url %s: %s", redact.URL(o.URL), o.Scrubber.String(errtext.Cause(err.Error())))
	}
	// Two connections at most: one poll at a time, plus a snapshot or drill-down.
	cfg.MaxConns = 2
	cfg.MinConns = 0
	cfg.MaxConnIdleTime = 5 * time.Minute
	cfg.HealthCheckPeriod = time.Minute
	// No ping before each use: a ping that times out has the pool hold the
	// dead connection's slot for 15 s (see exec, which finds dead connections
	// by using them).
	cfg.ShouldPing = func(context.Context, pgxpool.ShouldPingParams) bool { return false }
	cc := cfg.ConnConfig
	cc.RuntimeParams["application_name"] = "opsdeck"
	if o.Dial != nil {
		cc.DialFunc = o.Dial
	}
	cc.DialFunc = speaksPostgres(cc.DialFunc)
	c := &Client{opts: o, target: target(cc.Config), user: cc.User, own: map[uint32]bool{}}
	cfg.AfterConnect = func(_ context.Context, conn *pgx.Conn) error {
		c.ownMu.Lock()
		c.own[conn.PgConn().PID()] = true
		c.ownMu.Unlock()
		return nil
	}
	cfg.BeforeClose = func(conn *pgx.Conn) {
		c.ownMu.Lock()
		delete(c.own, conn.PgConn().PID())
		c.ownMu.Unlock()
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %s", o.Scrubber.String(err.Error()))
	}
	c.pool = pool
	if o.PgbouncerURL != "" {
		c.bouncer, err = newBouncer(o)
		if err != nil {
			pool.Close()
			return nil, err
		}
	}
	return c, nil
}

// OwnPIDs are the backend pids of this client's open connections.
func (c *Client) OwnPIDs() []int {
	c.ownMu.Lock()
	defer c.ownMu.Unlock()
	out := make([]int, 0, len(c.own))
	for pid := range c.own {
		out = append(out, int(pid))
	}
	return out
}

// Driverless turns SQLAlchemy's postgresql+psycopg2:// into the
// postgresql:// that Go's drivers read.
func Driverless(u string) string {
	if scheme, rest, ok := strings.Cut(u, "://"); ok {
		if base, _, ok := strings.Cut(scheme, "+"); ok {
			return base + "://" + rest
		}
	}
	return u
}

func target(c pgconn.Config) string {
	host := c.Host
	if strings.HasPrefix(host, "/") {
		host = "socket " + host
	}
	return fmt.Sprintf("%s:%d/%s", host, c.Port, c.Database)
}

// Target is host:port/database, for display.
func (c *Client) Target() string { return c.target }

// Close releases the connections.
func (c *Client) Close() {
	c.pool.Close()
	if c.bouncer != nil {
		c.bouncer.close()
	}
}

// Poll reads the server's state. Errors are in words and scrubbed.
func (c *Client) Poll(ctx context.Context, req sources.DBRequest) (sources.DBState, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	var (
		wg      sync.WaitGroup
		bouncer *sources.Pgbouncer
	)
	if c.bouncer != nil {
		wg.Go(func() { bouncer = c.bouncer.poll(ctx) })
	}
	st, err := c.poll(ctx, req)
	wg.Wait()
	if err != nil {
		return sources.DBState{}, err
	}
	st.Pgbouncer = bouncer
	c.mu.Lock()
	if c.prev != nil {
		st.Rates = rates(*c.prev, st)
	}
	prev := st
	prev.Sessions, prev.Tables, prev.Blocked, prev.Blockers, prev.Statements = nil, nil, nil, nil, nil
	c.prev = &prev
	c.mu.Unlock()
	return st, nil
}

func (c *Client) poll(ctx context.Context, req sources.DBRequest) (sources.DBState, error) {
	c.mu.Lock()
	withSize := c.sizeAt.IsZero() || time.Since(c.sizeAt) >= sizeEvery
	view := ""
	if req.Statements && c.pgss.ready() {
		view = c.pgss.view
	}
	c.mu.Unlock()
	results, err := c.exec(ctx, pollSQL(c.opts.StatementTimeout, req.Sessions, withSize, view))
	at := time.Now()
	if err != nil {
		return sources.DBState{}, c.describe(ctx, err)
	}
	// The answers in order: the state document, then the statements'.
	var docs [][]byte
	for _, r := range results {
		if len(r.Rows) == 1 && len(r.Rows[0]) == 1 {
			docs = append(docs, r.Rows[0][0])
		}
	}
	if len(docs) == 0 {
		return sources.DBState{}, errors.New("postgres answered no state row")
	}
	st, size, found, err := decode(docs[0])
	if err != nil {
		return sources.DBState{}, fmt.Errorf("postgres answered an unreadable state: %v", err)
	}
	st.At = at
	c.mu.Lock()
	defer c.mu.Unlock()
	if size != nil {
		c.size, c.sizeAt = *size, at
	}
	st.DatabaseSize = c.size
	c.pgss = found
	if !req.Sessions {
		st.Sessions = nil
	}
	if req.Statements {
		var doc []byte
		if view != "" && len(docs) > 1 {
			doc = docs[1]
		}
		if st.Statements, err = c.statements(doc, st.Database, at); err != nil {
			return sources.DBState{}, fmt.Errorf("postgres answered unreadable statements: %v", err)
		}
	} else {
		c.stmts = nil // reopened, the view starts from a fresh pair of reads
	}
	c.judge(&st)
	return st, nil
}

func (p pgss) ready() bool { return p.view != "" && p.loaded != nil && *p.loaded }

// problem says why pg_stat_statements cannot be read, and how to make it
// readable; "" when it can.
func (p pgss) problem(database, user string) string {
	const enable = "add pg_stat_statements to shared_preload_libraries in postgresql.conf and restart the server"
	switch {
	case p.view == "":
		return fmt.Sprintf("pg_stat_statements is not installed in database %s: %s, then run CREATE EXTENSION pg_stat_statements in %s", database, enable, database)
	case p.loaded == nil:
		return fmt.Sprintf("role %s cannot see whether pg_stat_statements is loaded (shared_preload_libraries is hidden from it): GRANT pg_monitor TO %s", user, user)
	case !*p.loaded:
		return "pg_stat_statements is created but its library is not loaded: " + enable
	}
	return ""
}

// statements turns a read of pg_stat_statements (doc; nil when none was
// made this poll) into the view's state: rates against the previous read.
// Called with c.mu held.
func (c *Client) statements(doc []byte, database string, at time.Time) (*sources.DBStatements, error) {
	if msg := c.pgss.problem(database, c.user); msg != "" {
		c.stmts = nil
		return &sources.DBStatements{Problem: msg}, nil
	}
	if doc == nil {
		return &sources.DBStatements{}, nil // known ready only now: read from the next poll on
	}
	var w struct {
		Entries []struct {
			ID    int64   `json:"id"`
			User  *string `json:"user"`
			Calls int64   `json:"calls"`
			MS    float64 `json:"ms"`
			Rows  int64   `json:"rows"`
			Query *string `json:"query"`
		} `json:"entries"`
	}
	if err := json.Unmarshal(doc, &w); err != nil {
		return nil, err
	}
	read := &statementRead{at: at, complete: len(w.Entries) < statementLimit, entries: make([]sources.StatementCounters, len(w.Entries))}
	for i, e := range w.Entries {
		read.entries[i] = sources.StatementCounters{QueryID: e.ID, User: str(e.User), Calls: e.Calls, TotalMS: e.MS, Rows: e.Rows, Query: strings.TrimSpace(str(e.Query))}
	}
	out := &sources.DBStatements{Entries: len(read.entries)}
	if prev := c.stmts; prev != nil {
		out.Seconds = at.Sub(prev.at).Seconds()
		out.Top = sources.StatementRates(prev.entries, read.entries, prev.complete, out.Seconds, statementsShown)
	}
	c.stmts = read
	return out, nil
}

// statementsShown is how many statements the view keeps.
const statementsShown = 50

// judge adds the findings that need the configuration: what the role cannot
// see and which required extensions are missing.
func (c *Client) judge(st *sources.DBState) {
	if !st.Privileged {
		msg := "role " + st.User + " lacks pg_read_all_stats: "
		if st.Connections.Hidden > 0 {
			msg += fmt.Sprintf("%d session(s) of other roles show no state, query or locks", st.Connections.Hidden)
		} else {
			msg += "sessions of other roles would show no state, query or locks"
		}
		msg += "; replication details are hidden (GRANT pg_monitor TO " + st.User + ")"
		st.Hidden = append(st.Hidden, msg)
	}
	for _, want := range c.opts.RequiredExtensions {
		if !slices.ContainsFunc(st.Extensions, func(e sources.DBExtension) bool { return e.Name == want }) {
			st.MissingExtensions = append(st.MissingExtensions, want)
		}
	}
}

// rates compares two polls' counters. A statistics reset or a counter going
// backwards (another database after a failover) gives no rates.
func rates(prev, cur sources.DBState) *sources.DBRates {
	dt := cur.At.Sub(prev.At).Seconds()
	p, q := prev.Counters, cur.Counters
	if dt <= 0 || !p.Reset.Equal(q.Reset) || q.Commits < p.Commits || q.BlocksHit < p.BlocksHit || prev.Database != cur.Database {
		return nil
	}
	r := &sources.DBRates{
		TPS:       float64(q.Commits+q.Rollbacks-p.Commits-p.Rollbacks) / dt,
		Deadlocks: float64(q.Deadlocks-p.Deadlocks) / dt,
		TempBytes: float64(q.TempBytes-p.TempBytes) / dt,
		Seconds:   dt,
	}
	hit, read := q.BlocksHit-p.BlocksHit, q.BlocksRead-p.BlocksRead
	if hit+read > 0 {
		ratio := float64(hit) / float64(hit+read)
		r.CacheHitRatio = &ratio
	}
	return r
}

// exec runs sql (one simple-protocol message) on a pooled connection.
//
// A connection found dead (the server restarted, or the network lost it)
// leaves the pool at once and the statement is tried once more on a fresh
// one, within the same deadline. pgx says goodbye to a dead connection for up
// to 15 s (a cancel request, then a drain) and the pool would hold the slot
// all that time, keeping the pane down long after the fault ended. A failed
// transaction is rolled back so that the connection stays usable.
func (c *Client) exec(ctx context.Context, sql string) ([]*pgconn.Result, error) {
	for attempt := 0; ; attempt++ {
		conn, err := c.pool.Acquire(ctx)
		if err != nil {
			return nil, err
		}
		pc := conn.Conn().PgConn()
		results, err := pc.Exec(ctx, sql).ReadAll()
		switch {
		case err == nil:
			conn.Release()
			return results, nil
		case pc.IsClosed():
			conn.Hijack() // already closing itself in the background
			if attempt == 0 && ctx.Err() == nil {
				continue
			}
		default:
			if tx := pc.TxStatus(); tx == 'E' || tx == 'T' {
				_, _ = pc.Exec(ctx, "ROLLBACK").ReadAll()
			}
			conn.Release()
		}
		return nil, err
	}
}

// describe puts a failure in words: who could not connect where, and why.
func (c *Client) describe(ctx context.Context, err error) error {
	where := c.target
	var pgErr *pgconn.PgError
	var msg string
	var notPg *notPostgresError
	switch {
	case errors.As(err, &notPg):
		msg = notPg.Error()
	case errors.As(err, &pgErr):
		msg = describePg(pgErr, c.user, where, c.opts.StatementTimeout)
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		msg = fmt.Sprintf("no answer from %s within %s", where, c.opts.Timeout)
	case errors.Is(err, context.Canceled):
		msg = "cancelled"
	default:
		msg = describeNet(err, where, "PostgreSQL")
	}
	return errors.New(c.opts.Scrubber.String(msg))
}

func describePg(e *pgconn.PgError, user, where string, timeout time.Duration) string {
	switch e.Code {
	case "28P01":
		return fmt.Sprintf("authentication failed for user %s at %s", user, where)
	case "28000":
		return fmt.Sprintf("access refused for user %s at %s: %s", user, where, e.Message)
	case "3D000":
		return fmt.Sprintf("%s at %s", e.Message, where)
	case "57014":
		return fmt.Sprintf("query cancelled after the statement timeout (%s): the server is overloaded or a lock is held", timeout)
	case "55P03":
		return "a catalogue lock was busy (lock timeout); will retry"
	case "53300":
		return fmt.Sprintf("%s at %s: connections are exhausted", e.Message, where)
	case "57P03":
		return fmt.Sprintf("%s is starting up or shutting down: %s", where, e.Message)
	}
	return fmt.Sprintf("%s (SQLSTATE %s)", e.Message, e.Code)
}

func describeNet(err error, where, what string) string {
	s := err.Error()
	switch {
	case strings.Contains(s, "connection refused"):
		return fmt.Sprintf("connection refused by %s (is %s running there?)", where, what)
	case strings.Contains(s, "no such host"):
		return fmt.Sprintf("cannot resolve the host of %s", where)
	case strings.Contains(s, "i/o timeout") || strings.Contains(s, "timeout"):
		return fmt.Sprintf("no answer from %s in time", where)
	case strings.Contains(s, "EOF") || strings.Contains(s, "connection reset") || strings.Contains(s, "broken pipe") || strings.Contains(s, "conn closed"):
		return fmt.Sprintf("%s closed the connection", where)
	}
	return errtext.Cause(s)
}

// wire is the JSON the poll query answers with.
type wire struct {
	Version        string                `json:"version"`
	Started        time.Time             `json:"started"`
	Recovery       bool                  `json:"recovery"`
	Database       string                `json:"database"`
	User           string                `json:"user"`
	Privileged     bool                  `json:"privileged"`
	MaxConnections int                   `json:"max_connections"`
	Reserved       int                   `json:"reserved"`
	States         map[string]int        `json:"states"`
	Hidden         int                   `json:"hidden"`
	Waiting        int                   `json:"waiting"`
	LongestQuery   *wireSession          `json:"longest_query"`
	LongestXact    *wireSession          `json:"longest_xact"`
	Blocked        []wireSession         `json:"blocked"`
	Blockers       []wireSession         `json:"blockers"`
	Counters       *wireCounters         `json:"counters"`
	Size           *int64                `json:"size"`
	Tables         []wireTable           `json:"tables"`
	Extensions     []sources.DBExtension `json:"extensions"`
	Replicas       []wireReplica         `json:"replicas"`
	Upstream       *wireUpstream         `json:"upstream"`
	Sessions       []wireSession         `json:"sessions"`
	Pgss           *struct {
		Schema string `json:"schema"`
		Loaded *bool  `json:"loaded"`
	} `json:"pgss"`
}

type wireSession struct {
	PID         int      `json:"pid"`
	User        *string  `json:"user"`
	Database    *string  `json:"database"`
	Application *string  `json:"application"`
	Client      *string  `json:"client"`
	State       string   `json:"state"`
	Wait        *string  `json:"wait"`
	BackendAge  *float64 `json:"backend_age"`
	QueryAge    *float64 `json:"query_age"`
	XactAge     *float64 `json:"xact_age"`
	StateAge    *float64 `json:"state_age"`
	Query       *string  `json:"query"`
	BlockedBy   []int    `json:"blocked_by"`
	Lock        *struct {
		Mode     string  `json:"mode"`
		Relation *string `json:"relation"`
		Type     string  `json:"type"`
	} `json:"lock"`
}

type wireCounters struct {
	Commits   int64      `json:"commits"`
	Rollbacks int64      `json:"rollbacks"`
	Hit       int64      `json:"hit"`
	Read      int64      `json:"read"`
	Deadlocks int64      `json:"deadlocks"`
	TempBytes int64      `json:"temp_bytes"`
	Reset     *time.Time `json:"reset"`
}

type wireTable struct {
	Name       string     `json:"name"`
	Rows       int64      `json:"rows"`
	Size       int64      `json:"size"`
	Dead       int64      `json:"dead"`
	Autovacuum *time.Time `json:"autovacuum"`
}

type wireReplica struct {
	Name      string   `json:"name"`
	Client    string   `json:"client"`
	State     *string  `json:"state"`
	SyncState *string  `json:"sync_state"`
	LagBytes  *int64   `json:"lag_bytes"`
	ReplayLag *float64 `json:"replay_lag"`
}

type wireUpstream struct {
	Status    *string  `json:"status"`
	Sender    *string  `json:"sender"`
	LagBytes  *int64   `json:"lag_bytes"`
	ReplayAge *float64 `json:"replay_age"`
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func num(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

func (w wireSession) session() sources.DBSession {
	return sources.DBSession{
		PID: w.PID, User: str(w.User), Database: str(w.Database), Application: str(w.Application),
		Client: str(w.Client), State: w.State, WaitEvent: str(w.Wait),
		BackendAge: num(w.BackendAge), QueryAge: num(w.QueryAge), XactAge: num(w.XactAge), StateAge: num(w.StateAge),
		Query: strings.TrimSpace(str(w.Query)), BlockedBy: w.BlockedBy, Lock: w.lock(),
	}
}

// lock is the lock a session waits for: its mode and the relation, or the
// kind of lock when it is on no relation (a transaction id, an advisory
// lock).
func (w wireSession) lock() *sources.DBLock {
	if w.Lock == nil {
		return nil
	}
	return &sources.DBLock{Mode: w.Lock.Mode, Relation: str(w.Lock.Relation), Type: w.Lock.Type}
}

// decode reads the poll's document; size is nil when it was not asked for.
// found is where pg_stat_statements is, when it is installed.
func decode(doc []byte) (st sources.DBState, size *int64, found pgss, err error) {
	var w wire
	if err := json.Unmarshal(doc, &w); err != nil {
		return sources.DBState{}, nil, pgss{}, err
	}
	if w.Pgss != nil && w.Pgss.Schema != "" {
		found.view, found.loaded = pgx.Identifier{w.Pgss.Schema, "pg_stat_statements"}.Sanitize(), w.Pgss.Loaded
	}
	st = sources.DBState{
		Version: w.Version, StartedAt: w.Started, Role: "primary", Database: w.Database, User: w.User,
		Privileged: w.Privileged, Extensions: w.Extensions,
	}
	if w.Recovery {
		st.Role = "replica"
	}
	if st.Extensions == nil {
		st.Extensions = []sources.DBExtension{}
	}
	cn := &st.Connections
	for state, n := range w.States {
		cn.Total += n
		switch state {
		case "active":
			cn.Active += n
		case "idle":
			cn.Idle += n
		case "idle in transaction":
			cn.IdleInTransaction += n
		case "idle in transaction (aborted)":
			cn.Aborted += n
		}
	}
	cn.Hidden, cn.Waiting, cn.Max, cn.Reserved = w.Hidden, w.Waiting, w.MaxConnections, w.Reserved
	if w.LongestQuery != nil {
		s := w.LongestQuery.session()
		st.LongestQuery = &s
	}
	if w.LongestXact != nil {
		s := w.LongestXact.session()
		st.LongestTransaction = &s
	}
	for _, b := range w.Blocked {
		st.Blocked = append(st.Blocked, b.session())
	}
	for _, b := range w.Blockers {
		st.Blockers = append(st.Blockers, b.session())
	}
	if c := w.Counters; c != nil {
		st.Counters = sources.DBCounters{Commits: c.Commits, Rollbacks: c.Rollbacks, BlocksHit: c.Hit, BlocksRead: c.Read, Deadlocks: c.Deadlocks, TempBytes: c.TempBytes}
		if c.Reset != nil {
			st.Counters.Reset = *c.Reset
		}
		if c.Hit+c.Read > 0 {
			ratio := float64(c.Hit) / float64(c.Hit+c.Read)
			st.CacheHitRatio = &ratio
		}
	}
	st.Tables = make([]sources.DBTable, 0, len(w.Tables))
	for _, t := range w.Tables {
		st.Tables = append(st.Tables, sources.DBTable{Name: t.Name, RowsEstimate: t.Rows, SizeBytes: t.Size, DeadTuples: t.Dead, LastAutovacuum: t.Autovacuum})
	}
	for _, r := range w.Replicas {
		st.Replication.Replicas = append(st.Replication.Replicas, sources.DBReplica{
			Name: r.Name, Client: r.Client, State: str(r.State), SyncState: str(r.SyncState), LagBytes: r.LagBytes, ReplayLag: r.ReplayLag})
	}
	if u := w.Upstream; u != nil {
		up := &sources.DBUpstream{Status: str(u.Status), Sender: str(u.Sender), LagBytes: u.LagBytes}
		if u.LagBytes != nil && *u.LagBytes == 0 {
			zero := 0.0
			up.ReplayLag = &zero // caught up: the last replay's age only says the primary is quiet
		} else {
			up.ReplayLag = u.ReplayAge
		}
		st.Replication.Upstream = up
	}
	for _, s := range w.Sessions {
		st.Sessions = append(st.Sessions, s.session())
	}
	return st, w.Size, found, nil
}

// AlembicVersion reads alembic_version through the pool: the revisions the
// database is at. hasTable is false when the database is not under Alembic's
// control. One round trip.
func (c *Client) AlembicVersion(ctx context.Context) (current []string, hasTable bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	results, err := c.exec(ctx, ownMark+"SELECT version_num FROM alembic_version ORDER BY 1")
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42P01" { // undefined_table
			return nil, false, nil
		}
		return nil, false, c.describe(ctx, err)
	}
	current = []string{}
	for _, r := range results {
		for _, row := range r.Rows {
			current = append(current, string(row[0]))
		}
	}
	return current, true, nil
}

// Schema reads the database's structure (one round trip, catalogue only, in
// a read-only transaction).
func (c *Client) Schema(ctx context.Context) (sources.Schema, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	results, err := c.exec(ctx, transaction(true, c.opts.StatementTimeout, schemaSQL))
	if err != nil {
		return sources.Schema{}, c.describe(ctx, err)
	}
	for _, r := range results {
		if len(r.Rows) == 1 && len(r.Rows[0]) == 1 {
			var s sources.Schema
			if err := json.Unmarshal(r.Rows[0][0], &s); err != nil {
				return sources.Schema{}, fmt.Errorf("postgres answered an unreadable schema: %v", err)
			}
			return s, nil
		}
	}
	return sources.Schema{}, errors.New("postgres answered no schema")
}
