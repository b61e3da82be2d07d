package config

import (
	"errors"
	"github.com/opsdeck/opsdeck/ui"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"
)

func envOf(kv ...string) func(string) (string, bool) {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func loadTestdata(t *testing.T, name string, lookup func(string) (string, bool)) *Config {
	t.Helper()
	cfg, err := Load(Options{Bindings: ui.Specs(), Path: filepath.Join("testdata", name), LookupEnv: lookup})
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return cfg
}

// TestMergedGolden pins the merged result of defaults + file + ${VAR}
// expansion, as `opsdeck config print` shows it (secrets redacted).
func TestMergedGolden(t *testing.T) {
	lookup := envOf(
		"PROM_TOKEN", "t0ken-abc",
		"QA_DATABASE_URL", "postgresql://qa:qa-pass@db.qa:5432/origin_db",
	)
	for _, name := range []string{"full", "minimal"} {
		t.Run(name, func(t *testing.T) {
			cfg := loadTestdata(t, name+".yaml", lookup)
			out, err := cfg.Print()
			if err != nil {
				t.Fatal(err)
			}
			for _, secret := range []string{"t0ken-abc", "qa-pass", "pr0d-s3cret", "r3dis-pw", "fallback-pass", "k3y-v4lue", "s3ntinel-pw", "3ncrypt-k3y", "j4eger-t0ken", "4lertm4n-pw", "l0gs-t0ken"} {
				if strings.Contains(string(out), secret) {
					t.Errorf("config print leaks %q", secret)
				}
			}
			golden.RequireEqual(t, out)
		})
	}
}

func TestFullValues(t *testing.T) {
	cfg := loadTestdata(t, "full.yaml", envOf("PROM_TOKEN", "tok", "QA_REDIS_URL", "redis://127.0.0.1:6380/2"))
	if got := strings.Join(cfg.Order, ","); got != "qa,production" {
		t.Errorf("order = %q", got)
	}
	if cfg.Refresh.D() != 3*time.Second || cfg.Window.D() != 30*time.Minute {
		t.Errorf("refresh/window = %v/%v", cfg.Refresh.D(), cfg.Window.D())
	}
	qa, prod := cfg.Environments["qa"], cfg.Environments["production"]
	if qa.Prometheus.BearerToken != "tok" || qa.Redis.URL != "redis://127.0.0.1:6380/2" {
		t.Errorf("expansion: token %q redis %q", qa.Prometheus.BearerToken, qa.Redis.URL)
	}
	if qa.Postgres.URL != "" {
		t.Errorf("unset variable should expand to empty, got %q", qa.Postgres.URL)
	}
	if len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0], "QA_DATABASE_URL") || !strings.Contains(cfg.Warnings[0], "full.yaml:8") {
		t.Errorf("warnings = %q", cfg.Warnings)
	}
	if prod.Prometheus.BasicAuth.Password != "fallback-pass" {
		t.Errorf("${VAR:-default} gave %q", prod.Prometheus.BasicAuth.Password)
	}
	th := prod.Prometheus.Thresholds
	if th.ErrorRate.Warn.Value != 0.02 || th.ErrorRate.Crit.Value != 0.05 {
		t.Errorf("error-rate thresholds %v/%v: warn from file, crit from default", th.ErrorRate.Warn.Value, th.ErrorRate.Crit.Value)
	}
	if th.P95Latency.Warn.Value != 0.8 || th.Memory.Crit.Value != 2<<30 || th.Memory.Warn != nil {
		t.Errorf("thresholds: p95 warn %v, memory crit %v warn %v", th.P95Latency.Warn.Value, th.Memory.Crit.Value, th.Memory.Warn)
	}
	if !strings.Contains(prod.Prometheus.Queries.RPS, `cluster="eu-1"`) || !strings.Contains(prod.Prometheus.Queries.RPS, "[5m]") {
		t.Errorf("default RPS query ignores selector or rate window: %s", prod.Prometheus.Queries.RPS)
	}
	if prod.Prometheus.Queries.Memory != `sum(origin_memory_usage_bytes{job="fastapi-app"})` {
		t.Errorf("override lost: %s", prod.Prometheus.Queries.Memory)
	}
	if !prod.Protected || !qa.Disposable || len(prod.Redis.Queues) != 1 || prod.Redis.Queues[0] != "celery" {
		t.Errorf("flags/queues: %+v %+v", prod, qa)
	}
	secrets := strings.Join(cfg.Secrets(), " ")
	for _, s := range []string{"tok", "pr0d-s3cret", "r3dis-pw", "fallback-pass", "k3y-v4lue", "s3ntinel-pw", "3ncrypt-k3y", "j4eger-t0ken", "4lertm4n-pw", "l0gs-t0ken"} {
		if !strings.Contains(secrets, s) {
			t.Errorf("Secrets() misses %q", s)
		}
	}
}

func TestEmptySelectorMeansNoSelector(t *testing.T) {
	cfg := loadTestdata(t, "minimal.yaml", nil)
	q := cfg.Environments["local"].Prometheus.Queries
	if q.RPS != "sum(rate(http_requests_total[1m]))" {
		t.Errorf("RPS = %s", q.RPS)
	}
	if !strings.Contains(q.ErrorRate, `http_requests_total{status=~"5.."}[1m]`) {
		t.Errorf("error rate = %s", q.ErrorRate)
	}
	if cfg.DefaultEnvironment != "local" {
		t.Errorf("default environment = %q, want the only one", cfg.DefaultEnvironment)
	}
}

func TestZeroConfig(t *testing.T) {
	dir := t.TempDir() // no opsdeck.yaml here, and no XDG config
	cfg, err := Load(Options{Bindings: ui.Specs(), WorkDir: dir, LookupEnv: envOf(
		"XDG_CONFIG_HOME", dir,
		"PROMETHEUS_URL", "http://127.0.0.1:9091",
		"DATABASE_URL", "postgresql+psycopg2://u:pw@127.0.0.1:5433/app",
		"REDIS_URL", "redis://127.0.0.1:6380/1",
		"ALEMBIC_DIR", "/srv/app/alembic",
		"ALERTMANAGER_URL", "http://127.0.0.1:9094",
	)})
	if err != nil {
		t.Fatal(err)
	}
	env := cfg.Environments["default"]
	if env.Alertmanager.URL != "http://127.0.0.1:9094" || env.Alertmanager.AckDuration.D() != 30*time.Minute {
		t.Errorf("ALERTMANAGER_URL: %+v", env.Alertmanager)
	}
	if cfg.DefaultEnvironment != "default" || env.Prometheus.URL != "http://127.0.0.1:9091" ||
		env.Postgres.URL != "postgresql+psycopg2://u:pw@127.0.0.1:5433/app" || env.Redis.URL != "redis://127.0.0.1:6380/1" ||
		env.Alembic.Dir != "/srv/app/alembic" || env.Prometheus.Selector != DefaultSelector {
		t.Fatalf("zero-config env = %+v", env)
	}
	if !strings.Contains(cfg.Source, "PROMETHEUS_URL") {
		t.Errorf("source = %q", cfg.Source)
	}

	ref := filepath.Join(dir, "schema.json")
	if err := os.WriteFile(ref, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err = Load(Options{Bindings: ui.Specs(), WorkDir: dir, LookupEnv: envOf("XDG_CONFIG_HOME", dir, "DATABASE_URL", "postgresql://u@h/db", "OPSDECK_SCHEMA_REFERENCE", ref)})
	if err != nil || cfg.Environments["default"].SchemaReference != ref {
		t.Fatalf("OPSDECK_SCHEMA_REFERENCE: %v", err)
	}
	_, err = Load(Options{Bindings: ui.Specs(), WorkDir: dir, LookupEnv: envOf("XDG_CONFIG_HOME", dir, "DATABASE_URL", "postgresql://u@h/db", "OPSDECK_SCHEMA_REFERENCE", filepath.Join(dir, "nope.json"))})
	if err == nil || !strings.Contains(err.Error(), "OPSDECK_SCHEMA_REFERENCE") || !strings.Contains(err.Error(), "is neither an environment nor a readable file") {
		t.Fatalf("missing reference file: %v", err)
	}

	_, err = Load(Options{Bindings: ui.Specs(), WorkDir: dir, LookupEnv: envOf("XDG_CONFIG_HOME", dir, "PROMETHEUS_URL", "prometheus:9090")})
	var es Errors
	if !errors.As(err, &es) || es[0].Field != "PROMETHEUS_URL" || es[0].File != "environment" {
		t.Fatalf("bad PROMETHEUS_URL: %v", err)
	}
	_, err = Load(Options{Bindings: ui.Specs(), WorkDir: dir, LookupEnv: envOf("XDG_CONFIG_HOME", dir, "ALERTMANAGER_URL", "am:9093")})
	if !errors.As(err, &es) || es[0].Field != "ALERTMANAGER_URL" {
		t.Fatalf("bad ALERTMANAGER_URL: %v", err)
	}
}

func TestResolveOrder(t *testing.T) {
	work, xdg := t.TempDir(), t.TempDir()
	xdgFile := filepath.Join(xdg, "opsdeck", "config.yaml")
	if err := os.MkdirAll(filepath.Dir(xdgFile), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(xdgFile, []byte("environments: {x: {}}\n"), 0o644)
	opts := Options{Bindings: ui.Specs(), WorkDir: work, LookupEnv: envOf("XDG_CONFIG_HOME", xdg)}
	if got := Resolve(opts); got != xdgFile {
		t.Errorf("with only the XDG file: %q", got)
	}
	local := filepath.Join(work, "opsdeck.yaml")
	os.WriteFile(local, []byte("environments: {y: {}}\n"), 0o644)
	if got := Resolve(opts); got != local {
		t.Errorf("./opsdeck.yaml should win over XDG: %q", got)
	}
	opts.Path = "/explicit.yaml"
	if got := Resolve(opts); got != "/explicit.yaml" {
		t.Errorf("--config should win: %q", got)
	}
	cfg, err := Load(Options{Bindings: ui.Specs(), WorkDir: work, LookupEnv: envOf("XDG_CONFIG_HOME", xdg)})
	if err != nil || cfg.Order[0] != "y" {
		t.Fatalf("load local: %v %v", cfg, err)
	}
}

// TestErrors covers each error path: the message must name file, line and field.
func TestErrors(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       string // file:line: field: substring
	}{
		{"unknown top key", "refesh: 2s\nenvironments: {a: {}}\n", `bad.yaml:1: refesh: unknown key "refesh" (did you mean "refresh"?)`},
		{"unknown nested key", "environments:\n  qa:\n    prometheus:\n      urll: http://x\n", `bad.yaml:4: environments.qa.prometheus.urll: unknown key "urll" (did you mean "url"?)`},
		{"unknown far key", "environments:\n  qa:\n    grafana: {}\n", `bad.yaml:3: environments.qa.grafana: unknown key "grafana" (known keys:`},
		{"bad duration", "refresh: 2 seconds\nenvironments: {a: {}}\n", `bad.yaml:1: refresh: "2 seconds" is not a duration`},
		{"duration number", "refresh: 2\nenvironments: {a: {}}\n", `bad.yaml:1: refresh: "2" is not a duration`},
		{"refresh too small", "refresh: 10ms\nenvironments: {a: {}}\n", `bad.yaml:1: refresh: 10ms is out of range`},
		{"bad timeout", "environments:\n  a:\n    prometheus:\n      timeout: soon\n", `bad.yaml:4: environments.a.prometheus.timeout: "soon" is not a duration`},
		{"bad prom url", "environments:\n  a:\n    prometheus: {url: 'prometheus:9090'}\n", `bad.yaml:3: environments.a.prometheus.url: "prometheus:9090" is not a valid URL: the scheme must be http or https`},
		{"api path", "environments:\n  a:\n    prometheus: {url: 'http://p:9090/api/v1'}\n", `environments.a.prometheus.url: "http://p:9090/api/v1" ends in /api/v1`},
		{"bad postgres url", "environments:\n  a:\n    postgres:\n      url: mysql://u:secretpw@h/db\n", `bad.yaml:4: environments.a.postgres.url: "mysql://u:xxxxx@h/db" is not a valid URL: the scheme must be postgresql://`},
		{"bad redis url", "environments:\n  a:\n    redis: {url: 'http://r:6379'}\n", `bad.yaml:3: environments.a.redis.url: "http://r:6379" is not a valid URL`},
		{"bool", "environments:\n  a:\n    protected: yes\n", `bad.yaml:3: environments.a.protected: want true or false, got "yes"`},
		{"list", "environments:\n  a:\n    redis: {queues: celery}\n", `bad.yaml:3: environments.a.redis.queues: want a list like [a, b], got "celery"`},
		{"default env", "default_environment: prod\nenvironments: {qa: {}}\n", `bad.yaml:1: default_environment: "prod" is not one of the environments (qa)`},
		{"no envs", "refresh: 2s\n", `bad.yaml: environments: no environments defined`},
		{"selector", "environments:\n  a:\n    prometheus: {selector: 'job=fastapi'}\n", `bad.yaml:3: environments.a.prometheus.selector: "job=fastapi" is not a label selector`},
		{"promql", "environments:\n  a:\n    prometheus:\n      queries:\n        rps: sum(rate(x[5m])\n", `bad.yaml:5: environments.a.prometheus.queries.rps: not valid PromQL`},
		{"threshold unit", "environments:\n  a:\n    prometheus:\n      thresholds:\n        p95_latency: {warn: 1GiB}\n", `bad.yaml:5: environments.a.prometheus.thresholds.p95_latency.warn: p95_latency cannot be a byte size`},
		{"threshold order", "environments:\n  a:\n    prometheus:\n      thresholds:\n        error_rate: {warn: 10%}\n", `bad.yaml:5: environments.a.prometheus.thresholds.error_rate: warn (0.1) is above crit (0.05)`},
		{"threshold garbage", "environments:\n  a:\n    prometheus:\n      thresholds:\n        memory: {crit: lots}\n", `bad.yaml:5: environments.a.prometheus.thresholds.memory.crit: "lots" is not a number`},
		{"two auths", "environments:\n  a:\n    prometheus:\n      bearer_token: x\n      basic_auth: {username: u, password: p}\n", `bad.yaml:3: environments.a.prometheus: set only one of bearer_token`},
		{"env name", "environments:\n  'q a': {}\n", `bad.yaml:2: environments.q a: environment name "q a"`},
		{"syntax", "environments:\n  a: {\n", `bad.yaml:2: YAML syntax:`},
		{"tab", "environments:\n\ta: {}\n", `bad.yaml:2: YAML syntax:`},
		{"mapping expected", "environments: [qa]\n", `bad.yaml:1: environments: want a mapping of names to values, got a list`},
		{"empty", "", `bad.yaml: file is empty`},
		{"credential in argv", "environments:\n  a:\n    postgres: {url: 'postgresql://u:s3cretpw@h/db'}\n    actions:\n      commands:\n        - {name: t, argv: [psql, -c, 'x s3cretpw']}\n",
			`bad.yaml:6: environments.a.actions.commands[0].argv: would carry a password or token on the command line`},
		{"url password in shell", "environments:\n  a:\n    actions:\n      commands:\n        - {name: t, shell: 'psql postgresql://u:pw123@h/db'}\n",
			`bad.yaml:5: environments.a.actions.commands[0].shell: would carry a password or token on the command line`},
		{"key conflict", "keys:\n  refresh: [r]\n  pause: r\nenvironments: {a: {}}\n", `bad.yaml:3: keys.pause: "r" is bound to both refresh and pause`},
		{"zoomed key hides global", "keys:\n  sort: q\nenvironments: {a: {}}\n", `bad.yaml:2: keys.sort: "q" is bound to both quit and sort`},
		{"unknown binding", "keys:\n  refesh: x\nenvironments: {a: {}}\n", `bad.yaml:2: keys.refesh: no binding named "refesh" (did you mean "refresh"?)`},
		{"bad key name", "keys:\n  quit: [ctrl+shift+banana]\nenvironments: {a: {}}\n", `bad.yaml:2: keys.quit: "ctrl+shift+banana" is not a key`},
		{"action key single", "keys:\n  migrate: [m, M]\nenvironments: {a: {}}\n", `bad.yaml:2: keys.migrate: an action takes exactly one key`},
		{"keys kind", "keys:\n  quit: {a: b}\nenvironments: {a: {}}\n", `bad.yaml:2: keys.quit: want a key or a list of keys`},
		{"command key vs remapped", "keys:\n  pause: x\nenvironments:\n  a:\n    actions:\n      commands: [{name: n, key: x, argv: [true]}]\n", `bad.yaml:6: environments.a.actions.commands[0].key: "x" is taken by the built-in key pause`},
		{"theme", "theme: solarized\nenvironments: {a: {}}\n", `bad.yaml:1: theme: unknown theme "solarized": use dark or light`},
		{"dashboard", "grafana_dashboard: nope.json\nenvironments: {a: {}}\n", `bad.yaml:1: grafana_dashboard: "nope.json" is not a readable file`},
		{"metrics and prometheus", "environments:\n  a:\n    prometheus: {url: 'http://p:9090'}\n    metrics_url: http://api:8000/metrics\n", `bad.yaml:4: environments.a.metrics_url: set either prometheus.url or metrics_url`},
		{"metrics url", "environments:\n  a:\n    metrics_url: api:8000\n", `bad.yaml:3: environments.a.metrics_url: "api:8000" is not a valid URL`},
		{"header", "environments:\n  a:\n    prometheus: {headers: {Authorization: Bearer x}}\n", `bad.yaml:3: environments.a.prometheus.headers.Authorization: set credentials with bearer_token`},
		{"redis mode", "environments:\n  a:\n    redis: {mode: clustered}\n", `bad.yaml:3: environments.a.redis.mode: unknown mode "clustered": use single, sentinel or cluster`},
		{"sentinel name", "environments:\n  a:\n    redis: {mode: sentinel, addrs: ['s1:26379']}\n", `bad.yaml:3: environments.a.redis.master_name: mode sentinel needs the master's name`},
		{"redis addr", "environments:\n  a:\n    redis:\n      mode: cluster\n      addrs: [node1]\n", `bad.yaml:5: environments.a.redis.addrs[0]: "node1" is not host:port`},
		{"sentinel password", "environments:\n  a:\n    redis: {sentinel_password: x}\n", `bad.yaml:3: environments.a.redis.sentinel_password: sentinel_password is for mode sentinel; mode is single`},
		{"schema reference", "environments:\n  a:\n    postgres: {url: 'postgresql://u@h/db'}\n    schema_reference: staging\n", `bad.yaml:4: environments.a.schema_reference: "staging" is neither an environment nor a readable file (write one with: opsdeck schema dump > staging)`},
		{"schema reference self", "environments:\n  a:\n    postgres: {url: 'postgresql://u@h/db'}\n    schema_reference: a\n", `bad.yaml:4: environments.a.schema_reference: an environment cannot be its own reference`},
		{"confirm none", "environments:\n  a:\n    confirm: none\n", `bad.yaml:3: environments.a.confirm: confirm: none is only allowed with disposable: true`},
		{"command argv and shell", "environments:\n  a:\n    actions:\n      commands:\n        - {name: t, argv: [x], shell: y}\n", `bad.yaml:5: environments.a.actions.commands[0]: set exactly one of argv`},
		{"command key", "environments:\n  a:\n    actions:\n      commands:\n        - {name: t, key: m, argv: [x]}\n", `bad.yaml:5: environments.a.actions.commands[0].key: "m" is taken by the built-in key migrate`},
		{"queue threshold", "environments:\n  a:\n    redis:\n      queue_thresholds: {warn: 5s}\n", `bad.yaml:4: environments.a.redis.queue_thresholds.warn: a queue length is a number of tasks`},
		{"statement timeout", "environments:\n  a:\n    postgres: {statement_timeout: 5m}\n", `bad.yaml:3: environments.a.postgres.statement_timeout: 5m0s is out of range`},
		{"jaeger url", "environments:\n  a:\n    tracing:\n      jaeger_url: jaeger:16686\n", `bad.yaml:4: environments.a.tracing.jaeger_url: "jaeger:16686" is not a valid URL: the scheme must be http or https`},
		{"trace ui without the id", "environments:\n  a:\n    tracing:\n      ui_url: https://j.example.com/trace/\n", `bad.yaml:4: environments.a.tracing.ui_url: "https://j.example.com/trace/" has no {trace_id}`},
		{"tracing timeout", "environments:\n  a:\n    tracing: {timeout: 5m}\n", `bad.yaml:3: environments.a.tracing.timeout: 5m0s is out of range`},
		{"tracing credentials", "environments:\n  a:\n    tracing:\n      bearer_token: t\n      basic_auth: {username: u, password: p}\n", `bad.yaml:3: environments.a.tracing: set only one of bearer_token, bearer_token_file and basic_auth`},
		{"tracing client certificate", "environments:\n  a:\n    tracing:\n      tls: {cert_file: c.pem}\n", `bad.yaml:4: environments.a.tracing.tls: cert_file and key_file go together`},
		{"alertmanager url", "environments:\n  a:\n    alertmanager: {url: 'am:9093'}\n", `bad.yaml:3: environments.a.alertmanager.url: "am:9093" is not a valid URL`},
		{"overview refresh", "overview_refresh: 100ms\nenvironments:\n  a: {}\n", `bad.yaml:1: overview_refresh: 100ms is out of range: use 1s to 10m`},
		{"ack duration", "environments:\n  a:\n    alertmanager: {ack_duration: 10s}\n", `bad.yaml:3: environments.a.alertmanager.ack_duration: 10s is out of range: use 1m to 24h`},
		{"tracing auth key", "environments:\n  a:\n    tracing:\n      bearer_tokn: t\n", `bad.yaml:4: environments.a.tracing.bearer_tokn: unknown key "bearer_tokn" (did you mean "bearer_token"?)`},
		// Found by FuzzParse: this crashed the loader.
		{"anchor instead of a name", "environments:\n &qa:\n    prometheus: {url: \"http://p:9090\"}\n", `bad.yaml:2: environments: a name here must be non-empty text, got ""`},
		// Found by FuzzParse: this overflowed the stack.
		{"anchor merged into itself", "environments:\n  a: &x {<<: *x}\n", `bad.yaml:2: environments.a: merges the mapping it is part of`},
		// Found by FuzzParse: values are quoted in errors, and may be URLs with passwords.
		{"password in a quoted value", "environments:\n  a:\n    postgres: \"postgresql://u:hunter2@db/x\"\n", `got "postgresql://u:xxxxx@db/x"`},
		{"poll timeout", "environments:\n  a:\n    redis: {timeout: 1ns}\n", `bad.yaml:3: environments.a.redis.timeout: 1ns is out of range`},
		{"bad pgbouncer url", "environments:\n  a:\n    postgres:\n      pgbouncer_url: 'pgbouncer:6432'\n", `bad.yaml:4: environments.a.postgres.pgbouncer_url: "pgbouncer:6432" is not a PostgreSQL URL`},
		{"built-in action name", "environments:\n  a:\n    actions:\n      commands:\n        - {name: reset, argv: [./wipe.sh]}\n", `bad.yaml:5: environments.a.actions.commands[0].name: "reset" is the name of a built-in action`},
		{"duplicate command name", "environments:\n  a:\n    actions:\n      commands:\n        - {name: t, argv: [x]}\n        - {name: t, argv: [y]}\n", `bad.yaml:6: environments.a.actions.commands[1].name: "t" is also the name of commands[0]`},
		{"action key answers y/N", "keys:\n  reset: y\nenvironments: {a: {}}\n", `bad.yaml:2: keys.reset: "y" answers the y/N question`},
		{"command key answers y/N", "environments:\n  a:\n    actions:\n      commands:\n        - {name: t, key: Y, argv: [x]}\n", `bad.yaml:5: environments.a.actions.commands[0].key: "Y" answers the y/N question`},
		{"space as itself", "keys:\n  pause: ' '\nenvironments: {a: {}}\n", `bad.yaml:2: keys.pause: " " is not a key a terminal sends as itself`},
		{"tab as itself", "keys:\n  refresh: \"\\t\"\nenvironments: {a: {}}\n", `bad.yaml:2: keys.refresh: "\t" is not a key a terminal sends as itself`},
		{"command key tab", "environments:\n  a:\n    actions:\n      commands:\n        - {name: t, key: \"\\t\", argv: [x]}\n", `bad.yaml:5: environments.a.actions.commands[0].key: "\t" is not a key a terminal sends as itself`},
		{"guard flag from an unset variable", "environments:\n  a:\n    protected: ${PROD_PROTECTED}\n", `bad.yaml:3: environments.a.protected: ${PROD_PROTECTED} must expand to true or false`},
		{"guard flag from a default", "environments:\n  a:\n    readonly: \"${RO:-maybe}\"\n", `bad.yaml:3: environments.a.readonly: ${RO:-maybe} must expand to true or false`},
		{"reset lock timeout", "environments:\n  a:\n    actions:\n      reset: {lock_timeout: 1h}\n", `bad.yaml:4: environments.a.actions.reset.lock_timeout: 1h0m0s is out of range`},
		{"migrate lock timeout", "environments:\n  a:\n    actions:\n      migrate: {lock_timeout: 1ms}\n", `bad.yaml:4: environments.a.actions.migrate.lock_timeout: 1ms is out of range`},
		{"scratch url is the watched database", "environments:\n  a:\n    postgres: {url: 'postgresql://u@db:5432/app'}\n    actions:\n      migrate: {scratch_url: 'postgresql://other@db/app'}\n", `bad.yaml:5: environments.a.actions.migrate.scratch_url: is the environment's own database`},
		{"scratch url not postgres", "environments:\n  a:\n    actions:\n      migrate: {scratch_url: 'mysql://db/x'}\n", `bad.yaml:4: environments.a.actions.migrate.scratch_url:`},
		{"celery without a broker", "environments:\n  a:\n    celery: {queues: [default]}\n", `bad.yaml:3: environments.a.celery: needs broker_url`},
		{"celery broker not redis", "environments:\n  a:\n    celery: {broker_url: 'amqp://guest@rabbit//'}\n", `bad.yaml:3: environments.a.celery.broker_url:`},
		{"redis database out of range", "environments:\n  a:\n    redis: {url: 'redis://r:6379/99'}\n", `bad.yaml:3: environments.a.redis.url: "redis://r:6379/99": the database after the last / must be a number from 0 to 15`},
		{"redis database not a number", "environments:\n  a:\n    redis: {url: 'redis://r:6379/abc'}\n", `bad.yaml:3: environments.a.redis.url: "redis://r:6379/abc": the database`},
		{"integer field", "environments:\n  a:\n    actions:\n      reset: {redis_dbs: [a]}\n", `bad.yaml:4: environments.a.actions.reset.redis_dbs[0]: want a whole number, got "a"`},
		{"postgres threshold unit", "environments:\n  a:\n    postgres:\n      thresholds:\n        query_age: {warn: 5%}\n", `bad.yaml:5: environments.a.postgres.thresholds.query_age.warn: cannot be`},
		{"postgres threshold order", "environments:\n  a:\n    postgres:\n      thresholds:\n        connections: {warn: 90%, crit: 50%}\n", `bad.yaml:5: environments.a.postgres.thresholds.connections: warn (0.9) is above crit (0.5)`},
		{"redis memory threshold unit", "environments:\n  a:\n    redis:\n      memory_thresholds: {crit: 2s}\n", `bad.yaml:4: environments.a.redis.memory_thresholds.crit: cannot be`},
		{"tls pair", "environments:\n  a:\n    prometheus:\n      tls: {cert_file: c.pem}\n", `bad.yaml:4: environments.a.prometheus.tls: cert_file and key_file go together`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(c.yaml), nil, ui.Specs())
			if err == nil {
				t.Fatal("accepted bad config")
			}
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("error is %T, want config.Errors", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error:\n  %v\nwant it to contain:\n  %s", err, c.want)
			}
			if strings.Contains(err.Error(), "secretpw") {
				t.Fatalf("error leaks a password: %v", err)
			}
		})
	}
}

// TestExpandedValuesNeverQuoted: a variable's value in the wrong place is
// named by its variable, never shown: it may be a secret.
func TestExpandedValuesNeverQuoted(t *testing.T) {
	_, err := Parse("x.yaml", []byte("environments:\n  a:\n    prometheus: ${PROM}\n    refresh: x\n    postgres: {timeout: \"${T}\"}\n"),
		envOf("PROM", "s3cretvalue-abc", "T", "tok3n-xyz"), ui.Specs())
	if err == nil || strings.Contains(err.Error(), "s3cretvalue") || strings.Contains(err.Error(), "tok3n") ||
		!strings.Contains(err.Error(), "environments.a.prometheus: want a mapping (key: value lines), got the value of ${PROM} (not shown") ||
		!strings.Contains(err.Error(), "environments.a.postgres.timeout: the value of ${T} (not shown: it may be a secret) is not a duration") {
		t.Fatalf("%v", err)
	}
}

// TestGuardFlagsFromVariables: a flag set by a variable works when the
// variable says true or false, quoted or not.
func TestGuardFlagsFromVariables(t *testing.T) {
	cfg, err := Parse("ok.yaml", []byte("environments:\n  prod:\n    protected: ${P}\n    readonly: \"${R}\"\n    allow_reset: ${A:-false}\n"),
		envOf("P", "true", "R", "false"), ui.Specs())
	if err != nil {
		t.Fatal(err)
	}
	if e := cfg.Environments["prod"]; !e.Protected || e.Readonly || e.AllowReset {
		t.Fatalf("flags: %+v", e)
	}
}

func TestAllErrorsReportedAtOnce(t *testing.T) {
	_, err := Parse("bad.yaml", []byte("refresh: x\nwindow: y\nenvironments:\n  a:\n    protected: 1\n"), nil, ui.Specs())
	var es Errors
	if !errors.As(err, &es) || len(es) != 3 {
		t.Fatalf("want 3 errors, got %v", err)
	}
}

func TestMissingFile(t *testing.T) {
	_, err := Load(Options{Bindings: ui.Specs(), Path: filepath.Join(t.TempDir(), "nope.yaml")})
	if err == nil || !strings.Contains(err.Error(), "nope.yaml: file not found") {
		t.Fatalf("err = %v", err)
	}
}

func TestMergeKeysAndAnchors(t *testing.T) {
	src := `
x-base: &base
  prometheus: {url: http://p:9090, timeout: 2s}
environments:
  a:
    <<: *base
    protected: true
`
	_, err := Parse("anchors.yaml", []byte(src), nil, ui.Specs())
	if err == nil || !strings.Contains(err.Error(), `x-base: unknown key`) {
		t.Fatalf("top-level x-base should be reported as unknown, got %v", err)
	}
	src = `
environments:
  base: &base
    prometheus: {url: http://p:9090, timeout: 2s}
  a:
    <<: *base
    protected: true
`
	cfg, err := Parse("anchors.yaml", []byte(src), nil, ui.Specs())
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Environments["a"]
	if a.Prometheus.URL != "http://p:9090" || a.Prometheus.Timeout.D() != 2*time.Second || !a.Protected {
		t.Fatalf("merge key lost values: %+v", a)
	}
}

func TestExpansionEdgeCases(t *testing.T) {
	src := "environments:\n  a:\n    prometheus: {url: 'http://p:9090', bearer_token: ${TOK}, selector: 'job=\"$${X}\"'}\n    protected: ${PROT}\n    redis: {url: \"${R:-redis://127.0.0.1:6390/0}\"}\n"
	cfg, err := Parse("x.yaml", []byte(src), envOf("TOK", "a$$b", "PROT", "true"), ui.Specs())
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Environments["a"]
	if a.Prometheus.BearerToken != "a$$b" {
		t.Errorf("a variable's value must not be unescaped: %q", a.Prometheus.BearerToken)
	}
	if a.Prometheus.Selector != `job="${X}"` {
		t.Errorf("$$ should give a literal $: %q", a.Prometheus.Selector)
	}
	if !a.Protected {
		t.Error("${PROT}=true should give a bool")
	}
	if a.Redis.URL != "redis://127.0.0.1:6390/0" {
		t.Errorf("default not used: %q", a.Redis.URL)
	}
	_, err = Parse("x.yaml", []byte("environments:\n  a:\n    redis: {url: '${not a var}'}\n"), nil, ui.Specs())
	if err == nil || !strings.Contains(err.Error(), "x.yaml:3: environments.a.redis.url: ${not a var} is not a variable reference") {
		t.Fatalf("bad reference: %v", err)
	}
}

func TestBadSelectorReportedOnce(t *testing.T) {
	_, err := Parse("s.yaml", []byte("environments:\n  a:\n    prometheus: {selector: 'job=api'}\n"), nil, ui.Specs())
	var es Errors
	if !errors.As(err, &es) || len(es) != 1 || es[0].Field != "environments.a.prometheus.selector" {
		t.Fatalf("want one selector error, got %v", err)
	}
}

// TestExampleConfigLoads: the shipped example is valid as it stands.
func TestExampleConfigLoads(t *testing.T) {
	cfg, err := Load(Options{Bindings: ui.Specs(), Path: filepath.Join("..", "opsdeck.example.yaml"), LookupEnv: envOf(
		"QA_DATABASE_URL", "postgresql://u:p@db/qa", "PROD_DATABASE_URL", "postgresql://u:p@db/prod")})
	if err != nil {
		t.Fatal(err)
	}
	if l := cfg.Environments["laptop"]; l == nil || l.MetricsURL != "http://localhost:8000/metrics" {
		t.Errorf("laptop: direct mode expected: %+v", l)
	}
	if p := cfg.Environments["production"]; p == nil || len(p.Celery.Queues) != 3 || p.Celery.Timeout.D() != DefaultTimeout {
		t.Errorf("production's celery block: %+v", p)
	}
	if qa := cfg.Environments["qa"]; len(qa.Actions.Commands) != 4 || qa.Actions.Migrate.Command != "alembic upgrade head" {
		t.Errorf("qa actions = %+v", qa.Actions)
	}
}

func TestKeyOverrides(t *testing.T) {
	src := "keys:\n  quit: x\n  pause: [space]\n  migrate: M\nenvironments:\n  a:\n    actions:\n      commands: [{name: logs, key: q, argv: [true]}, {name: deploy, key: p, argv: [true]}]\n"
	cfg, err := Parse("keys.yaml", []byte(src), nil, ui.Specs())
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]string{"quit": {"x"}, "pause": {"space"}, "migrate": {"M"}, "refresh": {"r"}} {
		if got := cfg.Bindings[name]; !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
}

func TestMetricsURLFromEnvironment(t *testing.T) {
	cfg, err := FromEnv(envOf("METRICS_URL", "http://api:8000/metrics"), ui.Specs())
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Environments["default"].MetricsURL; got != "http://api:8000/metrics" {
		t.Errorf("direct mode from METRICS_URL: %q", got)
	}
	cfg, err = FromEnv(envOf("METRICS_URL", "http://api:8000/metrics", "PROMETHEUS_URL", "http://p:9090"), ui.Specs())
	if err != nil {
		t.Fatal(err)
	}
	if e := cfg.Environments["default"]; e.MetricsURL != "" || e.Prometheus.URL == "" || len(cfg.Warnings) != 1 {
		t.Errorf("PROMETHEUS_URL must win over METRICS_URL, with a warning: %+v %v", e, cfg.Warnings)
	}
	if _, err := FromEnv(envOf("METRICS_URL", "api:8000"), ui.Specs()); err == nil || !strings.Contains(err.Error(), "METRICS_URL") {
		t.Errorf("a bad METRICS_URL must be named: %v", err)
	}
}

func TestDashboardInDirectModeWarns(t *testing.T) {
	dash := filepath.Join(t.TempDir(), "d.json")
	if err := os.WriteFile(dash, []byte(`{"panels": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse(filepath.Join(filepath.Dir(dash), "c.yaml"), []byte("grafana_dashboard: d.json\nenvironments:\n  laptop: {metrics_url: 'http://api:8000/metrics'}\n  qa: {prometheus: {url: 'http://p:9090'}}\n"), nil, ui.Specs())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.GrafanaDashboard != dash {
		t.Errorf("the dashboard path is relative to the config file: %q", cfg.GrafanaDashboard)
	}
	if len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0], "environment laptop scrapes /metrics directly") {
		t.Errorf("warnings: %v", cfg.Warnings)
	}
}

// TestCeleryBrokerFromEnvironment: zero-config reads the broker from
// CELERY_BROKER_URL, else Origin's REDIS_URL, with Origin's queues.
func TestCeleryBrokerFromEnvironment(t *testing.T) {
	for _, c := range []struct {
		env  []string
		want string
	}{
		{[]string{"REDIS_URL", "redis://cache:6379/0"}, "redis://cache:6379/0"},
		{[]string{"REDIS_URL", "redis://cache:6379/0", "CELERY_BROKER_URL", "redis://broker:6379/1"}, "redis://broker:6379/1"},
		{nil, ""},
	} {
		cfg, err := FromEnv(envOf(c.env...), ui.Specs())
		if err != nil {
			t.Fatal(err)
		}
		e := cfg.Environments["default"]
		if e.Celery.BrokerURL != c.want || (c.want != "" && !slices.Equal(e.Celery.Queues, DefaultCeleryQueues)) {
			t.Errorf("%v: broker %q queues %v", c.env, e.Celery.BrokerURL, e.Celery.Queues)
		}
	}
	if _, err := FromEnv(envOf("CELERY_BROKER_URL", "amqp://rabbit//"), ui.Specs()); err == nil || !strings.Contains(err.Error(), "CELERY_BROKER_URL") {
		t.Errorf("a bad broker URL must name its variable: %v", err)
	}
}

// TestNoSecretOnACommandLine: a runbook command's argv or shell may not
// carry the password of a connection string among alembic.env's values,
// nor a variable named like a secret: every user of the machine reads a
// process's argv. The same values in env: are fine.
func TestNoSecretOnACommandLine(t *testing.T) {
	lookup := func(k string) (string, bool) {
		v, ok := map[string]string{"DEPLOY_TOKEN": "tok-123456", "APP_ENV": "staging"}[k]
		return v, ok
	}
	for _, c := range []struct{ name, yaml, want string }{
		{"alembic.env's password", "environments:\n  a:\n    alembic: {dir: ., env: {DATABASE_URL: 'postgresql://o:DirectPw9@h/db'}}\n    actions:\n      commands:\n        - {name: t, argv: [/bin/sleep, '3', DirectPw9]}\n",
			`bad.yaml:6: environments.a.actions.commands[0].argv: would carry a password or token`},
		{"a token variable", "environments:\n  a:\n    actions:\n      commands:\n        - {name: t, argv: [/bin/echo, --token, '${DEPLOY_TOKEN}']}\n",
			`bad.yaml:5: environments.a.actions.commands[0].argv[2]: ${DEPLOY_TOKEN} would be on the command line`},
		{"a token variable in shell", "environments:\n  a:\n    actions:\n      commands:\n        - {name: t, shell: 'deploy --token ${DEPLOY_TOKEN}'}\n",
			`${DEPLOY_TOKEN} would be on the command line`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(c.yaml), lookup, ui.Specs())
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "tok-123456") || strings.Contains(err.Error(), "DirectPw9") {
				t.Fatalf("error:\n  %v\nwant it to contain:\n  %s", err, c.want)
			}
		})
	}
	ok := "environments:\n  a:\n    actions:\n      commands:\n        - {name: t, argv: [/bin/deploy, '${APP_ENV}'], env: {TOKEN: '${DEPLOY_TOKEN}'}}\n"
	if _, err := Parse("ok.yaml", []byte(ok), lookup, ui.Specs()); err != nil {
		t.Errorf("a plain variable on the command line, a secret in env: %v", err)
	}
}
