package scrape

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/internal/sandbox/originapi"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/sources"
)

var golden = []sources.SignalSpec{
	{Key: sources.RPS, Title: "rps"}, {Key: sources.ErrorRate, Title: "errors"},
	{Key: sources.P95Latency, Title: "p95"}, {Key: sources.Memory, Title: "memory"},
}

// TestAgreesWithPrometheus: direct mode and a real Prometheus scrape the same
// Origin API; every golden signal agrees within 7.5 % at the same instant.
// The two take their samples at their own instants, a second apart each: a
// 30 s rate can differ by a sample's worth at each end (3 % each) when a busy
// machine delays one of them, and a wrong rate is off by far more.
func TestAgreesWithPrometheus(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// 13 minutes into an hour-long cycle is inside the error incident: a 12 %
	// error ratio gives the numerator enough requests to compare.
	// The incident hits one route: the breakdown must find it.
	addr := originapi.Start(t, originapi.Schedule{Start: time.Now().Add(-13 * time.Minute), Period: time.Hour, Hit: "/api/chat"}, 7)
	prom := sandboxtest.NewPrometheus(t, servers.PrometheusOptions{Targets: []string{addr}})

	const window = 30 * time.Second
	src, err := New(Options{URL: "http://" + addr + "/metrics", RateWindow: window})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	// Time let pass on purpose: a scrape a second until the rate window is full.
	deadline := time.Now().Add(window + 4*time.Second)
	for time.Now().Before(deadline) {
		if err := src.Scrape(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
	}
	at := time.Now().Truncate(time.Millisecond)
	queries := map[string]string{
		sources.RPS:        `sum(rate(http_requests_total[30s]))`,
		sources.ErrorRate:  `sum(rate(http_requests_total{status=~"5.."}[30s])) / sum(rate(http_requests_total[30s]))`,
		sources.P95Latency: `histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[30s])))`,
		sources.Memory:     `sum(process_resident_memory_bytes)`,
	}
	for _, spec := range golden {
		got, err := src.Read(ctx, spec, sources.Window{Now: at})
		if err != nil {
			t.Fatalf("%s: %v", spec.Key, err)
		}
		want, err := prom.Query(ctx, queries[spec.Key], at)
		if err != nil || len(want) != 1 {
			t.Fatalf("%s: prometheus: %v %v", spec.Key, want, err)
		}
		rel := math.Abs(got.Value-want[0].Value) / want[0].Value
		t.Logf("%-12s direct %.6g  prometheus %.6g  (%.2f%%)", spec.Key, got.Value, want[0].Value, rel*100)
		if !(rel <= 0.075) {
			t.Errorf("%s: direct mode %v, Prometheus %v: %.1f%% apart, want within 7.5%%", spec.Key, got.Value, want[0].Value, rel*100)
		}
	}

	// The breakdown by handler, from the endpoint's own samples: the failing
	// route first for errors, and each figure Prometheus's per route.
	split := map[string]string{
		sources.RPS: `sum by (handler) (rate(http_requests_total[30s]))`,
		sources.ErrorRate: `(sum by (handler) (rate(http_requests_total{status=~"5.."}[30s])) or 0 * sum by (handler) (rate(http_requests_total[30s])))` +
			` / sum by (handler) (rate(http_requests_total[30s]))`,
		sources.P95Latency: `histogram_quantile(0.95, sum by (le, handler) (rate(http_request_duration_seconds_bucket[30s])))`,
	}
	for _, spec := range golden[:3] {
		b, err := src.Breakdown(ctx, spec, "", sources.WindowFor(at, 2*time.Minute, 30))
		if err != nil {
			t.Fatalf("%s: %v", spec.Key, err)
		}
		if b.Label != "handler" || !slices.Contains(b.Labels, "method") || len(b.Rows) != 5 { // five routes (/api/messages has two methods)
			t.Fatalf("%s: split by %q of %v, %d rows: %+v", spec.Key, b.Label, b.Labels, len(b.Rows), b.Rows)
		}
		if spec.Key == sources.ErrorRate && b.Rows[0].Value != "/api/chat" { // the incident now is errors
			t.Errorf("%s: the failing route is not first: %+v", spec.Key, b.Rows)
		}
		want, err := prom.Query(ctx, split[spec.Key], at)
		if err != nil || len(want) < 5 {
			t.Fatalf("%s: prometheus: %v %v", spec.Key, want, err)
		}
		for _, w := range want {
			i := slices.IndexFunc(b.Rows, func(r sources.BreakdownRow) bool { return r.Value == w.Labels["handler"] })
			if i < 0 {
				t.Errorf("%s: no row for %s", spec.Key, w.Labels["handler"])
				continue
			}
			got := b.Rows[i].Current
			// One route's rate rests on a few hundred requests, sampled at
			// other instants than Prometheus's: 8 %; a few errors in them
			// differ by one between two samplings: small ratios absolutely.
			if d := math.Abs(got - w.Value); d > 0.08*math.Abs(w.Value) && !(spec.Key == sources.ErrorRate && d <= 0.02) {
				t.Errorf("%s of %s: direct %v, Prometheus %v", spec.Key, w.Labels["handler"], got, w.Value)
			}
		}
	}
}

// exposition serves the given text as /metrics, changeable between scrapes.
type exposition struct {
	mu          sync.Mutex
	body        string
	status      int
	contentType string
}

func (e *exposition) set(body string) {
	e.mu.Lock()
	e.body, e.status, e.contentType = body, 200, "text/plain; version=0.0.4"
	e.mu.Unlock()
}

func (e *exposition) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	w.Header().Set("Content-Type", e.contentType)
	w.WriteHeader(e.status)
	fmt.Fprint(w, e.body)
}

func text(ok, errs float64, buckets map[string]float64, rss float64) string {
	var b strings.Builder
	b.WriteString("# TYPE http_requests_total counter\n")
	fmt.Fprintf(&b, "http_requests_total{handler=\"/a\",status=\"2xx\"} %g\n", ok)
	fmt.Fprintf(&b, "http_requests_total{handler=\"/a\",status=\"5xx\"} %g\n", errs)
	b.WriteString("# TYPE http_request_duration_seconds histogram\n")
	for _, le := range []string{"0.1", "0.5", "1", "+Inf"} {
		fmt.Fprintf(&b, "http_request_duration_seconds_bucket{handler=\"/a\",le=%q} %g\n", le, buckets[le])
	}
	fmt.Fprintf(&b, "http_request_duration_seconds_count{handler=\"/a\"} %g\n", buckets["+Inf"])
	b.WriteString("http_request_duration_seconds_sum{handler=\"/a\"} 1\n")
	fmt.Fprintf(&b, "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes %g\n", rss)
	return b.String()
}

// clock is a settable time for driving the ring deterministically.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestRatesResetsAndQuantile(t *testing.T) {
	t.Parallel()
	exp := &exposition{}
	srv := httptest.NewServer(exp)
	defer srv.Close()
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	src, _ := New(Options{URL: srv.URL, RateWindow: time.Minute, Now: clk.now})
	ctx := context.Background()
	read := func(key string) sources.Reading {
		t.Helper()
		r, err := src.Read(ctx, sources.SignalSpec{Key: key}, sources.Window{})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	exp.set(text(100, 0, map[string]float64{"0.1": 50, "0.5": 90, "1": 100, "+Inf": 100}, 1<<20))
	if r := read(sources.RPS); r.HasValue() || !strings.Contains(r.Diagnosis, "two scrapes") {
		t.Fatalf("one scrape must give no rate and say why: %+v", r)
	}
	if r := read(sources.Memory); r.Value != 1<<20 {
		t.Fatalf("memory %v", r.Value)
	}
	// 10 s later: 90 more ok, 10 errors; 100 observations: 60 ≤ 0.1, 90 ≤ 0.5, 100 ≤ 1.
	clk.t = clk.t.Add(10 * time.Second)
	exp.set(text(190, 10, map[string]float64{"0.1": 110, "0.5": 180, "1": 200, "+Inf": 200}, 2<<20))
	if r := read(sources.RPS); math.Abs(r.Value-10) > 1e-9 {
		t.Errorf("rps %v, want 10", r.Value)
	}
	if r := read(sources.ErrorRate); math.Abs(r.Value-0.1) > 1e-9 {
		t.Errorf("error ratio %v, want 0.1", r.Value)
	}
	// rank 95 of 100 falls in (0.5, 1] holding 10: 0.5 + 0.5*(95-90)/10.
	if r := read(sources.P95Latency); math.Abs(r.Value-0.75) > 1e-9 {
		t.Errorf("p95 %v, want 0.75", r.Value)
	}
	// The process restarts: counters start again from small values; rate()
	// counts the new value as the increase.
	clk.t = clk.t.Add(10 * time.Second)
	exp.set(text(20, 0, map[string]float64{"0.1": 20, "0.5": 20, "1": 20, "+Inf": 20}, 1<<20))
	if r := read(sources.RPS); math.Abs(r.Value-(100+20)/20.0) > 1e-9 {
		t.Errorf("rps across a reset %v, want %v", r.Value, 120/20.0)
	}
	// Past the rate window with no traffic, the ratio is 0/0 and says so.
	for range 8 {
		clk.t = clk.t.Add(10 * time.Second)
		exp.set(text(20, 0, map[string]float64{"0.1": 20, "0.5": 20, "1": 20, "+Inf": 20}, 1<<20))
		read(sources.RPS)
	}
	if r := read(sources.ErrorRate); r.HasValue() || !strings.Contains(r.Diagnosis, "no requests") {
		t.Errorf("idle error ratio: %+v", r)
	}
	if r := read(sources.RPS); r.Value != 0 {
		t.Errorf("idle rps %v, want 0", r.Value)
	}
}

func TestChartFromRing(t *testing.T) {
	t.Parallel()
	exp := &exposition{}
	srv := httptest.NewServer(exp)
	defer srv.Close()
	start := time.Unix(1_700_000_000, 0)
	clk := &clock{t: start}
	src, _ := New(Options{URL: srv.URL, RateWindow: 20 * time.Second, Now: clk.now})
	// 5 req/s for a minute, then 20 req/s for a minute, one scrape every 5 s.
	total := 0.0
	for i := 0; i <= 24; i++ {
		clk.t = start.Add(time.Duration(i) * 5 * time.Second)
		exp.set(text(total, 0, map[string]float64{"+Inf": total}, 1))
		if err := src.Scrape(context.Background()); err != nil {
			t.Fatal(err)
		}
		if i < 12 {
			total += 25
		} else {
			total += 100
		}
	}
	w := sources.Window{Now: clk.t, End: clk.t, Length: 2 * time.Minute, Step: 10 * time.Second}
	r, err := src.Read(context.Background(), sources.SignalSpec{Key: sources.RPS}, w)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Points) != w.Points() {
		t.Fatalf("%d points, want %d", len(r.Points), w.Points())
	}
	if !math.IsNaN(r.Points[0]) {
		t.Errorf("before the second scrape there is no rate, got %v", r.Points[0])
	}
	if math.Abs(r.Points[4]-5) > 1e-9 || math.Abs(r.Points[w.Points()-1]-20) > 1e-9 {
		t.Errorf("chart %v: want 5 req/s at 40 s and 20 req/s at the end", r.Points)
	}
}

func TestBadAnswersKeepTheRing(t *testing.T) {
	t.Parallel()
	exp := &exposition{}
	srv := httptest.NewServer(exp)
	defer srv.Close()
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	const canary = "s3cr3t-canary"
	url := strings.Replace(srv.URL, "http://", "http://ops:"+canary+"@", 1) + "/metrics"
	src, _ := New(Options{URL: url, Now: clk.now, Scrubber: redact.NewScrubber()})
	ctx := context.Background()
	exp.set(text(1, 0, map[string]float64{"+Inf": 1}, 1))
	if err := src.Scrape(ctx); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, body, ct string
		status         int
		want           string
	}{
		{"500", "boom", "text/plain", 500, "HTTP 500"},
		{"html", "<html><title>Login</title></html>", "text/html", 200, "HTML page"},
		{"garbage", "http_requests_total{handler=\"/a\" 12\n", "text/plain", 200, "not Prometheus text format"},
		{"truncated", "# TYPE x histogram\nx_bucket{le=\"0.1\"} 1\nx_bucket{le=", "text/plain", 200, "not Prometheus text format"},
	}
	for _, c := range cases {
		clk.t = clk.t.Add(5 * time.Second)
		exp.mu.Lock()
		exp.body, exp.status, exp.contentType = c.body, c.status, c.ct
		exp.mu.Unlock()
		err := src.Scrape(ctx)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to say %q", c.name, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), canary) {
			t.Errorf("%s: the password leaked: %v", c.name, err)
		}
	}
	src.mu.Lock()
	n := len(src.ring)
	src.mu.Unlock()
	if n != 1 {
		t.Errorf("failed scrapes must not touch the ring: %d samples", n)
	}
	srv.Close()
	clk.t = clk.t.Add(5 * time.Second)
	if err := src.Scrape(ctx); err == nil || !strings.Contains(err.Error(), "cannot reach") || strings.Contains(err.Error(), canary) {
		t.Errorf("down: %v", err)
	}
	if _, err := src.Alerts(ctx); err != sources.ErrNoAlerting {
		t.Errorf("alerts: %v", err)
	}
	if _, err := src.Read(ctx, sources.SignalSpec{Key: "grafana:1", Title: "Custom"}, sources.Window{}); err == nil || !strings.Contains(err.Error(), "needs Prometheus") {
		t.Errorf("a custom query in direct mode: %v", err)
	}
}

func TestQuantileMatchesPrometheus(t *testing.T) {
	inf := math.Inf(1)
	cases := []struct {
		q    float64
		b    []bucket
		want float64
	}{
		{0.5, []bucket{{1, 10}, {2, 20}, {inf, 20}}, 1},
		{0.95, []bucket{{0.1, 0}, {0.5, 90}, {1, 100}, {inf, 100}}, 0.75},
		{0.99, []bucket{{1, 10}, {inf, 100}}, 1}, // in +Inf: the highest finite bound
		{0.5, []bucket{{1, 0}, {inf, 0}}, math.NaN()},
		{0.5, []bucket{{1, 5}, {2, 10}}, math.NaN()}, // no +Inf bucket
		{0.5, []bucket{{2, 10}, {1, 4}, {inf, 10}}, 1 + 1*(5-4)/6.0},
		// Counts repaired to 6, 6, 10: rank 5 falls in the first bucket.
		{0.5, []bucket{{1, 6}, {2, 5}, {inf, 10}}, 5.0 / 6},
	}
	for i, c := range cases {
		got := quantile(c.q, c.b)
		if !(got == c.want || (math.IsNaN(got) && math.IsNaN(c.want)) || math.Abs(got-c.want) < 1e-12) {
			t.Errorf("case %d: %v, want %v", i, got, c.want)
		}
	}
}

// FuzzScrape: whatever an endpoint answers, parsing returns an error or
// families, and the signals computed from the ring never panic.
func FuzzScrape(f *testing.F) {
	f.Add(text(10, 1, map[string]float64{"0.1": 5, "0.5": 9, "1": 10, "+Inf": 10}, 1))
	f.Add("# TYPE http_request_duration_seconds histogram\nhttp_request_duration_seconds_bucket{le=\"1\"} 3\nhttp_request_duration_seconds_count 2\n")
	f.Add("http_requests_total{status=\"503\"} NaN\nhttp_requests_total{status=\"200\"} +Inf\n")
	f.Add("<html><title>502</title></html>")
	f.Fuzz(func(t *testing.T, body string) {
		at := time.Unix(1_700_000_000, 0)
		src, _ := New(Options{URL: "http://api/metrics"})
		for range 2 {
			families, err := src.parse(strings.NewReader(body))
			if err != nil {
				return
			}
			src.add(at, families)
			at = at.Add(5 * time.Second)
		}
		w := sources.Window{Now: at, End: at, Length: time.Minute, Step: 10 * time.Second}
		for _, spec := range golden {
			src.eval(spec.Key, at)
			for i := range w.Points() {
				src.eval(spec.Key, w.Start().Add(time.Duration(i)*w.Step))
			}
		}
	})
}

// TestOversizedAnswerRefused: an endpoint that answers without end is cut at
// maxBody and said so, rather than read into memory.
func TestOversizedAnswerRefused(t *testing.T) {
	src, _ := New(Options{URL: "http://api/metrics"})
	_, err := src.parse(strings.NewReader(strings.Repeat("# padding comment\n", DefaultMaxBody/16+16)))
	if err == nil || !strings.Contains(err.Error(), "larger than 8 MiB (max_response_bytes)") {
		t.Errorf("oversized answer: %v", err)
	}
	if _, err := src.parse(strings.NewReader(strings.Repeat("# padding comment\n", 1000))); err != nil {
		t.Errorf("a small answer of comments is fine: %v", err)
	}
}
