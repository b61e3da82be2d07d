package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/originapi"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
)

// TestCanaryPasswordNeverShown: one password, the canary, is in every URL of
// the configuration and is the real password of PostgreSQL and Redis. Every
// output opsdeck has (each command's stdout and stderr in every format, the
// audit log, the report file, the console's screen) is searched for it, in
// environments that work, that cannot connect and that use a wrong password,
// and through a command whose own output prints the database URL. Also:
// argv given in the configuration never passes through a shell.
func TestCanaryPasswordNeverShown(t *testing.T) {
	sandboxtest.SkipServers(t, "PostgreSQL, Redis and Prometheus")
	t.Parallel()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	canary := "Canary" + hex.EncodeToString(b)

	api := originapi.Start(t, originapi.Schedule{Start: time.Now(), Period: time.Hour}, 11)
	prom := sandboxtest.NewPrometheus(t, servers.PrometheusOptions{Targets: []string{api}})
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{Password: canary})
	rd := sandboxtest.NewRedis(t, servers.RedisOptions{Password: canary})
	if err := pg.Exec(t.Context(), "CREATE TABLE users (id int); INSERT INTO users VALUES (1);"); err != nil {
		t.Fatal(err)
	}
	dead := sandboxtest.DeadPort(t)
	pgAt := "127.0.0.1:" + strconv.Itoa(pg.Port)
	pwned := filepath.Join(t.TempDir(), "PWNED")
	// A pending migration, for the preflight's render, dump and rehearsal.
	migrations := t.TempDir()
	if err := servers.WriteAlembicRevisions(migrations, []servers.Revision{
		{ID: "m1", Upgrade: []string{"CREATE TABLE canary_notes (id serial PRIMARY KEY, body text)"}},
		{ID: "m2", Down: "m1", Upgrade: []string{"CREATE INDEX ix_canary_existing_body ON canary_existing (body)"}},
	}); err != nil {
		t.Fatal(err)
	}
	if err := pg.Exec(context.Background(), "CREATE TABLE canary_existing (id int, body text)"); err != nil {
		t.Fatal(err)
	}
	cfg := writeFile(t, "canary.yaml", fmt.Sprintf(`environments:
  good:
    prometheus: {url: "http://watcher:%[1]s@127.0.0.1:%[2]d"}
    postgres: {url: "postgresql://opsdeck:%[1]s@%[3]s/opsdeck?sslmode=disable", pgbouncer_url: "postgresql://opsdeck:%[1]s@%[3]s/pgbouncer?sslmode=disable"}
    redis: {url: "redis://:%[1]s@%[4]s/0"}
    celery: {broker_url: "redis://:%[1]s@%[4]s/2", result_backend: "redis://:%[1]s@%[4]s/3"}
    tracing: {jaeger_url: "http://tracer:%[1]s@127.0.0.1:%[6]d", ui_url: "https://viewer:%[1]s@jaeger.example.com/trace/{trace_id}", service: origin-api, timeout: 1s}
    disposable: true
    confirm: none
    actions:
      commands:
        - {name: leaky, key: U, argv: [sh, -c, 'echo "connecting to $DATABASE_URL"; echo "cache $CACHE_URL"; exit 3'], env: {CACHE_URL: "redis://:%[1]s@elsewhere:6379", DATABASE_URL: "postgresql://opsdeck:%[1]s@%[3]s/opsdeck"}}
        - {name: literal, argv: [echo, "$(touch %[7]s); `+"`touch %[7]s`"+`; $DATABASE_URL"]}
  direct:
    metrics_url: "http://scraper:%[1]s@%[5]s/metrics"
  broken:
    prometheus: {url: "http://watcher:%[1]s@127.0.0.1:%[6]d", timeout: 1s}
    postgres: {url: "postgresql://opsdeck:%[1]s@127.0.0.1:%[6]d/opsdeck", timeout: 1s}
    redis: {url: "redis://:%[1]s@127.0.0.1:%[6]d/0", timeout: 1s}
    tracing: {jaeger_url: "http://127.0.0.1:%[6]d", bearer_token: "%[1]s", timeout: 1s}
    alertmanager: {url: "http://am:%[1]s@127.0.0.1:%[6]d", timeout: 1s, basic_auth: {username: am, password: "%[1]s"}}
    celery: {broker_url: "redis://:%[1]s@127.0.0.1:%[6]d/0", timeout: 1s}
    logs: {url: "http://vl:%[1]s@127.0.0.1:%[6]d", bearer_token: "%[1]s", timeout: 1s}
  wrongpw:
    postgres: {url: "postgresql://opsdeck:%[1]sX@%[3]s/opsdeck?sslmode=disable"}
    redis: {url: "redis://:%[1]sX@%[4]s/0"}
    schema_reference: good
  migrating:
    postgres: {url: "postgresql://opsdeck:%[1]s@%[3]s/opsdeck?sslmode=disable"}
    alembic: {dir: %[8]q}
    actions:
      migrate: {scratch_url: "postgresql://opsdeck:%[1]s@%[3]s/postgres?sslmode=disable"}
  badscratch:
    postgres: {url: "postgresql://opsdeck:%[1]s@%[3]s/opsdeck?sslmode=disable"}
    alembic: {dir: %[8]q}
    actions:
      migrate: {scratch_url: "postgresql://opsdeck:%[1]sX@%[3]s/postgres?sslmode=disable"}
`, canary, prom.Port, pgAt, rd.Addr(), api, dead, pwned, migrations))
	state := t.TempDir()
	env := map[string]string{"XDG_STATE_HOME": state}

	var searched []string
	check := func(what, text string) {
		t.Helper()
		searched = append(searched, what)
		if strings.Contains(text, canary) {
			i := strings.Index(text, canary)
			t.Errorf("the canary is in %s: …%s…", what, text[max(0, i-80):min(len(text), i+40)])
		}
	}
	cli := func(args ...string) (int, string) {
		t.Helper()
		code, stdout, stderr := runCLI(t, env, append([]string{"--config", cfg}, args...)...)
		check(strings.Join(args, " "), stdout+stderr)
		return code, stdout + stderr
	}

	cli("config", "print")
	for _, e := range []string{"good", "direct", "broken", "wrongpw"} {
		for _, f := range []string{"json", "text", "markdown"} {
			cli("--env", e, "snapshot", "--format", f)
		}
		cli("--env", e, "check", "--metrics")
		cli("--env", e, "check", "--format", "json")
		cli("--env", e, "schema", "dump")
		cli("--env", e, "dashboard", "lint", "testdata/grafana-origin-dashboard.json")
	}
	if code, out := cli("--env", "good", "run", "leaky", "--yes"); code != 3 || !strings.Contains(out, "connecting to xxxxx") {
		t.Errorf("the command's output, scrubbed, should be shown (exit %d):\n%s", code, out)
	}
	// argv is never a shell: the line comes back as written, nothing ran.
	if code, out := cli("--env", "good", "run", "literal", "--yes"); code != 0 || !strings.Contains(out, "$(touch "+pwned+"); `touch "+pwned+"`; $DATABASE_URL") {
		t.Errorf("argv went through a shell (exit %d):\n%s", code, out)
	}
	if _, err := os.Stat(pwned); err == nil {
		t.Error("a command substitution in argv ran")
	}
	if code, out := cli("--env", "good", "run", "reset", "--yes"); code != 0 {
		t.Errorf("reset: exit %d\n%s", code, out)
	}
	// The migration's preflight (the SQL rendered with DATABASE_URL set, the
	// schema dumped with the password in PGPASSWORD, a rehearsal, a scratch
	// server refusing the password), then the migration itself.
	for _, e := range []string{"migrating", "badscratch"} {
		if code, out := cli("--env", e, "check"); code != 1 || !strings.Contains(out, "preflight") {
			t.Errorf("%s check: exit %d\n%s", e, code, out)
		}
		cli("--env", e, "check", "--format", "json")
	}
	if code, out := cli("--env", "migrating", "run", "migrate", "--yes"); code != 0 || !strings.Contains(out, "rehearsed in") {
		t.Errorf("migrate: exit %d\n%s", code, out)
	}
	// Celery's actions, whose errors and targets carry the broker URL.
	cli("--env", "good", "run", "celery-purge", "--queue", "default", "--yes")
	cli("--env", "broken", "run", "celery-retry", "--task", "no-such-task", "--yes")
	cli("--env", "good", "audit")
	logs, _ := filepath.Glob(filepath.Join(state, "opsdeck", "*"))
	if len(logs) == 0 {
		t.Fatalf("no audit log under %s", state)
	}
	for _, l := range logs {
		data, err := os.ReadFile(l)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "leaky") {
			t.Errorf("the audit log %s does not record the command", l)
		}
		check("audit log "+l, string(data))
	}

	// The console, in each environment; the report key in the working one.
	bin := binary(t)
	work := t.TempDir()
	for _, e := range []struct{ name, until string }{
		{"good", "req/s"},
		{"broken", "connection refused"},
		{"wrongpw", "authentication failed"},
	} {
		tm := newTmux(t)
		tm.run("new-session", "-d", "-x", "160", "-y", "48", "-c", work,
			fmt.Sprintf("XDG_STATE_HOME=%s %s --config %s --env %s; sleep 30", state, bin, cfg, e.name))
		screen := tm.waitFor(e.name+" on screen", func(s string) bool { return strings.Contains(s, e.until) })
		check("the screen in "+e.name, screen)
		if e.name == "good" {
			tm.run("send-keys", "w")
			tm.waitFor("the report written", func(s string) bool { return strings.Contains(s, "opsdeck-report-good-") })
			tm.run("send-keys", "U")
			tm.waitFor("the command's confirmation", func(s string) bool { return strings.Contains(s, "leaky") })
			tm.run("send-keys", "y")
			check("the command's output on screen", tm.waitFor("the command's output", func(s string) bool {
				return strings.Contains(s, "connecting to")
			}))
			// The trace list: no exemplars here, and the search asks a
			// Jaeger that is not there, whose URL holds the canary.
			tm.waitFor("the command's end", func(s string) bool { return strings.Contains(s, "esc closes") })
			tm.run("send-keys", "Escape")
			tm.waitFor("the output closed", func(s string) bool { return !strings.Contains(s, "connecting to") })
			tm.run("send-keys", "Tab")
			tm.run("send-keys", "Tab")
			tm.run("send-keys", "t")
			check("the trace list", tm.waitFor("the trace list", func(s string) bool {
				return strings.Contains(s, "cannot reach http://tracer:xxxxx@")
			}))
			tm.run("send-keys", "Escape")
		}
		tm.run("send-keys", "q")
	}
	// The overview: every environment at once, the broken ones' errors too.
	tm := newTmux(t)
	tm.run("new-session", "-d", "-x", "160", "-y", "48", "-c", work,
		fmt.Sprintf("XDG_STATE_HOME=%s %s --config %s --overview; sleep 30", state, bin, cfg))
	check("the overview", tm.waitFor("the overview with the broken environments", func(s string) bool {
		return strings.Contains(s, "PG down") && strings.Contains(s, "authentication failed") && strings.Contains(s, "req/s")
	}))
	tm.run("send-keys", "q")
	check("snapshot --all", func() string { _, out := cli("snapshot", "--all"); return out }())
	reports, _ := filepath.Glob(filepath.Join(work, "opsdeck-report-*.md"))
	if len(reports) != 1 {
		t.Fatalf("reports written: %v", reports)
	}
	data, err := os.ReadFile(reports[0])
	if err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(reports[0]); info.Mode().Perm() != 0o600 {
		t.Errorf("report mode %v, want 0600", info.Mode().Perm())
	}
	check("the report", string(data))
	t.Logf("searched %d outputs", len(searched))
}
