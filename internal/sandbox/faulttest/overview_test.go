package faulttest

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/internal/sandbox/faults"
	"github.com/opsdeck/opsdeck/internal/sandbox/originapi"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
	"github.com/opsdeck/opsdeck/internal/wire"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui"
)

// envRow is an environment's two lines on the overview, flattened.
func envRow(screen, name string) string {
	lines := strings.Split(screen, "\n")
	for i, l := range lines {
		if f := strings.Fields(l); len(f) >= 2 && (f[1] == name || (f[0] == "▶" && len(f) >= 3 && f[2] == name)) {
			second := ""
			if i+1 < len(lines) {
				second = lines[i+1]
			}
			return strings.Join(strings.Fields(l+" "+second), " ")
		}
	}
	return ""
}

// order is the environments' names in the overview's order.
func order(screen string, names ...string) []string {
	type at struct {
		name string
		i    int
	}
	var found []at
	for _, n := range names {
		if i := strings.Index(screen, " "+n+" "); i >= 0 {
			found = append(found, at{n, i})
		}
	}
	for i := range found {
		for j := i + 1; j < len(found); j++ {
			if found[j].i < found[i].i {
				found[i], found[j] = found[j], found[i]
			}
		}
	}
	out := make([]string, len(found))
	for i, f := range found {
		out[i] = f.name
	}
	return out
}

// TestOverviewOfThreeEnvironments: three environments on real Prometheus,
// PostgreSQL and Redis servers, one with a critical alert firing. The
// overview ranks it first; when another's PostgreSQL is killed its row says
// so within two of its refreshes, with the age of its last good data, and
// ranks above the healthy one, which goes on being read; restarted, it
// recovers by itself.
func TestOverviewOfThreeEnvironments(t *testing.T) {
	sandboxtest.SkipServers(t, "Prometheus, PostgreSQL and Redis")
	api := originapi.Start(t, originapi.Schedule{Start: time.Now(), Period: time.Hour, Quiet: true}, 3)
	alerting := sandboxtest.NewPrometheus(t, servers.PrometheusOptions{Targets: []string{api},
		Rules: "groups:\n  - name: t\n    rules:\n      - alert: PaymentsDown\n        expr: vector(1)\n        labels: {severity: critical}\n"})
	calm := sandboxtest.NewPrometheus(t, servers.PrometheusOptions{Targets: []string{api}})
	rd := sandboxtest.NewRedis(t, servers.RedisOptions{})
	pgs := map[string]*servers.Postgres{}
	for _, n := range []string{"alpha", "beta", "gamma"} {
		pgs[n] = sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	}
	// gamma's PostgreSQL behind a proxy: killed and restarted (on another
	// port, perhaps), it keeps its URL.
	proxy := faults.NewProxy(t, "127.0.0.1:"+fmt.Sprint(pgs["gamma"].Port))
	pgURL := func(n string) string {
		pg := pgs[n]
		host := "127.0.0.1:" + fmt.Sprint(pg.Port)
		if n == "gamma" {
			host = proxy.Addr()
		}
		u := url.URL{Scheme: "postgresql", User: url.UserPassword(pg.User, pg.Password), Host: host, Path: "/" + pg.Database, RawQuery: "sslmode=disable"}
		return u.String()
	}
	const refresh = time.Second
	yaml := fmt.Sprintf(`refresh: 2s
overview_refresh: 1s
environments:
  alpha:
    protected: true
    prometheus: {url: %q}
    postgres: {url: %q, timeout: 500ms}
    redis: {url: %q}
  beta:
    prometheus: {url: %q}
    postgres: {url: %q, timeout: 500ms}
    redis: {url: %q}
  gamma:
    prometheus: {url: %q}
    postgres: {url: %q, timeout: 500ms}
    redis: {url: %q}
`, alerting.URL(), pgURL("alpha"), rd.URL(0), calm.URL(), pgURL("beta"), rd.URL(0), calm.URL(), pgURL("gamma"), rd.URL(0))
	path := filepath.Join(t.TempDir(), "three.yaml")
	must(t, os.WriteFile(path, []byte(yaml), 0o600))
	cfg, err := config.Load(config.Options{Path: path})
	must(t, err)

	var envs []ui.EnvChoice
	for _, n := range cfg.Order {
		envs = append(envs, ui.EnvChoice{Name: n, Protected: cfg.Environments[n].Protected})
	}
	c := startConsoleWith(t, ui.Deps{Environments: envs, Initial: "beta", Open: func(n string) (*sources.Environment, error) { return wire.Open(cfg, n, "test") },
		Refresh: cfg.Refresh.D(), Window: 5 * time.Minute, Overview: true, OverviewRefresh: cfg.OverviewRefresh.D()}) // q quits from the overview too
	screen := func(p map[string]string) string { return p[ui.OverviewScreen] }
	read := func(row string) bool {
		return strings.Contains(row, "PG ") && strings.Contains(row, "conn") && strings.Contains(row, "req/s")
	}

	firstRead := c.waitFor(t, "three rows read, the alerting one first", 0, func(p map[string]string) bool {
		s := screen(p)
		a := envRow(s, "alpha")
		return read(a) && strings.Contains(a, "1 firing (critical)") && read(envRow(s, "beta")) && read(envRow(s, "gamma")) &&
			strings.Join(order(s, "alpha", "beta", "gamma"), ",") == "alpha,beta,gamma"
	})

	must(t, pgs["gamma"].Kill())
	// A row says so within two refreshes, each read taking at most what
	// the first read of all three took on this machine (it opened every
	// client: the slowest read there is), twice over for chance.
	within := 2*refresh + 4*firstRead
	took := c.waitFor(t, "gamma's row says its Postgres is down, with the age of its data", within, func(p map[string]string) bool {
		s := screen(p)
		g := envRow(s, "gamma")
		return strings.Contains(g, "⚠ PG down") && ageOfLastData.MatchString(g) && strings.Contains(g, "req/s") &&
			strings.Join(order(s, "alpha", "beta", "gamma"), ",") == "alpha,gamma,beta"
	})
	t.Logf("gamma said down %v after its Postgres was killed (refresh %v)", took.Round(10*time.Millisecond), refresh)
	// beta goes on being read meanwhile, never late, never down: watched for
	// three refreshes (time let pass on purpose).
	deadline := time.Now().Add(3 * refresh)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		b := envRow(screen(c.panes), "beta")
		c.mu.Unlock()
		if !read(b) || strings.Contains(b, "⚠") {
			t.Fatalf("beta while gamma is down: %s", b)
		}
		time.Sleep(100 * time.Millisecond)
	}

	ctx, cancel := wait.Bounded(t)
	defer cancel()
	must(t, pgs["gamma"].Restart(ctx))
	proxy.Retarget("127.0.0.1:" + fmt.Sprint(pgs["gamma"].Port))
	c.waitFor(t, "gamma recovered by itself", within, func(p map[string]string) bool {
		s := screen(p)
		g := envRow(s, "gamma")
		return read(g) && !strings.Contains(g, "⚠") && strings.Join(order(s, "alpha", "beta", "gamma"), ",") == "alpha,beta,gamma"
	})
}
