package slo

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/faults"
	"github.com/opsdeck/opsdeck/internal/sandbox/originapi"
	origin "github.com/opsdeck/opsdeck/internal/sandbox/originapi/slo"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/httpapi"
	"github.com/opsdeck/opsdeck/sources/prometheus"
)

// pyrraRules are recording rules in the shape pyrra writes for a 28-day
// availability objective (its burnrate rules, windows scaled to 28 days,
// and its generic pyrra_* rules): pyrra itself is not run here.
const pyrraRules = `groups:
- name: origin-pyrra-burnrates
  interval: 1s
  rules:
{{range .}}  - record: http_requests:burnrate{{.}}
    expr: sum(rate(http_requests_total{job="fastapi-app",status="5xx"}[{{.}}])) / sum(rate(http_requests_total{job="fastapi-app"}[{{.}}]))
    labels: {slo: origin-errors-pyrra}
{{end}}- name: origin-pyrra-generic
  rules:
  - record: pyrra_objective
    expr: vector(0.995)
    labels: {slo: origin-errors-pyrra}
  - record: pyrra_window
    expr: vector(2419200)
    labels: {slo: origin-errors-pyrra}
  - record: pyrra_availability
    expr: 1 - sum(increase(http_requests_total{job="fastapi-app",status="5xx"}[4w])) / sum(increase(http_requests_total{job="fastapi-app"}[4w]))
    labels: {slo: origin-errors-pyrra}
`

func pyrra() string {
	var b strings.Builder
	head, tail, _ := strings.Cut(pyrraRules, "{{range .}}")
	item, rest, _ := strings.Cut(tail, "{{end}}")
	b.WriteString(head)
	for _, w := range []string{"5m", "30m", "1h", "2h", "6h", "1d", "4d"} {
		b.WriteString(strings.ReplaceAll(item, "{{.}}", w))
	}
	b.WriteString(rest)
	return b.String()
}

// countingQuerier counts the queries a refresh asks.
type countingQuerier struct {
	Querier
	n atomic.Int64
}

func (c *countingQuerier) Instant(ctx context.Context, q string, at time.Time) ([]prometheus.Sample, []string, error) {
	c.n.Add(1)
	return c.Querier.Instant(ctx, q, at)
}

// TestFiguresMatchPrometheus: against both Prometheus versions the tests
// use, loading the rules sloth generated for Origin (and pyrra-shaped
// ones), each objective is found, read in one query a refresh, and every
// figure equals the same PromQL asked of that Prometheus directly; the
// error incident makes availability breach the fast pair, latency none.
func TestFiguresMatchPrometheus(t *testing.T) {
	t.Parallel()
	sandboxtest.SkipServers(t, "Prometheus")
	for _, current := range []bool{false, true} {
		t.Run(map[bool]string{false: "prometheus-2.42", true: "prometheus-current"}[current], func(t *testing.T) {
			t.Parallel()
			api := originapi.Start(t, originapi.Schedule{Start: time.Now(), Always: "errors"}, 7)
			p := sandboxtest.NewPrometheus(t, servers.PrometheusOptions{Targets: []string{api}, Current: current,
				Rules: origin.Rules(), MoreRules: []string{pyrra()}})
			ctx, cancel := wait.Bounded(t)
			defer cancel()
			// Every rule has been evaluated (both of sloth's objectives, and
			// pyrra's) by the instant the source reads at.
			settled := func() time.Time { return time.Now().Add(-2 * time.Second) }
			wait.Eventually(t, "every rule to have a value", func() error {
				// A thousand requests: the error ratio near the schedule's
				// 12 %, far from the 14.4x pair's 7.2 %.
				if got, err := p.Query(ctx, `sum(http_requests_total{job="fastapi-app"}) >= 1000`, settled()); err != nil || len(got) == 0 {
					return fmt.Errorf("fewer than 1000 requests: %v %v", got, err)
				}
				want := map[string]int{`slo:error_budget:ratio`: 2, `pyrra_objective`: 1, `pyrra_availability`: 1}
				for _, w := range []string{"5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d"} {
					want[`slo:sli_error:ratio_rate`+w] = 2
				}
				for _, w := range []string{"5m", "1h", "1d", "4d"} {
					want[`http_requests:burnrate`+w] = 1
				}
				for q, n := range want {
					got, err := p.Query(ctx, q, settled().Truncate(time.Second))
					if err != nil || len(got) != n {
						return fmt.Errorf("%s: %v %v", q, got, err)
					}
					for _, s := range got {
						if math.IsNaN(s.Value) {
							return fmt.Errorf("%s: %v", q, got)
						}
					}
				}
				return nil
			}, wait.Context(ctx))

			client, err := prometheus.New(prometheus.Options{URL: p.URL()})
			if err != nil {
				t.Fatal(err)
			}
			rules, err := httpapi.NewAPI(httpapi.APIOptions{Name: "prometheus", URL: p.URL()})
			if err != nil {
				t.Fatal(err)
			}
			q := &countingQuerier{Querier: client}
			// Two seconds back: the rules' samples at that instant are written.
			src := New(Options{Prometheus: q, Rules: rules, Now: settled,
				Declared: []Declared{
					{Name: "config-errors", Objective: 99.5, Window: 30 * 24 * time.Hour,
						Errors: `http_requests_total{job="fastapi-app",status="5xx"}`, Total: `http_requests_total{job="fastapi-app"}`},
					{Name: "config-latency", Objective: 99, Window: 24 * time.Hour,
						Latency: `http_request_duration_seconds{job="fastapi-app"}`, Threshold: 0.5},
				}})
			slos, err := src.Objectives(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got := q.n.Load(); got != int64(len(slos)) {
				t.Errorf("%d queries for %d objectives, want one each", got, len(slos))
			}
			byName := map[string]sources.SLO{}
			for _, s := range slos {
				byName[s.Name] = s
				if s.Problem != "" {
					t.Errorf("%s: %s", s.Name, s.Problem)
				}
			}
			for _, name := range []string{"origin-api/requests-availability", "origin-api/requests-latency", "origin-errors-pyrra", "config-errors", "config-latency"} {
				if _, ok := byName[name]; !ok {
					t.Fatalf("objective %s not found among %v", name, slos)
				}
			}
			checkSloth(ctx, t, p, byName["origin-api/requests-availability"], "origin-api-requests-availability", 0.995)
			checkSloth(ctx, t, p, byName["origin-api/requests-latency"], "origin-api-requests-latency", 0.99)
			checkPyrra(ctx, t, p, byName["origin-errors-pyrra"])
			checkDeclared(ctx, t, p, byName["config-errors"],
				`sum(rate(http_requests_total{job="fastapi-app",status="5xx"}[%[1]s])) / sum(rate(http_requests_total{job="fastapi-app"}[%[1]s]))`)
			checkDeclared(ctx, t, p, byName["config-latency"],
				`(sum(rate(http_request_duration_seconds_count{job="fastapi-app"}[%[1]s])) - sum(rate(http_request_duration_seconds_bucket{job="fastapi-app",le=~"0.5"}[%[1]s]))) / sum(rate(http_request_duration_seconds_count{job="fastapi-app"}[%[1]s]))`)

			// The error incident burns availability fast: the 14.4x pair
			// breaches; latency stays within its budget.
			if b := byName["origin-api/requests-availability"].Breaching(); len(b) == 0 || b[0].Factor != 14.4 {
				t.Errorf("availability breaching %v, want the 14.4x pair first", b)
			}
			if b := byName["origin-api/requests-latency"].Breaching(); len(b) != 0 {
				t.Errorf("latency breaching %v, want none", b)
			}
		})
	}
}

// direct is the one value of query at at, asked of Prometheus itself (NaN
// when it answers none).
func direct(ctx context.Context, t *testing.T, p *servers.Prometheus, query string, at time.Time) float64 {
	t.Helper()
	got, err := p.Query(ctx, query, at)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	switch len(got) {
	case 0:
		return math.NaN()
	case 1:
		return got[0].Value
	}
	t.Fatalf("%s: %d series, want one", query, len(got))
	return 0
}

// same reports whether two figures agree (both unknown counts as agreeing).
func same(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b))
}

func checkSloth(ctx context.Context, t *testing.T, p *servers.Prometheus, s sources.SLO, id string, objective float64) {
	t.Helper()
	if s.Origin != "sloth" || s.Objective != objective || s.Window != 30*24*time.Hour {
		t.Errorf("%s: origin %s objective %v window %s", s.Name, s.Origin, s.Objective, s.Window)
	}
	sel := fmt.Sprintf(`{sloth_id=%q}`, id)
	ratio := func(w string) string { return "slo:sli_error:ratio_rate" + w + sel }
	budget := "slo:error_budget:ratio" + sel
	windows := map[time.Duration]string{5 * time.Minute: "5m", 30 * time.Minute: "30m", time.Hour: "1h", 2 * time.Hour: "2h",
		6 * time.Hour: "6h", 24 * time.Hour: "1d", 72 * time.Hour: "3d"}
	for w, name := range windows {
		want := direct(ctx, t, p, ratio(name)+" / on(sloth_id) "+budget, s.At)
		if got := s.BurnRate(w); !same(got, want) || math.IsNaN(got) {
			t.Errorf("%s: burn rate over %s %v, Prometheus says %v", s.Name, name, got, want)
		}
	}
	if got, want := s.SLI(), direct(ctx, t, p, "1 - "+ratio("30d"), s.At); !same(got, want) {
		t.Errorf("%s: SLI %v, Prometheus says %v", s.Name, got, want)
	}
	remaining := direct(ctx, t, p, "1 - "+ratio("30d")+" / on(sloth_id) "+budget, s.At)
	if got := s.BudgetRemaining(); !same(got, remaining) {
		t.Errorf("%s: budget remaining %v, Prometheus says %v", s.Name, got, remaining)
	}
	for _, pair := range sources.BurnPairs {
		q := fmt.Sprintf("(%s / on(sloth_id) %s > %v) and (%s / on(sloth_id) %s > %[3]v)",
			ratio(windows[pair.Long]), budget, pair.Factor, ratio(windows[pair.Short]), budget)
		want := !math.IsNaN(direct(ctx, t, p, q, s.At))
		got := false
		for _, b := range s.Breaching() {
			got = got || b == pair
		}
		if got != want {
			t.Errorf("%s: pair %v breaching %v, Prometheus says %v", s.Name, pair, got, want)
		}
	}
	checkExhaustion(ctx, t, p, s, fmt.Sprintf("(%s) * %v / (%s / on(sloth_id) %s)", "1 - "+ratio("30d")+" / on(sloth_id) "+budget,
		s.Window.Seconds(), ratio("5m"), budget))
}

func checkExhaustion(ctx context.Context, t *testing.T, p *servers.Prometheus, s sources.SLO, query string) {
	t.Helper()
	secs := direct(ctx, t, p, query, s.At)
	d, ok := s.Exhaustion()
	switch {
	case math.IsNaN(secs) || math.IsInf(secs, 1):
		if ok {
			t.Errorf("%s: exhaustion %s, Prometheus says never (%v)", s.Name, d, secs)
		}
	case secs <= 0:
		if !ok || d != 0 {
			t.Errorf("%s: exhaustion %s %v, Prometheus says spent (%v)", s.Name, d, ok, secs)
		}
	case !ok || math.Abs(d.Seconds()-secs) > 1:
		t.Errorf("%s: exhaustion %s %v, Prometheus says %v s", s.Name, d, ok, secs)
	}
}

func checkPyrra(ctx context.Context, t *testing.T, p *servers.Prometheus, s sources.SLO) {
	t.Helper()
	if s.Origin != "pyrra" || s.Objective != 0.995 || s.Window != 28*24*time.Hour {
		t.Errorf("%s: origin %s objective %v window %s", s.Name, s.Origin, s.Objective, s.Window)
	}
	sel := `{slo="origin-errors-pyrra"}`
	for w, name := range map[time.Duration]string{5 * time.Minute: "5m", time.Hour: "1h", 24 * time.Hour: "1d"} {
		got, ok := s.ErrorRatios[w]
		if want := direct(ctx, t, p, "http_requests:burnrate"+name+sel, s.At); !ok || !same(got, want) {
			t.Errorf("%s: error ratio over %s %v, Prometheus says %v", s.Name, name, got, want)
		}
	}
	// No rule within a fifth of 3 days (pyrra's is 4d): said unknown.
	if _, ok := s.ErrorRatios[72*time.Hour]; ok {
		t.Errorf("%s: a 3d ratio from %v", s.Name, s.ErrorRatios)
	}
	if got, want := s.SLI(), direct(ctx, t, p, "pyrra_availability"+sel, s.At); !same(got, want) {
		t.Errorf("%s: SLI %v, Prometheus says %v", s.Name, got, want)
	}
}

// checkDeclared compares a configured objective's figures with the query
// written out by hand (format takes the window as %[1]s).
func checkDeclared(ctx context.Context, t *testing.T, p *servers.Prometheus, s sources.SLO, format string) {
	t.Helper()
	if s.Origin != "config" {
		t.Errorf("%s: origin %s", s.Name, s.Origin)
	}
	for _, w := range allWindows(s.Window) {
		want := direct(ctx, t, p, fmt.Sprintf(format, promDuration(w)), s.At)
		if got, ok := s.ErrorRatios[w]; !ok || !same(got, want) || math.IsNaN(want) {
			t.Errorf("%s: error ratio over %s %v, Prometheus says %v", s.Name, promDuration(w), got, want)
		}
	}
	budget := 1 - s.Objective
	r := func(w time.Duration) string { return fmt.Sprintf("("+format+")", promDuration(w)) }
	checkExhaustion(ctx, t, p, s, fmt.Sprintf("(1 - %s / %v) * %v / (%s / %[2]v)", r(s.Window), budget, s.Window.Seconds(), r(5*time.Minute)))
}

// TestServerDown: without a server the rules cannot be read: that is the
// source's error, alone or beside declared objectives (none of which can
// be read either), so that the pane keeps what it showed and says why.
func TestServerDown(t *testing.T) {
	t.Parallel()
	url := fmt.Sprintf("http://127.0.0.1:%d", sandboxtest.DeadPort(t))
	client, err := prometheus.New(prometheus.Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	rules, err := httpapi.NewAPI(httpapi.APIOptions{Name: "prometheus", URL: url})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := wait.Bounded(t)
	defer cancel()
	declared := []Declared{{Name: "api", Objective: 99.9, Window: time.Hour, Errors: `errors_total`, Total: `requests_total`}}
	for _, d := range [][]Declared{nil, declared} {
		got, err := New(Options{Prometheus: client, Rules: rules, Declared: d}).Objectives(ctx)
		if err == nil || !strings.Contains(err.Error(), "refused") {
			t.Errorf("declared %v: objectives %v, error %v: want the refusal", d, got, err)
		}
	}
}

// TestFaults: behind a proxy that stalls, answers HTML or resets, the
// objectives' read ends with the client's timeout and says why in words,
// an error (the pane keeps what it showed); once the server is back, the
// next read has every figure again.
func TestFaults(t *testing.T) {
	t.Parallel()
	sandboxtest.SkipServers(t, "Prometheus")
	api := originapi.Start(t, originapi.Schedule{Start: time.Now(), Always: "errors"}, 5)
	p := sandboxtest.NewPrometheus(t, servers.PrometheusOptions{Targets: []string{api}, Rules: origin.Rules()})
	ctx, cancel := wait.Bounded(t)
	defer cancel()
	settled := func() time.Time { return time.Now().Add(-2 * time.Second) }
	wait.Eventually(t, "sloth's rules evaluated", func() error {
		got, err := p.Query(ctx, `slo:sli_error:ratio_rate5m`, settled().Truncate(time.Second))
		if err != nil || len(got) != 2 || math.IsNaN(got[0].Value) || math.IsNaN(got[1].Value) {
			return fmt.Errorf("%v %v", got, err)
		}
		return nil
	}, wait.Context(ctx))
	proxy := faults.NewProxy(t, strings.TrimPrefix(p.URL(), "http://"))
	url := "http://" + proxy.Addr()
	client, err := prometheus.New(prometheus.Options{URL: url, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	rules, err := httpapi.NewAPI(httpapi.APIOptions{Name: "prometheus", URL: url, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	src := New(Options{Prometheus: client, Rules: rules, Now: settled})
	healthy := func(when string) {
		t.Helper()
		got, err := src.Objectives(ctx)
		if err != nil || len(got) != 2 || got[0].Problem != "" || math.IsNaN(got[0].BurnRate(5*time.Minute)) {
			t.Fatalf("%s: objectives %+v, error %v", when, got, err)
		}
	}
	healthy("before the faults")
	for _, c := range []struct {
		fault faults.Fault
		h     http.Handler
		want  string
	}{
		{faults.Stall, nil, "within 1s"},
		{faults.Serve, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprint(w, "<html><body>\x1b[31mBad gateway</body></html>")
		}), "502 Bad Gateway with an HTML page"},
		{faults.Reset, nil, "closed the connection"},
	} {
		proxy.SetWith(c.fault, 0, c.h)
		got, err := src.Objectives(ctx)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: objectives %+v, error %v: want it to say %q", c.fault, got, err, c.want)
		}
		proxy.Set(faults.Pass)
		healthy("after " + c.fault.String())
	}
}
