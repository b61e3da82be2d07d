package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opsdeck/opsdeck/internal/sandbox/originapi"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
)

type snapshotDoc struct {
	Environment string `json:"environment"`
	TakenAt     string `json:"taken_at"`
	Metrics     map[string]struct {
		Query  string   `json:"query"`
		Value  *float64 `json:"value"`
		Unit   string   `json:"unit"`
		Status string   `json:"status"`
		Error  *string  `json:"error"`
	} `json:"metrics"`
	Alerts  []map[string]any `json:"alerts"`
	Changes []struct {
		Time, Kind, Text string
	} `json:"changes"`
	SlowTraces []struct {
		Seconds float64 `json:"seconds"`
		Route   string  `json:"route"`
		TraceID string  `json:"trace_id"`
	} `json:"slow_traces"`
}

func TestSnapshotAgainstRealPrometheus(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := originapi.Start(t, originapi.Schedule{Start: time.Now(), Period: time.Hour}, 7)
	prom := sandboxtest.NewPrometheus(t, servers.PrometheusOptions{Targets: []string{addr}, Exemplars: true, Rules: `groups:
  - name: t
    rules:
      - alert: Firing
        expr: vector(1)
        labels: {severity: critical}
`})
	wait, cancelWait := context.WithTimeout(ctx, 30*time.Second)
	defer cancelWait()
	if err := prom.WaitFor(wait, `count_over_time(up[1m]) >= 4`, func(s []servers.Sample) bool { return len(s) == 1 }); err != nil {
		t.Fatal(err)
	}
	if err := prom.WaitFor(wait, `ALERTS{alertstate="firing"}`, func(s []servers.Sample) bool { return len(s) == 1 }); err != nil {
		t.Fatal(err)
	}
	cfg := writeFile(t, "snap.yaml", `environments:
  staging:
    prometheus: {url: "`+prom.URL()+`"}
    postgres: {url: "postgresql://origin:canary-snap-pw@127.0.0.1:1/origin_db"}
`)
	// One Prometheus, one scenario per command.
	t.Run("snapshot json", func(t *testing.T) {
		code, out, stderr := runCLI(t, nil, "--config", cfg, "snapshot")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if strings.Contains(out, "canary-snap-pw") {
			t.Fatal("snapshot leaks a password")
		}
		var doc snapshotDoc
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		at, err := time.Parse(time.RFC3339, doc.TakenAt)
		if err != nil || doc.Environment != "staging" {
			t.Fatalf("environment %q taken_at %q (%v)", doc.Environment, doc.TakenAt, err)
		}
		units := map[string]string{"rps": "req/s", "error_rate": "ratio", "p95_latency": "seconds", "memory": "bytes"}
		for key, unit := range units {
			m, ok := doc.Metrics[key]
			if !ok {
				t.Fatalf("metrics.%s missing", key)
			}
			if m.Unit != unit || m.Error == nil || *m.Error != "" || m.Value == nil {
				t.Errorf("%s: unit %q error %v value %v", key, m.Unit, m.Error, m.Value)
				continue
			}
			want, err := prom.Query(ctx, m.Query, at)
			if err != nil || len(want) != 1 {
				t.Fatalf("%s: prometheus: %v %v", key, want, err)
			}
			if *m.Value != want[0].Value {
				t.Errorf("%s: snapshot %v, Prometheus %v at %s", key, *m.Value, want[0].Value, doc.TakenAt)
			}
			if m.Status != "ok" && m.Status != "warn" && m.Status != "crit" {
				t.Errorf("%s: status %q", key, m.Status)
			}
		}
		if er := *doc.Metrics["error_rate"].Value; er < 0 || er > 1 || math.IsNaN(er) {
			t.Errorf("error_rate %v is not a ratio", er)
		}
		if len(doc.Alerts) != 1 || doc.Alerts[0]["name"] != "Firing" || doc.Alerts[0]["state"] != "firing" {
			t.Errorf("alerts = %v", doc.Alerts)
		}
		// The slowest traced requests, from the P95's exemplars.
		if len(doc.SlowTraces) == 0 || len(doc.SlowTraces) > 5 {
			t.Errorf("slow_traces = %+v", doc.SlowTraces)
		}
		for i, st := range doc.SlowTraces {
			if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(st.TraceID) || st.Route == "" || (i > 0 && st.Seconds > doc.SlowTraces[i-1].Seconds) {
				t.Errorf("slow trace %d: %+v", i, st)
			}
		}
		// The alert started with the server, inside the last hour: a change.
		if len(doc.Changes) != 1 || doc.Changes[0].Kind != "alert" || doc.Changes[0].Text != "Firing (critical) firing" {
			t.Errorf("changes = %+v", doc.Changes)
		} else if ct, err := time.Parse(time.RFC3339, doc.Changes[0].Time); err != nil || ct.After(at) || at.Sub(ct) > time.Minute {
			t.Errorf("the alert's start %q is not within the minute before %s", doc.Changes[0].Time, doc.TakenAt)
		}
	})
	t.Run("snapshot text and markdown", func(t *testing.T) {
		code, out, _ := runCLI(t, nil, "--config", cfg, "snapshot", "--format", "text")
		if code != 0 || !strings.Contains(out, "Requests/s") || !strings.Contains(out, "Alerts: 1 firing") {
			t.Errorf("text snapshot:\n%s", out)
		}
		code, out, _ = runCLI(t, map[string]string{"XDG_STATE_HOME": t.TempDir()}, "--config", cfg, "snapshot", "--format", "markdown")
		for _, want := range []string{"# opsdeck report: staging, ", "| Requests/s | ", "- 🔴 **Firing** firing, critical", "## PostgreSQL\n\nUnreachable: ", "## Recent actions\n\nNone recorded.",
			"## What changed\n\nSince ", "| alert | Firing (critical) firing |"} {
			if code != 0 || !strings.Contains(out, want) {
				t.Errorf("markdown report lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "canary-snap-pw") {
			t.Error("the markdown report leaks a password")
		}
	})
	t.Run("check --metrics", func(t *testing.T) {
		// The golden-signal gate: the default thresholds pass; a P95 threshold
		// below Origin's latency fails, saying by how much.
		metrics := writeFile(t, "metrics.yaml", `environments:
  staging:
    prometheus: {url: "`+prom.URL()+`"}
`)
		code, out, _ := runCLI(t, nil, "--config", metrics, "check", "--metrics")
		if code != 0 || !regexp.MustCompile(`ok: staging: error rate [0-9.]+ %, critical at 5\.00 %; p95 latency [0-9.]+ ms, critical at 2\.00 s`).MatchString(out) {
			t.Errorf("check --metrics on a healthy API: exit %d\n%s", code, out)
		}
		// A configured database that cannot be reached fails the gate, with
		// or without --metrics, and its password is not in the finding.
		for _, args := range [][]string{{"check"}, {"check", "--metrics"}} {
			code, out, _ = runCLI(t, nil, append([]string{"--config", cfg}, args...)...)
			if code != 1 || !strings.Contains(out, "PostgreSQL at 127.0.0.1:1/origin_db cannot be read") || strings.Contains(out, "canary-snap-pw") {
				t.Errorf("%v with a dead PostgreSQL: exit %d\n%s", args, code, out)
			}
		}
		strict := writeFile(t, "strict.yaml", `environments:
  staging:
    prometheus:
      url: "`+prom.URL()+`"
      thresholds: {p95_latency: {warn: 5ms, crit: 10ms}}
`)
		code, out, _ = runCLI(t, nil, "--config", strict, "check", "--metrics")
		if code != 1 || !strings.Contains(out, "P95 latency is ") || !strings.Contains(out, "at or over its critical threshold 10 ms") {
			t.Errorf("check --metrics over threshold: exit %d\n%s", code, out)
		}
		code, out, _ = runCLI(t, nil, "--config", strict, "check", "--metrics", "--format", "json")
		var gate struct {
			OK      bool `json:"ok"`
			Signals []struct {
				Key      string   `json:"key"`
				Value    *float64 `json:"value"`
				Critical *float64 `json:"critical"`
				Status   string   `json:"status"`
			} `json:"signals"`
		}
		if err := json.Unmarshal([]byte(out), &gate); err != nil || code != 1 || gate.OK || len(gate.Signals) != 2 ||
			gate.Signals[1].Key != "p95_latency" || gate.Signals[1].Status != "crit" || gate.Signals[1].Critical == nil ||
			*gate.Signals[1].Critical != 0.01 || gate.Signals[1].Value == nil || *gate.Signals[1].Value <= 0.01 {
			t.Errorf("check --metrics --format json: exit %d %v\n%s", code, err, out)
		}
		code, _, stderr := runCLI(t, nil, "--config", strict, "check")
		if code != 2 || !strings.Contains(stderr, "nothing to check in environment staging") {
			t.Errorf("check without --metrics and nothing else to check must be a usage error: exit %d %s", code, stderr)
		}
	})
	t.Run("dashboard lint and imported panes", func(t *testing.T) {
		// dashboard lint on Origin's own dashboard: three queries are wrong, and
		// each is named with the closest thing that exists.
		code, out, _ := runCLI(t, nil, "--config", cfg, "dashboard", "lint", "testdata/grafana-origin-dashboard.json")
		for _, want := range []string{
			"✔ API RPS",
			"✘ API Error Rate (%): no series: label status_code does not exist on http_requests_total; closest: status",
			"✘ API Latency P95 (seconds): no series: metric http_requests_duration_seconds_bucket does not exist; closest: http_request_duration_seconds_bucket",
			"✘ Memory Usage: no series: metric memory_usage_bytes does not exist; closest: origin_memory_usage_bytes",
			"3 of 4 queries return no series.",
		} {
			if code != 1 || !strings.Contains(out, want) {
				t.Errorf("dashboard lint (exit %d) lacks %q:\n%s", code, want, out)
			}
		}
		// Imported as panes: the dashboard's queries join the snapshot.
		code, out, stderr := runCLI(t, nil, "--config", cfg, "--grafana-dashboard", "testdata/grafana-origin-dashboard.json", "snapshot")
		if code != 0 || !strings.Contains(out, `"title": "API Error Rate (%)"`) || !strings.Contains(out, `closest: origin_memory_usage_bytes`) {
			t.Errorf("dashboard panes in the snapshot: exit %d %s\n%s", code, stderr, out)
		}
	})
}

func TestDirectMetricsMode(t *testing.T) {
	t.Parallel()
	addr := originapi.Start(t, originapi.Schedule{Start: time.Now(), Period: time.Hour}, 3)
	env := map[string]string{"METRICS_URL": "http://" + addr + "/metrics"}
	// A series' first sample has no increase (as in Prometheus): wait until
	// the API has counted requests, as a running service has.
	for deadline := time.Now().Add(10 * time.Second); ; {
		resp, err := http.Get(env["METRICS_URL"])
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(body), "http_requests_total{") {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the API counts no requests")
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The simulator runs about 40 requests a second, fewer on a busy
	// machine: the API's own counter, read around the snapshot, says how
	// many it served meanwhile.
	c0, t0 := requestsServed(t, env["METRICS_URL"]), time.Now()
	code, out, stderr := runCLI(t, env, "snapshot")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	served := (requestsServed(t, env["METRICS_URL"]) - c0) / time.Since(t0).Seconds()
	var doc snapshotDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	// Direct mode's rate is over its own two scrapes, a second or so apart,
	// inside the snapshot's time: on a busy machine the simulator's traffic
	// comes in bursts, and one second can hold a third of the average. A
	// wrong rate (a counter misread, a window mistaken) is off by far more.
	rps := doc.Metrics["rps"].Value
	if rps == nil || *rps < served/3 || *rps > served*3 {
		t.Errorf("rps from a direct scrape: %s; the API served %.1f/s meanwhile\n%s", show(rps), served, out)
	}
	for _, k := range []string{"error_rate", "p95_latency", "memory"} {
		if doc.Metrics[k].Value == nil {
			t.Errorf("%s has no value in direct mode:\n%s", k, out)
		}
	}
	if !strings.Contains(out, `"prometheus": "http://`+addr+`/metrics (direct)"`) || strings.Contains(out, "alerts_error") {
		t.Errorf("direct mode must name its source and not report alerts as an error:\n%s", out)
	}
	code, _, stderr = runCLI(t, env, "dashboard", "lint", "testdata/grafana-origin-dashboard.json")
	if code != 2 || !strings.Contains(stderr, "dashboard lint asks Prometheus, and environment default has none") {
		t.Errorf("lint in direct mode needs Prometheus: exit %d %s", code, stderr)
	}
}

func show(v *float64) string {
	if v == nil {
		return "none"
	}
	return fmt.Sprintf("%.1f/s", *v)
}

func requestsServed(t *testing.T, metricsURL string) float64 {
	t.Helper()
	resp, err := http.Get(metricsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var sum float64
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "http_requests_total{") {
			var v float64
			if _, err := fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &v); err == nil {
				sum += v
			}
		}
	}
	return sum
}

func TestSnapshotOfUnreachablePrometheus(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	cfg := writeFile(t, "down.yaml", `environments:
  qa: {prometheus: {url: "http://admin:canary-down-pw@`+addr+`", timeout: 1s}}
`)
	code, out, stderr := runCLI(t, nil, "--config", cfg, "snapshot")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(out, "canary-down-pw") {
		t.Fatal("password in snapshot")
	}
	var doc snapshotDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	m := doc.Metrics["rps"]
	if m.Status != "error" || m.Value != nil || m.Error == nil || !strings.Contains(*m.Error, "connection refused") {
		t.Fatalf("rps = %+v", m)
	}
}

func TestREADMEDocumentsSnapshotFields(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	cfg := writeFile(t, "x.yaml", "environments:\n  qa: {}\n")
	_, out, _ := runCLI(t, nil, "--config", cfg, "snapshot")
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	fields := map[string]bool{}
	for k := range doc {
		fields[k] = true
	}
	for _, m := range doc["metrics"].(map[string]any) {
		for k := range m.(map[string]any) {
			fields[k] = true
		}
	}
	for f := range fields {
		if !strings.Contains(string(readme), `"`+f+`"`) && !strings.Contains(string(readme), "`"+f+"`") {
			t.Errorf("README does not document the snapshot field %q", f)
		}
	}
}

func TestSnapshotPostgresAndRedis(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	rd := sandboxtest.NewRedis(t, servers.RedisOptions{})
	if err := pg.Exec(ctx, "CREATE TABLE items AS SELECT generate_series(1, 100) AS id; ANALYZE items"); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, pg.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "BEGIN; SELECT 1"); err != nil { // an idle transaction
		t.Fatal(err)
	}
	var version string
	var maxConn int
	if err := conn.QueryRow(ctx, "SELECT current_setting('server_version'), current_setting('max_connections')::int").Scan(&version, &maxConn); err != nil {
		t.Fatal(err)
	}
	tasks := make([]string, 0, 39)
	tasks = append(tasks, "RPUSH", "celery")
	for i := 0; i < 37; i++ {
		tasks = append(tasks, fmt.Sprint(i))
	}
	if err := rd.Do(ctx, 0, tasks, []string{"SET", "k", "v"}); err != nil {
		t.Fatal(err)
	}
	// A two-revision Alembic project, the database at the first one.
	alembicDir := t.TempDir()
	for name, src := range map[string]string{
		"a1_first.py":  "\"\"\"first\"\"\"\nrevision = 'a1'\ndown_revision = None\n",
		"b2_second.py": "\"\"\"second\"\"\"\nrevision = 'b2'\ndown_revision = 'a1'\n",
	} {
		if err := os.WriteFile(filepath.Join(alembicDir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := pg.Exec(ctx, "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY); INSERT INTO alembic_version VALUES ('a1')"); err != nil {
		t.Fatal(err)
	}
	cfg := writeFile(t, "snap.yaml", `environments:
  qa:
    postgres: {url: "`+pg.URL()+`", required_extensions: [vector]}
    redis: {url: "`+rd.URL(0)+`"}
    alembic: {dir: "`+alembicDir+`"}
  down:
    postgres: {url: "postgresql://origin:canary-pg-pw@127.0.0.1:1/origin_db"}
    redis: {url: "redis://:canary-redis-pw@127.0.0.1:1/0"}
`)
	code, out, stderr := runCLI(t, nil, "--config", cfg, "--env", "qa", "snapshot")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(out, pg.Password) || strings.Contains(out, rd.Password) {
		t.Fatal("snapshot leaks a password")
	}
	var doc struct {
		Postgres struct {
			Reachable   bool   `json:"reachable"`
			Version     string `json:"version"`
			Connections struct {
				Total             int `json:"total"`
				Active            int `json:"active"`
				Idle              int `json:"idle"`
				IdleInTransaction int `json:"idle_in_transaction"`
				Max               int `json:"max"`
			} `json:"connections"`
			DatabaseSize int64   `json:"database_size_bytes"`
			Blocked      *int    `json:"blocked_sessions"`
			Longest      float64 `json:"longest_transaction_seconds"`
			Tables       []struct {
				Name string `json:"name"`
				Rows int64  `json:"rows_estimate"`
				Size int64  `json:"size_bytes"`
			} `json:"tables"`
			Extensions  []struct{ Name, Version string } `json:"extensions"`
			Missing     []string                         `json:"missing_extensions"`
			Replication map[string]any                   `json:"replication"`
		} `json:"postgres"`
		Redis struct {
			Reachable bool    `json:"reachable"`
			Version   string  `json:"version"`
			Role      string  `json:"role"`
			Used      int64   `json:"used_memory_bytes"`
			Clients   int     `json:"connected_clients"`
			Ops       float64 `json:"ops_per_sec"`
			Keyspace  []struct {
				DB, Keys, Expires int64
			} `json:"keyspace"`
			Queues []struct {
				Name   string `json:"name"`
				Length int64  `json:"length"`
			} `json:"queues"`
		} `json:"redis"`
		Migrations struct {
			Status  string   `json:"status"`
			Current []string `json:"current"`
			Heads   []string `json:"heads"`
			Pending []struct {
				Revision string `json:"revision"`
				Message  string `json:"message"`
			} `json:"pending"`
		} `json:"migrations"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	p := doc.Postgres
	if !p.Reachable || p.Version != version || p.Connections.Max != maxConn || p.Connections.IdleInTransaction != 1 ||
		p.Connections.Total < 1 || p.DatabaseSize <= 0 || p.Blocked == nil || *p.Blocked != 0 || p.Longest <= 0 || p.Replication == nil {
		t.Errorf("postgres section: %+v", p)
	}
	var items int
	for _, tb := range p.Tables {
		if tb.Name == "public.items" && tb.Rows == 100 && tb.Size > 0 {
			items++
		}
	}
	if len(p.Tables) != 2 || items != 1 { // items and alembic_version
		t.Errorf("tables: %+v", p.Tables)
	}
	if len(p.Extensions) == 0 || p.Extensions[0].Name != "plpgsql" || len(p.Missing) != 1 || p.Missing[0] != "vector" {
		t.Errorf("extensions %+v missing %v", p.Extensions, p.Missing)
	}
	r := doc.Redis
	if !r.Reachable || r.Version == "" || r.Role != "master" || r.Used <= 0 || r.Clients < 1 {
		t.Errorf("redis section: %+v", r)
	}
	if len(r.Queues) != 1 || r.Queues[0].Name != "celery" || r.Queues[0].Length != 37 || len(r.Keyspace) != 1 || r.Keyspace[0].Keys != 2 {
		t.Errorf("queues %+v keyspace %+v", r.Queues, r.Keyspace)
	}

	if m := doc.Migrations; m.Status != "behind" || len(m.Current) != 1 || m.Current[0] != "a1" || len(m.Heads) != 1 || m.Heads[0] != "b2" ||
		len(m.Pending) != 1 || m.Pending[0].Revision != "b2" || m.Pending[0].Message != "second" {
		t.Errorf("migrations section: %+v", m)
	}

	// Every field, nested ones included, is documented.
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	for f := range fieldNames(raw["migrations"], fieldNames(raw["postgres"], fieldNames(raw["redis"], map[string]bool{}))) {
		if !strings.Contains(string(readme), "`"+f+"`") && !strings.Contains(string(readme), `"`+f+`"`) {
			t.Errorf("README does not document the snapshot field %q", f)
		}
	}

	code, out, stderr = runCLI(t, nil, "--config", cfg, "--env", "down", "snapshot")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(out, "canary-pg-pw") || strings.Contains(out, "canary-redis-pw") {
		t.Fatal("an unreachable source's password is in the snapshot")
	}
	var down map[string]any
	if err := json.Unmarshal([]byte(out), &down); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"postgres", "redis"} {
		sec, _ := down[s].(map[string]any)
		if sec["reachable"] != false || !strings.Contains(fmt.Sprint(sec["error"]), "connection refused by 127.0.0.1:1") {
			t.Errorf("%s section of a down server: %v", s, sec)
		}
	}
	code, out, _ = runCLI(t, nil, "--config", cfg, "--env", "qa", "snapshot", "--format", "text")
	if code != 0 || !strings.Contains(out, "queue celery: 37 waiting") || !strings.Contains(out, "Postgres "+version) || !strings.Contains(out, "missing extension: vector") {
		t.Errorf("text snapshot:\n%s", out)
	}
}

func fieldNames(v any, into map[string]bool) map[string]bool {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			into[k] = true
			fieldNames(x, into)
		}
	case []any:
		for _, x := range v {
			fieldNames(x, into)
		}
	}
	return into
}
