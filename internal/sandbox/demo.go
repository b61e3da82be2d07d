package sandbox

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opsdeck/opsdeck/internal/sandbox/originapi"
	originslo "github.com/opsdeck/opsdeck/internal/sandbox/originapi/slo"
	"github.com/opsdeck/opsdeck/internal/sandbox/otellogs"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/alertmanager"
	"github.com/opsdeck/opsdeck/sources/celery"
	"github.com/opsdeck/opsdeck/sources/httpapi"
	"github.com/opsdeck/opsdeck/sources/postgres"
)

//go:embed alembic
var alembicProject embed.FS

// History is how much simulated past the sandbox's Prometheus starts with.
const History = 30 * time.Minute

// PastBefore and PastAfter are the stretch around this moment a day and a
// week ago that the sandbox also holds: the ghost line's history for every
// chart window up to an hour, for the first hour of the demo.
const (
	PastBefore = 75 * time.Minute
	PastAfter  = time.Hour
)

// DemoRevision is where the sandbox database stops: two migrations short of
// head, so the drift pane has something to say.
const DemoRevision = "c7d0e5f19a24"

// Each step of Start is bounded; StartTimeout is their sum, the longest a
// start can take before it gives up (it takes some 12 s on two busy cores).
// The bounds are the ones sandboxtest gives the same servers
// (sandboxtest.New*), so that a machine slow enough to fail the demo fails the
// tests too.
const (
	// Two listeners on loopback.
	apiBound = time.Second
	// Alertmanager alone: Prometheus needs its address.
	alertmanagerBound = time.Minute
	// Prometheus (with its 30 minutes of history), PostgreSQL, Redis and
	// Jaeger start together: the longest of their bounds (60 s, 60 s, 30 s,
	// and Jaeger, once built, starts in seconds).
	serversBound = time.Minute
	// Three alembic runs (each a Python start) and a schema dump.
	alembicBound = time.Minute
	seedBound    = 30 * time.Second
	// pgbouncer's 30 s, and the worker's and the two updates' sessions
	// seen at their locks.
	pgbouncerBound = 30*time.Second + lockSessionsBound
	// One request to Alertmanager.
	silenceBound = 10 * time.Second
	// The past's log lines, simulated and sent (a second or two).
	logsBound = 30 * time.Second
	// Two workers, one after the other, 60 s each.
	celeryBound = 2 * time.Minute

	lockSessionsBound = 15 * time.Second

	StartTimeout = apiBound + alertmanagerBound + serversBound + alembicBound + seedBound + pgbouncerBound + silenceBound + celeryBound + logsBound
)

// StopTimeout bounds Stop: the Celery workers one after the other, then
// pgbouncer, then the other servers together, each given sandboxtest's
// 10 s to stop before it is killed; and the directory's removal.
const StopTimeout = 4*10*time.Second + 5*time.Second

// Options shape the sandbox.
type Options struct {
	// IncidentEvery is the length of one incident cycle (default 5m).
	IncidentEvery time.Duration
	// Log receives progress lines ("starting Prometheus… ok").
	Log io.Writer
}

// Sandbox is a running demo environment.
type Sandbox struct {
	Dir          string
	ConfigPath   string
	Prometheus   *servers.Prometheus
	Postgres     *servers.Postgres
	Redis        *servers.Redis
	Pgbouncer    *servers.Pgbouncer
	Alertmanager *servers.Alertmanager
	// Jaeger is nil when it has not been built (make jaeger).
	Jaeger *servers.Jaeger
	// Logs is nil when VictoriaLogs has not been built (make victorialogs)
	// or did not start.
	Logs    *servers.VictoriaLogs
	APIAddr string
	worker  *servers.Session // a long-running query, as a Celery worker's
	// waiters are the API's updates queued behind the worker's row lock.
	waiters []*servers.Session
	// celery are the Celery workers of the sandbox's task queue.
	celeryMu       sync.Mutex
	celery         map[string]*servers.CeleryWorker
	workers        map[string]servers.CeleryOptions // celeryWorkers as they can run here
	celeryStarting bool                             // a restart is under way

	cancel context.CancelFunc
	once   sync.Once
}

// requirement is a binary the sandbox needs and its Debian package.
type requirement struct{ bin, pkg string }

var requirements = []requirement{
	{"prometheus", "prometheus"}, {"promtool", "prometheus"}, {"postgres", "postgresql"}, {"initdb", "postgresql"},
	{"redis-server", "redis-server"}, {"alembic", "alembic"}, {"pgbouncer", "pgbouncer"},
	{"prometheus-alertmanager", "prometheus-alertmanager"},
}

// Check reports every missing binary at once, with the apt command that fixes it.
func Check() error {
	var missing, pkgs []string
	seen := map[string]bool{}
	for _, r := range requirements {
		if _, err := servers.LookPath(r.bin, r.pkg); err != nil {
			missing = append(missing, r.bin)
			if !seen[r.pkg] {
				seen[r.pkg] = true
				pkgs = append(pkgs, r.pkg)
			}
		}
	}
	if err := exec.Command("/usr/bin/python3", "-c", "import psycopg2").Run(); err != nil {
		missing = append(missing, "python3 module psycopg2")
		pkgs = append(pkgs, "python3-psycopg2")
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("the demo sandbox needs %s, which this machine lacks.\n"+
		"Install with: sudo apt-get install %s   (or run: make demo, which runs scripts/deps.sh)\n"+
		"Nothing was started: without Prometheus the demo would show nothing true",
		strings.Join(missing, ", "), strings.Join(pkgs, " "))
}

// Start brings the sandbox up, each step within its bound (StartTimeout in
// all). On error everything already started is stopped.
func Start(ctx context.Context, o Options) (_ *Sandbox, err error) {
	if err := Check(); err != nil {
		return nil, err
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.IncidentEvery <= 0 {
		o.IncidentEvery = 5 * time.Minute
	}
	removeStale(o.Log)
	dir, err := os.MkdirTemp("", "opsdeck-demo-")
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	s := &Sandbox{Dir: dir, cancel: cancel}
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()
	if err := os.WriteFile(filepath.Join(dir, "pid"), []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		return nil, err
	}

	step := func(what string, bound time.Duration, f func(ctx context.Context) error) error {
		start := time.Now()
		fmt.Fprintf(o.Log, "  %-56s", what+"…")
		sctx, cancel := context.WithTimeout(ctx, bound)
		defer cancel()
		if err := f(sctx); err != nil {
			fmt.Fprintln(o.Log, "failed")
			if sctx.Err() != nil && ctx.Err() == nil {
				return fmt.Errorf("%s: not done within %s: %w", what, bound, err)
			}
			return fmt.Errorf("%s: %w", what, err)
		}
		fmt.Fprintf(o.Log, "ok (%s)\n", time.Since(start).Round(10*time.Millisecond))
		return nil
	}

	// The demo's story starts half an hour ago, so that charts open full and
	// history already holds an incident or two.
	// Two instances: the incidents hit one route of the first, so that a
	// breakdown has something to find; the second stays healthy.
	now := time.Now()
	sched := originapi.Schedule{Start: now.Add(-History), Period: o.IncidentEvery, Hit: "/api/chat"}
	// The healthy instance was deployed a few minutes into the story: a
	// restart and a deploy for the charts to mark.
	quiet := originapi.Schedule{Start: sched.Start, Quiet: true,
		Deploys: []originapi.Deploy{{At: now.Add(-History / 4).Truncate(time.Second), Version: "1.4.2"}}}
	var second string
	var apis []*originapi.API
	var runs []func()
	if err := step("synthetic Origin API, two instances", apiBound, func(context.Context) error {
		for i, sc := range []originapi.Schedule{sched, quiet} {
			api := originapi.New()
			apis = append(apis, api)
			addr, err := api.Serve(runCtx)
			if err != nil {
				return err
			}
			if i == 0 {
				s.APIAddr = addr
			} else {
				second = addr
			}
			// Its traffic starts once its traces have somewhere to go: an
			// exemplar must name a trace the backend has.
			seed := uint64(now.UnixNano()) + uint64(i)
			runs = append(runs, func() { go api.Run(runCtx, sc, seed) })
		}
		return nil
	}); err != nil {
		return nil, err
	}
	history := func(w io.Writer) error {
		seed := uint64(now.UnixNano()) + 2
		// An ordinary hour and more a day and a week ago, for the ghost line
		// (g), then the story's own past.
		var spans []originapi.Span
		for _, ago := range []time.Duration{7 * 24 * time.Hour, 24 * time.Hour} {
			spans = append(spans, originapi.Span{From: now.Add(-ago - PastBefore), To: now.Add(-ago + PastAfter), Interval: 15 * time.Second, Quiet: true})
		}
		spans = append(spans, originapi.Span{From: sched.Start, To: now, Interval: 5 * time.Second})
		return originapi.BackfillSpans(w, spans,
			originapi.Instance{Sched: sched, Labels: map[string]string{"job": "fastapi-app", "instance": s.APIAddr}, Seed: seed},
			originapi.Instance{Sched: quiet, Labels: map[string]string{"job": "fastapi-app", "instance": second}, Seed: seed + 1})
	}

	// The servers start in parallel; each takes a second or two. Jaeger
	// only when it was built (a build takes minutes: make jaeger).
	// Alertmanager first: Prometheus sends it its alerts.
	if err := step("Alertmanager", alertmanagerBound, func(ctx context.Context) error {
		var err error
		s.Alertmanager, err = servers.StartAlertmanager(ctx)
		return err
	}); err != nil {
		return nil, err
	}
	withJaeger := servers.JaegerBuilt()
	if !withJaeger {
		fmt.Fprintln(o.Log, "  (no traces: Jaeger is not built; `make jaeger` builds it once)")
	}
	withLogs := servers.VictoriaLogsBuilt()
	if !withLogs {
		fmt.Fprintln(o.Log, "  (no logs: VictoriaLogs is not built; `make victorialogs` builds it once)")
	}
	var logsErr error // the logs are optional: a VictoriaLogs that fails is said, not fatal
	started := []string{"Prometheus", "PostgreSQL", "Redis"}
	if withJaeger {
		started = append(started, "Jaeger")
	}
	if withLogs {
		started = append(started, "VictoriaLogs")
	}
	if err := step(strings.Join(started[:len(started)-1], ", ")+" and "+started[len(started)-1], serversBound, func(ctx context.Context) error {
		var wg sync.WaitGroup
		errs := make([]error, 4)
		if withJaeger {
			wg.Go(func() { s.Jaeger, errs[3] = servers.StartJaeger(ctx) })
		}
		if withLogs {
			wg.Go(func() { s.Logs, logsErr = servers.StartVictoriaLogs(ctx) })
		}
		wg.Go(func() {
			s.Prometheus, errs[0] = servers.StartPrometheus(ctx, servers.PrometheusOptions{
				Targets: []string{s.APIAddr, second}, Job: "fastapi-app", Rules: DemoRules, History: history, Exemplars: true,
				MoreRules:    []string{originslo.Rules()}, // Origin's SLOs, sloth's rules: the incidents burn their budget
				Alertmanager: s.Alertmanager.Addr(),
			})
		})
		wg.Go(func() {
			s.Postgres, errs[1] = servers.StartPostgres(ctx, servers.PostgresOptions{User: "origin", Database: "origin_db",
				Settings: map[string]string{"shared_preload_libraries": "pg_stat_statements"}})
		})
		wg.Go(func() { s.Redis, errs[2] = servers.StartRedis(ctx, servers.RedisOptions{}) })
		wg.Wait()
		return errors.Join(errs...)
	}); err != nil {
		return nil, err
	}
	if s.Jaeger != nil {
		for _, api := range apis {
			if err := api.ExportSpans(runCtx, s.Jaeger.OTLPEndpoint()); err != nil {
				return nil, err
			}
		}
	}
	if logsErr != nil {
		fmt.Fprintf(o.Log, "  (no logs: VictoriaLogs did not start: %v)\n", logsErr)
	}
	if s.Logs != nil {
		for _, api := range apis {
			if err := api.ExportLogs(runCtx, s.Logs.OTLPLogsURL()); err != nil {
				return nil, err
			}
		}
	}
	if s.Logs != nil {
		// The metrics' past has its logs too: the volume strip and the
		// report see the story's earlier incidents. Optional, as the logs are.
		if err := step("the API's logs of the last "+now.Sub(sched.Start).Round(time.Minute).String(), logsBound, func(ctx context.Context) error {
			l, err := otellogs.New(ctx, s.Logs.OTLPLogsURL(), originapi.ServiceName)
			if err != nil {
				return err
			}
			defer l.Shutdown(context.WithoutCancel(ctx))
			return originapi.BackfillLogs(ctx, l, originapi.Instance{Sched: sched, Seed: uint64(now.UnixNano()) + 2}, sched.Start, now)
		}); err != nil {
			fmt.Fprintf(o.Log, "  (no past logs: %v)\n", err)
		}
	}
	for _, run := range runs {
		run()
	}
	alembicDir := filepath.Join(dir, "alembic")
	referencePath := filepath.Join(dir, "schema-at-head.json")
	if err := step("Alembic upgrade to "+DemoRevision+" (of 5)", alembicBound, func(ctx context.Context) error {
		if err := writeAlembicProject(alembicDir); err != nil {
			return err
		}
		if err := s.Postgres.Exec(ctx, statementsExtension); err != nil {
			return err
		}
		if err := servers.Alembic(ctx, alembicDir, s.Postgres.URL(), "upgrade", DemoRevision); err != nil {
			return err
		}
		// The schema reference: a database at head, dumped as CI would.
		return dumpHeadSchema(ctx, s.Postgres, alembicDir, referencePath)
	}); err != nil {
		return nil, err
	}
	if err := step("seed rows and keys", seedBound, func(ctx context.Context) error {
		if err := seedPostgres(ctx, s.Postgres); err != nil {
			return err
		}
		return seedRedis(ctx, s.Redis)
	}); err != nil {
		return nil, err
	}
	// As in Origin, the application reaches the database through pgbouncer.
	if err := step("pgbouncer, a busy worker and the updates it holds up", pgbouncerBound, func(ctx context.Context) error {
		var err error
		if s.Pgbouncer, err = servers.StartPgbouncer(ctx, s.Postgres, servers.PgbouncerOptions{}); err != nil {
			return err
		}
		// The worker's transaction holds a row lock on messages: the pending
		// migration, whose foreign key to messages needs a lock that
		// conflicts, would queue behind it (the preflight says so).
		s.worker, err = s.Postgres.StartSession("celery-worker",
			"UPDATE messages SET content = content WHERE id = (SELECT min(id) FROM messages); SELECT pg_sleep(86400) /* app.tasks.reindex_embeddings */")
		if err != nil {
			return err
		}
		// Two of the API's updates of that row queue behind it, the second
		// behind the first: a lock tree three deep. Cancelling the worker
		// lets them through.
		wait, cancel := context.WithTimeout(ctx, lockSessionsBound)
		defer cancel()
		if _, err := s.Postgres.ActivePID(wait, "celery-worker"); err != nil {
			return err
		}
		for _, app := range []string{"fastapi", "fastapi-2"} {
			w, err := s.Postgres.StartSession(app, "UPDATE messages SET content = content WHERE id = (SELECT min(id) FROM messages) /* app.api.edit_message */")
			if err != nil {
				return err
			}
			s.waiters = append(s.waiters, w)
			if _, err := s.Postgres.WaitingPID(wait, app); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if err := step("a silence on the watchdog alert", silenceBound, s.silenceWatchdog); err != nil {
		return nil, err
	}
	go s.driveQueue(runCtx, sched)
	go s.driveDatabase(runCtx)
	s.celeryPools(o.Log)
	if err := step("two Celery workers and a producer", celeryBound, s.startCelery); err != nil {
		// Celery is one pane of many: the demo goes on without its workers
		// and says why (the pane then says no worker answers).
		if ctx.Err() != nil {
			return nil, err
		}
		fmt.Fprintf(o.Log, "  (no Celery workers: %v)\n", err)
	}
	go s.driveCelery(runCtx, sched)
	s.ConfigPath = filepath.Join(dir, "opsdeck.yaml")
	if err := os.WriteFile(s.ConfigPath, []byte(s.config(alembicDir, referencePath)), 0o600); err != nil {
		return nil, err
	}
	return s, nil
}

// config is the opsdeck.yaml of the sandbox. The environment is disposable:
// it exists to be reset.
func (s *Sandbox) config(alembicDir, schemaReference string) string {
	return fmt.Sprintf(`# Written by opsdeck demo; removed with the sandbox.
refresh: 2s
window: 15m
default_environment: demo
environments:
  demo:
    prometheus: {url: %q, selector: 'job="fastapi-app"'}
    postgres: {url: %q, pgbouncer_url: %q}
    redis: {url: %q, queues: [celery]}
    alembic: {dir: %q, env: {DATABASE_URL: %q}}
    schema_reference: %q
    alertmanager: {url: %q}
    celery: {broker_url: %q}
    disposable: true
%s`, s.Prometheus.URL(), s.Pgbouncer.URL(s.Postgres.Database, s.Postgres.User), s.Pgbouncer.URL("pgbouncer", s.Postgres.User), s.Redis.URL(0), alembicDir, s.Postgres.URL(), schemaReference,
		s.Alertmanager.URL(), s.Redis.URL(CeleryDB), s.tracing()+s.logging())
}

// silenceWatchdog silences the always-firing watchdog alert, as a team
// whose dead man's switch watches it would: the alerts view opens with a
// silence in it.
func (s *Sandbox) silenceWatchdog(ctx context.Context) error {
	am, err := alertmanager.New(httpapi.APIOptions{URL: s.Alertmanager.URL()})
	if err != nil {
		return err
	}
	defer am.Close()
	now := time.Now()
	_, err = am.CreateSilence(ctx, sources.Silence{Matchers: []sources.Matcher{{Name: "alertname", Value: "OriginWatchdog", IsEqual: true}},
		StartsAt: now, EndsAt: now.Add(24 * time.Hour), CreatedBy: "opsdeck demo", Comment: "the watchdog pages a dead man's switch, not people"})
	return err
}

// tracing is the sandbox's tracing block: its Jaeger, when it has one.
func (s *Sandbox) tracing() string {
	if s.Jaeger == nil {
		return ""
	}
	return fmt.Sprintf("    tracing: {jaeger_url: %q, ui_url: %q, service: %s}\n", s.Jaeger.QueryURL(), s.Jaeger.QueryURL()+"/trace/{trace_id}", originapi.ServiceName)
}

// logging is the sandbox's logs block: its VictoriaLogs, when it has one.
func (s *Sandbox) logging() string {
	if s.Logs == nil {
		return ""
	}
	// The API's lines and its workers': the console goes from a Celery
	// failure to the worker's lines as from a trace to the API's.
	return fmt.Sprintf("    logs: {url: %q, query: 'service.name:in(%q, %q)'}\n", s.Logs.URL(), originapi.ServiceName, "origin-worker")
}

// Stop stops every server and removes the sandbox directory. Safe to call twice.
func (s *Sandbox) Stop() {
	s.once.Do(func() {
		s.cancel()
		var wg sync.WaitGroup
		_ = s.worker.Stop()
		for _, w := range s.waiters {
			_ = w.Stop()
		}
		s.celeryMu.Lock()
		for _, w := range s.celery {
			_ = w.Stop()
		}
		s.celeryMu.Unlock()
		_ = s.Pgbouncer.Stop()
		for _, stop := range []func() error{s.Prometheus.Stop, s.Postgres.Stop, s.Redis.Stop, s.Jaeger.Stop, s.Logs.Stop, s.Alertmanager.Stop} {
			wg.Add(1)
			go func() { defer wg.Done(); _ = stop() }()
		}
		wg.Wait()
		os.RemoveAll(s.Dir)
	})
}

// removeStale deletes sandboxes whose opsdeck died without cleaning up
// (killed with SIGKILL). Their servers died with it (parent-death signal).
func removeStale(log io.Writer) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "opsdeck-demo-*"))
	for _, d := range dirs {
		data, err := os.ReadFile(filepath.Join(d, "pid"))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
		if err != nil || syscall.Kill(pid, 0) == nil {
			continue // alive (or not ours to judge)
		}
		if os.RemoveAll(d) == nil {
			fmt.Fprintf(log, "  removed a stale sandbox left by process %d: %s\n", pid, d)
		}
	}
}

func writeAlembicProject(dir string) error {
	return fs.WalkDir(alembicProject, "alembic", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(dir, strings.TrimPrefix(path, "alembic"))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := alembicProject.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}

// dumpHeadSchema upgrades a second database to head and writes its schema
// where schema_reference reads it, as `opsdeck schema dump` would.
func dumpHeadSchema(ctx context.Context, pg *servers.Postgres, alembicDir, path string) error {
	const head = "origin_db_head"
	if err := pg.Exec(ctx, "CREATE DATABASE "+head); err != nil {
		return err
	}
	if err := pg.ExecIn(ctx, head, statementsExtension); err != nil {
		return err
	}
	if err := servers.Alembic(ctx, alembicDir, pg.URLFor(head), "upgrade", "head"); err != nil {
		return err
	}
	c, err := postgres.New(postgres.Options{URL: pg.URLFor(head)})
	if err != nil {
		return err
	}
	defer c.Close()
	schema, err := c.Schema(ctx)
	if err != nil {
		return err
	}
	data, err := json.MarshalIndent(schema, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}

func seedPostgres(ctx context.Context, pg *servers.Postgres) error {
	return pg.Exec(ctx, `
		INSERT INTO users (email) SELECT 'user' || i || '@example.com' FROM generate_series(1, 40) i;
		INSERT INTO conversations (user_id, title)
			SELECT 1 + (i % 40), 'conversation ' || i FROM generate_series(1, 120) i;
		INSERT INTO messages (conversation_id, role, content)
			SELECT 1 + (i % 120), (ARRAY['user','assistant'])[1 + i % 2], 'message ' || i FROM generate_series(1, 2000) i;
		ANALYZE;`)
}

// seedRedis fills database 0 (cache, sessions and the Celery queue) and
// database 1 (the Celery result backend).
func seedRedis(ctx context.Context, r *servers.Redis) error {
	var cache [][]string
	for i := 0; i < 300; i++ {
		cache = append(cache, []string{"SET", fmt.Sprintf("cache:user:%d", i), fmt.Sprintf(`{"id":%d}`, i)})
	}
	for i := 0; i < 120; i++ {
		cache = append(cache, []string{"SET", fmt.Sprintf("session:%d", i), "active", "EX", "7200"})
	}
	for i := 0; i < QueueLength; i++ {
		cache = append(cache, []string{"RPUSH", "celery", fmt.Sprintf(`{"task":"app.tasks.summarize","id":"demo-%d"}`, i)})
	}
	if err := r.Do(ctx, 0, cache...); err != nil {
		return err
	}
	var results [][]string
	for i := 0; i < 50; i++ {
		results = append(results, []string{"SET", fmt.Sprintf("celery-task-meta-demo-%d", i), `{"status":"SUCCESS"}`, "EX", "86400"})
	}
	return r.Do(ctx, 1, results...)
}

// QueueLength is how many tasks wait in the demo's Celery queue when calm.
const QueueLength = 37

// queueTarget is the Celery queue's length at t: while latency is degraded
// the workers fall behind and tasks pile up past Origin's backlog threshold
// (100), then drain.
func queueTarget(sched originapi.Schedule, t time.Time) int {
	period := sched.Period
	phase := float64(t.Sub(sched.Start)%period) / float64(period)
	switch {
	case phase >= 0.55 && phase < 0.85: // the latency incident
		return QueueLength + int((phase-0.55)/0.30*130)
	case phase >= 0.85: // draining
		return QueueLength + int((1-phase)/0.15*130)
	}
	return QueueLength
}

// driveQueue keeps the queue's length on queueTarget.
func (s *Sandbox) driveQueue(ctx context.Context, sched originapi.Schedule) {
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			want := queueTarget(sched, now)
			cur, err := s.Redis.Get(ctx, "LLEN", "celery")
			n, _ := strconv.Atoi(cur)
			if err != nil {
				continue
			}
			if n < want {
				cmd := []string{"RPUSH", "celery"}
				for i := n; i < want; i++ {
					cmd = append(cmd, fmt.Sprintf(`{"task":"app.tasks.summarize","id":"demo-%d"}`, i))
				}
				_ = s.Redis.Do(ctx, 0, cmd)
			} else if n > want {
				_ = s.Redis.Do(ctx, 0, []string{"LTRIM", "celery", strconv.Itoa(n - want), "-1"})
			}
		}
	}
}

// CeleryDB is the Redis database of the sandbox's Celery broker and
// results (apart from the cache's, which a reset flushes).
const CeleryDB = 2

// celeryWorkers are the sandbox's workers: one on every queue (prefork),
// one on the urgent and the slow queues (gevent), which the latency
// incidents stop.
var celeryWorkers = map[string]servers.CeleryOptions{
	"worker-a": {Name: "worker-a", Pool: "prefork", Concurrency: 2},
	"worker-b": {Name: "worker-b", Pool: "gevent", Concurrency: 8, Queues: []string{"high_priority", "low_priority"}},
}

// celeryPools gives a worker whose pool cannot run here the prefork pool,
// saying so: the demo shows Celery with one kind of pool fewer rather than
// none.
func (s *Sandbox) celeryPools(log io.Writer) {
	s.celeryMu.Lock()
	defer s.celeryMu.Unlock()
	s.workers = map[string]servers.CeleryOptions{}
	for name, o := range celeryWorkers {
		if err := servers.CeleryPoolReady(o.Pool); err != nil {
			fmt.Fprintf(log, "  (%s runs on the prefork pool: %v)\n", name, err)
			o.Pool, o.Concurrency = "prefork", 2
		}
		s.workers[name] = o
	}
}

// startCelery starts the workers that are not running.
func (s *Sandbox) startCelery(ctx context.Context) error {
	s.celeryMu.Lock()
	workers := s.workers
	s.celeryMu.Unlock()
	for name, o := range workers {
		s.celeryMu.Lock()
		running := s.celery[name] != nil
		s.celeryMu.Unlock()
		if running {
			continue
		}
		o.BrokerURL, o.Parent = s.Redis.URL(CeleryDB), s.Dir
		if s.Logs != nil {
			o.LogsURL = s.Logs.URL()
		}
		w, err := servers.StartCeleryWorker(ctx, o)
		if err != nil {
			return err
		}
		s.celeryMu.Lock()
		if s.celery == nil {
			s.celery = map[string]*servers.CeleryWorker{}
		}
		s.celery[name] = w
		s.celeryMu.Unlock()
	}
	return nil
}

// driveCelery is the API's background work: summaries and notifications
// all the time, a clean-up now and then; during the error incidents a
// re-index that fails and a profile sync that retries; during the latency
// incidents worker-b is stopped (its queues back up) and started again
// after.
func (s *Sandbox) driveCelery(ctx context.Context, sched originapi.Schedule) {
	c, err := celery.New(celery.Options{BrokerURL: s.Redis.URL(CeleryDB)})
	if err != nil {
		return
	}
	defer c.Close()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	send := func(name, queue string, args ...any) {
		q, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		_, _ = c.Send(q, name, args, nil, queue, "fastapi@demo")
	}
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			send("app.tasks.summarize", "default", 1+i%120)
			if i%2 == 0 {
				send("app.tasks.notify_user", "high_priority", 1+i%40)
			}
			if i%10 == 0 {
				send("app.tasks.cleanup_sessions", "low_priority", "2h")
			}
			switch sched.At(now).Incident {
			case "errors":
				send("app.tasks.reindex_embeddings", "default", fmt.Sprintf("conversation-%d", 1+i%120))
				if i%5 == 0 {
					send("app.tasks.sync_profile", "default", 1+i%40)
				}
			case "latency":
				s.celeryMu.Lock()
				w := s.celery["worker-b"]
				delete(s.celery, "worker-b")
				s.celeryMu.Unlock()
				if w != nil {
					_ = w.Kill() // as an OOM kill would: no goodbye
					_ = w.Stop()
				}
			default:
				s.celeryMu.Lock()
				restart := s.celery["worker-b"] == nil && !s.celeryStarting
				s.celeryStarting = s.celeryStarting || restart
				s.celeryMu.Unlock()
				if restart {
					go func() {
						_ = s.startCelery(ctx)
						s.celeryMu.Lock()
						s.celeryStarting = false
						s.celeryMu.Unlock()
					}()
				}
			}
		}
	}
}

// statementsExtension gives the sandbox's databases pg_stat_statements
// (preloaded by the server): the Postgres statements view reads it.
const statementsExtension = "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"

// driveDatabase is the API's traffic on PostgreSQL, directly (not through
// pgbouncer), for the statements view to show: reads of a conversation's
// messages several times a second, a user lookup, and now and then a new
// message. Errors (the database reset, or down) are left to the next tick.
func (s *Sandbox) driveDatabase(ctx context.Context) {
	cfg, err := pgx.ParseConfig(s.Postgres.URL())
	if err != nil {
		return
	}
	cfg.RuntimeParams["application_name"] = "fastapi"
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if conn == nil || conn.IsClosed() {
			if conn, err = pgx.ConnectConfig(ctx, cfg); err != nil {
				conn = nil
				continue
			}
		}
		q, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, _ = conn.Exec(q, "SELECT id, role, content FROM messages WHERE conversation_id = $1 ORDER BY created_at DESC LIMIT 20", 1+i%120)
		if i%4 == 0 {
			_, _ = conn.Exec(q, "SELECT id, email FROM users WHERE id = $1", 1+i%40)
		}
		if i%20 == 0 {
			_, _ = conn.Exec(q, "INSERT INTO messages (conversation_id, role, content) VALUES ($1, 'user', $2)", 1+i%120, fmt.Sprintf("demo message %d", i))
		}
		cancel()
	}
}

// DemoRules are Origin's alert rules with windows and "for" durations cut
// down so that alerts fire during the demo's short incidents.
const DemoRules = `groups:
  - name: origin-api
    rules:
      - alert: OriginHighErrorRate
        expr: |
          clamp_min(
            sum(increase(http_requests_total{status=~"5.."}[1m]))
            /
            sum(increase(http_requests_total[1m])),
            0
          ) > 0.05
        for: 20s
        labels:
          severity: critical
        annotations:
          summary: "High API error rate"
      - alert: OriginP95LatencyDegraded
        expr: |
          histogram_quantile(
            0.95,
            sum(rate(http_request_duration_seconds_bucket[1m])) by (le)
          ) > 2
        for: 20s
        labels:
          severity: warning
        annotations:
          summary: "P95 latency is above 2s"
      - alert: OriginWatchdog
        expr: vector(1)
        labels:
          severity: none
        annotations:
          summary: "Always firing: the alerting pipeline is alive"
          description: "Prometheus evaluates its rules and Alertmanager receives them. The demo silences it; an on-call setup routes it to a dead man's switch."
`
