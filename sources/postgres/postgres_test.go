package postgres

import (
	"context"
	"errors"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opsdeck/opsdeck/internal/sandbox/faults"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
	"github.com/opsdeck/opsdeck/sources"
)

// connect opens a test session tagged with an application name.
func connect(t *testing.T, url, app string) *pgx.Conn {
	t.Helper()
	ctx, cancel := wait.Bounded(t)
	defer cancel()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["application_name"] = app
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("connect %s: %v", app, err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func pid(t *testing.T, c *pgx.Conn) int {
	t.Helper()
	var p int
	if err := c.QueryRow(context.Background(), "SELECT pg_backend_pid()").Scan(&p); err != nil {
		t.Fatal(err)
	}
	return p
}

// background runs sql on c until the session is terminated at cleanup (the
// terminating cleanup must be registered after this call, to run before it).
func background(t *testing.T, c *pgx.Conn, sql string) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = c.Exec(context.Background(), sql)
	}()
	t.Cleanup(func() { <-done })
}

func exec(t *testing.T, c *pgx.Conn, sql string) {
	t.Helper()
	if _, err := c.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// countingDial counts the writes on every connection it makes: one write is
// one round trip for pgx, which buffers a whole message group.
type countingDial struct{ writes atomic.Int64 }

type countedConn struct {
	net.Conn
	d *countingDial
}

func (c countedConn) Write(b []byte) (int, error) {
	c.d.writes.Add(1)
	return c.Conn.Write(b)
}

func (d *countingDial) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return countedConn{c, d}, nil
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

func poll(t *testing.T, c *Client, req sources.DBRequest) sources.DBState {
	t.Helper()
	st, err := c.Poll(context.Background(), req)
	if err != nil {
		t.Fatalf("poll: %v", err)
	}
	return st
}

// waitFor polls until cond holds (the server's statistics lag a little)
// and returns the state that held.
func waitFor(t *testing.T, c *Client, what string, cond func(sources.DBState) bool) sources.DBState {
	t.Helper()
	var st sources.DBState
	wait.Eventually(t, what, func() error {
		var err error
		if st, err = c.Poll(context.Background(), sources.DBRequest{Sessions: true}); err != nil {
			return err
		}
		if !cond(st) {
			return errors.New("not yet")
		}
		return nil
	})
	return st
}

// TestPollAgreesWithServerUnderLoad creates idle sessions, an idle
// transaction, a long query, a row lock blocking another session and a
// deadlock, then checks each figure against the server's own answer.
func TestPollAgreesWithServerUnderLoad(t *testing.T) {
	t.Parallel()
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	ctx := context.Background()
	observer := connect(t, pg.URL(), "observer")
	exec(t, observer, `CREATE TABLE items (id int PRIMARY KEY, body text);
		INSERT INTO items SELECT g, repeat('x', 200) FROM generate_series(1, 5000) g;
		CREATE TABLE small (id int PRIMARY KEY); INSERT INTO small VALUES (1), (2);
		ANALYZE items; ANALYZE small`)

	for i := 0; i < 3; i++ {
		connect(t, pg.URL(), "load-idle")
	}
	iit := connect(t, pg.URL(), "load-iit")
	exec(t, iit, "BEGIN; SELECT 1")
	blocker := connect(t, pg.URL(), "load-blocker")
	exec(t, blocker, "BEGIN; UPDATE items SET body = 'locked' WHERE id = 1")
	sleeper := connect(t, pg.URL(), "load-sleep")
	background(t, sleeper, "SELECT pg_sleep(60)")
	activeIn(t, observer, "load-sleep", "")
	blocked := connect(t, pg.URL(), "load-blocked")
	blockedPID, blockerPID, sleeperPID, iitPID := pid(t, blocked), pid(t, blocker), 0, pid(t, iit)
	background(t, blocked, "UPDATE items SET body = 'waiting' WHERE id = 1")
	t.Cleanup(func() {
		_, _ = observer.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'load-%'")
	})

	dial := &countingDial{}
	c := newClient(t, Options{URL: pg.URL(), RequiredExtensions: []string{"plpgsql", "vector"}, Dial: dial.dial})
	st := waitFor(t, c, "the blocked session and the sleeper", func(st sources.DBState) bool {
		return len(st.Blocked) == 1 && st.LongestQuery != nil && st.LongestQuery.Application == "load-sleep"
	})
	if err := observer.QueryRow(ctx, "SELECT pid FROM pg_stat_activity WHERE application_name = 'load-sleep'").Scan(&sleeperPID); err != nil {
		t.Fatal(err)
	}

	// Sessions by state, as the server counts them (the two observers aside,
	// since each is busy exactly when it asks).
	rows, err := observer.Query(ctx, `SELECT coalesce(state, ''), count(*) FROM pg_stat_activity
		WHERE backend_type = 'client backend' AND application_name NOT IN ('observer', 'opsdeck') GROUP BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	server := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			t.Fatal(err)
		}
		server[s] = n
	}
	mine := map[string]int{}
	for _, s := range st.Sessions {
		if s.Application != "observer" && s.Application != "opsdeck" {
			mine[s.State]++
		}
	}
	if !mapsEqual(server, mine) {
		t.Errorf("sessions by state: opsdeck %v, server %v", mine, server)
	}
	if st.Connections.Total != len(st.Sessions) {
		t.Errorf("total %d, but %d sessions listed", st.Connections.Total, len(st.Sessions))
	}
	if st.Connections.IdleInTransaction != 2 { // load-iit and load-blocker
		t.Errorf("idle in transaction = %d, want 2", st.Connections.IdleInTransaction)
	}
	if st.Connections.Waiting != 1 {
		t.Errorf("waiting on a lock = %d, want 1", st.Connections.Waiting)
	}
	var maxConn int
	var version string
	var started time.Time
	if err := observer.QueryRow(ctx, "SELECT current_setting('max_connections')::int, current_setting('server_version'), pg_postmaster_start_time()").Scan(&maxConn, &version, &started); err != nil {
		t.Fatal(err)
	}
	if st.Connections.Max != maxConn || st.Version != version || !st.StartedAt.Equal(started) {
		t.Errorf("max/version/start = %d %q %v, server says %d %q %v", st.Connections.Max, st.Version, st.StartedAt, maxConn, version, started)
	}
	if st.Role != "primary" || !st.Privileged || len(st.Hidden) != 0 {
		t.Errorf("role %q privileged %v hidden %v", st.Role, st.Privileged, st.Hidden)
	}

	b := st.Blocked[0]
	if b.PID != blockedPID || !slices.Equal(b.BlockedBy, []int{blockerPID}) {
		t.Errorf("blocked = pid %d by %v, want pid %d by [%d]", b.PID, b.BlockedBy, blockedPID, blockerPID)
	}
	if st.LongestQuery.PID != sleeperPID || !strings.Contains(st.LongestQuery.Query, "pg_sleep(60)") || st.LongestQuery.QueryAge <= 0 {
		t.Errorf("longest query = %+v, want pid %d running pg_sleep", st.LongestQuery, sleeperPID)
	}
	if st.LongestTransaction == nil || st.LongestTransaction.PID != iitPID {
		t.Errorf("longest transaction = %+v, want pid %d (load-iit)", st.LongestTransaction, iitPID)
	}

	// Tables: the catalogue's estimates after ANALYZE.
	if len(st.Tables) < 2 || st.Tables[0].Name != "public.items" {
		t.Fatalf("largest tables = %+v", st.Tables)
	}
	var heap, total int64
	if err := observer.QueryRow(ctx, "SELECT pg_relation_size('items'), pg_total_relation_size('items')").Scan(&heap, &total); err != nil {
		t.Fatal(err)
	}
	if it := st.Tables[0]; it.RowsEstimate != 5000 || it.SizeBytes < heap || it.SizeBytes > total {
		t.Errorf("items: %d rows, %d bytes; want 5000 rows and %d..%d bytes", it.RowsEstimate, it.SizeBytes, heap, total)
	}
	var dbSize int64
	if err := observer.QueryRow(ctx, "SELECT pg_database_size(current_database())").Scan(&dbSize); err != nil {
		t.Fatal(err)
	}
	if diff := st.DatabaseSize - dbSize; diff < -dbSize/20 || diff > dbSize/20 {
		t.Errorf("database size %d, server says %d", st.DatabaseSize, dbSize)
	}
	var plpgsql string
	if err := observer.QueryRow(ctx, "SELECT extversion FROM pg_extension WHERE extname = 'plpgsql'").Scan(&plpgsql); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(st.Extensions, sources.DBExtension{Name: "plpgsql", Version: plpgsql}) || !slices.Equal(st.MissingExtensions, []string{"vector"}) {
		t.Errorf("extensions %v missing %v", st.Extensions, st.MissingExtensions)
	}

	// Rates between polls: 40 commits and a deadlock.
	before := poll(t, c, sources.DBRequest{})
	for i := 0; i < 40; i++ {
		exec(t, observer, "SELECT 1")
	}
	makeDeadlock(t, pg.URL())
	// Statistics reach shared memory up to a second after the fact: another
	// client waits for them, so that c's next poll spans exactly the work.
	waitFor(t, newClient(t, Options{URL: pg.URL()}), "the statistics", func(st sources.DBState) bool {
		return st.Counters.Deadlocks > before.Counters.Deadlocks && st.Counters.Commits >= before.Counters.Commits+40
	})
	after := poll(t, c, sources.DBRequest{})
	if after.Rates == nil || after.Rates.Deadlocks <= 0 || after.Rates.TPS <= 0 {
		t.Fatalf("rates after a deadlock = %+v", after.Rates)
	}
	var commits int64
	if err := observer.QueryRow(ctx, "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()").Scan(&commits); err != nil {
		t.Fatal(err)
	}
	if after.Counters.Commits < before.Counters.Commits+40 || after.Counters.Commits > commits {
		t.Errorf("commits %d -> %d, server now says %d", before.Counters.Commits, after.Counters.Commits, commits)
	}

	// One round trip per poll once connected.
	dial.writes.Store(0)
	poll(t, c, sources.DBRequest{})
	if n := dial.writes.Load(); n != 1 {
		t.Errorf("a poll took %d round trips, want 1", n)
	}
}

// activeIn waits until the session named app runs a query (waiting on
// waitType when given), as watcher sees it.
func activeIn(t *testing.T, watcher *pgx.Conn, app, waitType string) {
	t.Helper()
	wait.Eventually(t, app+"'s query running", func() error {
		var n int
		err := watcher.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE application_name = $1 AND state = 'active' AND ($2 = '' OR wait_event_type = $2)`, app, waitType).Scan(&n)
		if err == nil && n == 0 {
			err = errors.New("not yet")
		}
		return err
	})
}

// makeDeadlock has two sessions take two rows in opposite order.
func makeDeadlock(t *testing.T, url string) {
	t.Helper()
	a, b := connect(t, url, "load-dl-a"), connect(t, url, "load-dl-b")
	exec(t, a, "BEGIN; UPDATE small SET id = id WHERE id = 1")
	exec(t, b, "BEGIN; UPDATE small SET id = id WHERE id = 2")
	done := make(chan error, 1)
	go func() { _, err := a.Exec(context.Background(), "UPDATE small SET id = id WHERE id = 2"); done <- err }()
	activeIn(t, connect(t, url, "load-dl-watch"), "load-dl-a", "Lock")
	_, errB := b.Exec(context.Background(), "UPDATE small SET id = id WHERE id = 1")
	errA := <-done
	if errA == nil && errB == nil {
		t.Fatal("no deadlock was detected")
	}
	_, _ = a.Exec(context.Background(), "ROLLBACK")
	_, _ = b.Exec(context.Background(), "ROLLBACK")
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestRestrictedRole: a role without pg_read_all_stats still gets a state,
// and is told what it cannot see.
func TestRestrictedRole(t *testing.T) {
	t.Parallel()
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	if err := pg.Exec(context.Background(), "CREATE ROLE watcher LOGIN PASSWORD 'w4tch3r-pw'"); err != nil {
		t.Fatal(err)
	}
	connect(t, pg.URL(), "load-owner") // another role's idle session
	url := strings.Replace(pg.URL(), pg.User+":"+pg.Password, "watcher:w4tch3r-pw", 1)
	st := poll(t, newClient(t, Options{URL: url}), sources.DBRequest{Sessions: true})
	if st.Privileged || st.Connections.Hidden < 1 || len(st.Hidden) != 1 || !strings.Contains(st.Hidden[0], "pg_read_all_stats") {
		t.Fatalf("privileged %v, hidden %d, findings %q", st.Privileged, st.Connections.Hidden, st.Hidden)
	}
	if st.Version == "" || st.Connections.Max == 0 || st.DatabaseSize == 0 {
		t.Errorf("restricted role lost the basics: %+v", st)
	}
	if err := pg.Exec(context.Background(), "GRANT pg_read_all_stats TO watcher"); err != nil {
		t.Fatal(err)
	}
	st = poll(t, newClient(t, Options{URL: url}), sources.DBRequest{})
	if !st.Privileged || st.Connections.Hidden != 0 || len(st.Hidden) != 0 {
		t.Errorf("after GRANT: privileged %v hidden %d %q", st.Privileged, st.Connections.Hidden, st.Hidden)
	}
}

func TestAuthenticationFailureIsInWordsWithoutPassword(t *testing.T) {
	t.Parallel()
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	url := strings.Replace(pg.URL(), pg.Password, "wr0ng-s3cret", 1)
	_, err := newClient(t, Options{URL: url}).Poll(context.Background(), sources.DBRequest{})
	want := "authentication failed for user opsdeck at 127.0.0.1:" + itoa(pg.Port) + "/opsdeck"
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %q", err, want)
	}
}

func TestServerDownSaysSoAndRecovers(t *testing.T) {
	t.Parallel()
	port := sandboxtest.DeadPort(t)
	c := newClient(t, Options{URL: "postgresql://u:s3cret-pw@127.0.0.1:" + itoa(port) + "/db"})
	_, err := c.Poll(context.Background(), sources.DBRequest{})
	if err == nil || !strings.Contains(err.Error(), "connection refused by 127.0.0.1:"+itoa(port)+"/db") || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("error = %v", err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestReplication: a real streaming replica made with pg_basebackup.
func TestReplication(t *testing.T) {
	t.Parallel()
	primary := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	replica := sandboxtest.NewReplica(t, primary)
	pc := newClient(t, Options{URL: primary.URL()})
	// Some WAL, so that the replica reports how far it has replayed.
	if err := primary.Exec(context.Background(), "CREATE TABLE t AS SELECT generate_series(1, 1000) AS n"); err != nil {
		t.Fatal(err)
	}
	st := waitFor(t, pc, "a streaming replica", func(st sources.DBState) bool {
		return len(st.Replication.Replicas) == 1 && st.Replication.Replicas[0].State == "streaming" && st.Replication.Replicas[0].LagBytes != nil
	})
	r := st.Replication.Replicas[0]
	if r.Name != "replica1" || r.Client != "127.0.0.1" || r.LagBytes == nil || *r.LagBytes < 0 {
		t.Errorf("replica row = %+v", r)
	}
	rc := newClient(t, Options{URL: replica.URL()})
	rs := waitFor(t, rc, "the replica's receiver", func(st sources.DBState) bool {
		return st.Replication.Upstream != nil && st.Replication.Upstream.Status == "streaming" && st.Replication.Upstream.ReplayLag != nil
	})
	if rs.Role != "replica" || !strings.HasSuffix(rs.Replication.Upstream.Sender, ":"+itoa(primary.Port)) || rs.Replication.Upstream.ReplayLag == nil {
		t.Errorf("replica state: role %q upstream %+v", rs.Role, rs.Replication.Upstream)
	}
	if len(rs.Replication.Replicas) != 0 {
		t.Errorf("replica lists replicas: %+v", rs.Replication.Replicas)
	}
}

// TestPgbouncerPools: polled through pgbouncer (as Origin connects) with the
// admin console for pools; a refused console spoils only the pool section.
func TestPgbouncerPools(t *testing.T) {
	t.Parallel()
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	bouncer := sandboxtest.NewPgbouncer(t, pg, servers.PgbouncerOptions{Users: map[string]string{"nobody": "n0body-pw"}})
	app := connect(t, bouncer.URL(pg.Database, pg.User), "app")
	exec(t, app, "SELECT 1")

	c := newClient(t, Options{URL: bouncer.URL(pg.Database, pg.User), PgbouncerURL: bouncer.URL("pgbouncer", pg.User)})
	st := poll(t, c, sources.DBRequest{})
	if st.Pgbouncer == nil || st.Pgbouncer.Error != "" {
		t.Fatalf("pgbouncer = %+v", st.Pgbouncer)
	}
	var pool *sources.PgbouncerPool
	for i, p := range st.Pgbouncer.Pools {
		if p.Database == pg.Database && p.User == pg.User {
			pool = &st.Pgbouncer.Pools[i]
		}
	}
	if pool == nil || pool.Mode != "transaction" || pool.ServersActive+pool.ServersIdle < 1 {
		t.Fatalf("pool for %s/%s = %+v (all: %+v)", pg.Database, pg.User, pool, st.Pgbouncer.Pools)
	}
	if st.Version == "" || st.Database != pg.Database {
		t.Errorf("state through pgbouncer = %+v", st)
	}

	refused := newClient(t, Options{URL: bouncer.URL(pg.Database, pg.User), PgbouncerURL: bouncer.URL("pgbouncer", "nobody")})
	st = poll(t, refused, sources.DBRequest{})
	if st.Pgbouncer == nil || !strings.Contains(st.Pgbouncer.Error, "admin console refused user nobody") || st.Version == "" {
		t.Fatalf("refused console: %+v", st.Pgbouncer)
	}
	if strings.Contains(st.Pgbouncer.Error, "n0body-pw") {
		t.Fatal("error leaks the password")
	}
}

// TestRecoversWhenTheServerReturns: the server vanishes (connections cut,
// port closed) and comes back on the same address; the client says what is
// wrong meanwhile and reconnects by itself.
func TestRecoversWhenTheServerReturns(t *testing.T) {
	t.Parallel()
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	proxy := faults.NewProxy(t, "127.0.0.1:"+itoa(pg.Port))
	url := strings.Replace(pg.URL(), "127.0.0.1:"+itoa(pg.Port), proxy.Addr(), 1)
	c := newClient(t, Options{URL: url, Timeout: 2 * time.Second})
	poll(t, c, sources.DBRequest{})
	proxy.Down()
	for i := 0; i < 2; i++ { // the cut connection, then a refused one
		_, err := c.Poll(context.Background(), sources.DBRequest{})
		if err == nil || !(strings.Contains(err.Error(), "closed the connection") || strings.Contains(err.Error(), "connection refused by "+proxy.Addr()+"/opsdeck")) {
			t.Fatalf("poll %d with the server gone: %v", i, err)
		}
	}
	if err := proxy.Up(); err != nil {
		t.Fatal(err)
	}
	if st := poll(t, c, sources.DBRequest{}); st.Version == "" {
		t.Fatal("no state after the server returned")
	}
}

func TestPgbouncerConsoleMissing(t *testing.T) {
	t.Parallel()
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	port := sandboxtest.DeadPort(t)
	st := poll(t, newClient(t, Options{URL: pg.URL(), PgbouncerURL: "postgresql://stats:st4ts-pw@127.0.0.1:" + itoa(port) + "/pgbouncer"}), sources.DBRequest{})
	if st.Pgbouncer == nil || !strings.Contains(st.Pgbouncer.Error, "connection refused by 127.0.0.1:"+itoa(port)+"/pgbouncer (is pgbouncer running there?)") || st.Version == "" {
		t.Fatalf("pgbouncer section: %+v", st.Pgbouncer)
	}
}
