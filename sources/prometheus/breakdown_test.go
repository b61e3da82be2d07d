package prometheus

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/internal/promql"
	"github.com/opsdeck/opsdeck/internal/sandbox/originapi"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
)

// goldenSpecs are the golden signals as the console builds them, splits
// included.
func goldenSpecs() map[string]sources.SignalSpec {
	q := config.DefaultQueries(config.DefaultSelector, config.DefaultRateWindow)
	s := config.DefaultSplits(config.DefaultSelector, config.DefaultRateWindow)
	r := config.DefaultRanks(config.DefaultSelector, config.DefaultRateWindow)
	return map[string]sources.SignalSpec{
		sources.RPS:        {Key: sources.RPS, Query: q.RPS, Split: s.RPS, Unit: units.ReqPerSec, Additive: true},
		sources.ErrorRate:  {Key: sources.ErrorRate, Query: q.ErrorRate, Split: s.ErrorRate, Rank: r.ErrorRate, Unit: units.Ratio},
		sources.P95Latency: {Key: sources.P95Latency, Query: q.P95Latency, Split: s.P95Latency, Unit: units.Seconds},
		sources.Memory:     {Key: sources.Memory, Query: q.Memory, Split: s.Memory, Unit: units.Bytes, Additive: true},
	}
}

// TestBreakdownFindsTheFaultyRouteAndInstance: two instances of the API,
// one route of one of them failing (errors and latency). The breakdown
// ranks that route first for errors and latency, the split by instance
// names the faulty one, and every figure equals Prometheus's own answer to
// the equivalent query, written out per value; on Debian's Prometheus and
// on the current release, the one the breakdown's budget is held on.
func TestBreakdownFindsTheFaultyRouteAndInstance(t *testing.T) {
	t.Parallel()
	sandboxtest.SkipServers(t, "Prometheus")
	onEachServer(t, breakdownFindsTheFaultyRouteAndInstance)
}

// onEachServer runs test, in parallel, against every server of the feature
// table (sandboxtest.Flavours).
func onEachServer(t *testing.T, test func(t *testing.T, f sandboxtest.Flavour)) {
	sandboxtest.OnEachFlavour(t, test)
}

func breakdownFindsTheFaultyRouteAndInstance(t *testing.T, f sandboxtest.Flavour) {
	now := time.Now()
	calm := originapi.Start(t, originapi.Schedule{Start: now, Period: time.Hour}, 11)
	faulty := originapi.Start(t, originapi.Schedule{Start: now, Period: time.Hour, Hit: "/api/chat", Always: "both"}, 12)
	prom := f.Start(t, servers.PrometheusOptions{Targets: []string{calm, faulty}})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second+f.Lag)
	defer cancel()
	if err := prom.WaitFor(ctx, `count_over_time(up[1m]) >= 8`, func(s []servers.Sample) bool { return len(s) == 2 }); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, Options{URL: prom.URL()})
	at := f.Latest()
	w := sources.WindowFor(at, 2*time.Minute, 30)
	w.Now = at
	specs := goldenSpecs()
	// within1 fails unless got is within 1 % of Prometheus's answer to want at the same instant.
	within1 := func(what string, got float64, want string) {
		t.Helper()
		s, err := prom.Query(ctx, want, at)
		if err != nil || len(s) != 1 {
			t.Errorf("%s: Prometheus: %v %v (%s)", what, s, err, want)
			return
		}
		if d := math.Abs(got - s[0].Value); d > 0.01*math.Abs(s[0].Value) && d > 1e-9 {
			t.Errorf("%s: breakdown %v, Prometheus %v (%s)", what, got, s[0].Value, want)
		}
	}
	rate := config.DefaultRateWindow.String()
	rate = rate[:len(rate)-2] // "1m0s" -> "1m"

	// Read with the rows handed over first: they are the final rows' values
	// and figures, without the range and sparkline that come after.
	var early []sources.Breakdown
	errs, err := c.BreakdownEarly(ctx, specs[sources.ErrorRate], "handler", w, func(b sources.Breakdown) { early = append(early, b) })
	if err != nil {
		t.Fatal(err)
	}
	if len(early) != 1 || !early[0].Partial || errs.Partial || len(early[0].Rows) != len(errs.Rows) {
		t.Fatalf("early rows %+v, final %+v", early, errs)
	}
	for i, r := range early[0].Rows {
		if f := errs.Rows[i]; r.Value != f.Value || r.Current != f.Current || !math.IsNaN(r.Min) || r.Points != nil {
			t.Errorf("early row %d %+v, final %+v", i, r, f)
		}
	}
	if len(errs.Rows) == 0 || errs.Rows[0].Value != "/api/chat" {
		t.Fatalf("error rate by handler: %+v", errs.Rows)
	}
	for _, r := range errs.Rows {
		sel := fmt.Sprintf(`job="fastapi-app", handler=%q`, r.Value)
		within1("error rate of "+r.Value, r.Current, fmt.Sprintf(`(sum(rate(http_requests_total{%s, status=~"5.."}[%s])) or vector(0)) / sum(rate(http_requests_total{%s}[%s]))`, sel, rate, sel, rate))
	}
	lat, err := c.Breakdown(ctx, specs[sources.P95Latency], "handler", w)
	if err != nil {
		t.Fatal(err)
	}
	if len(lat.Rows) == 0 || lat.Rows[0].Value != "/api/chat" {
		t.Fatalf("P95 by handler: %+v", lat.Rows)
	}
	for _, r := range lat.Rows {
		within1("P95 of "+r.Value, r.Current, fmt.Sprintf(`histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{job="fastapi-app", handler=%q}[%s])))`, r.Value, rate))
	}
	inst, err := c.Breakdown(ctx, specs[sources.ErrorRate], "instance", w)
	if err != nil {
		t.Fatal(err)
	}
	if len(inst.Rows) != 2 || inst.Rows[0].Value != faulty {
		t.Fatalf("error rate by instance: %+v, want %s first", inst.Rows, faulty)
	}
	rps, err := c.Breakdown(ctx, specs[sources.RPS], "handler", w)
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, r := range rps.Rows {
		sum += r.Current
		within1("RPS of "+r.Value, r.Current, fmt.Sprintf(`sum(rate(http_requests_total{job="fastapi-app", handler=%q}[%s]))`, r.Value, rate))
		if len(r.Points) != w.Points() || math.IsNaN(r.Min) || r.Min > r.Current || r.Max < r.Current {
			t.Errorf("RPS of %s: %d points, min %v max %v current %v", r.Value, len(r.Points), r.Min, r.Max, r.Current)
		}
	}
	if math.Abs(sum-rps.Total) > 1e-9 || len(rps.Rows) != 5 { // five paths; /api/messages has two methods
		t.Errorf("RPS rows %d, total %v, sum of rows %v", len(rps.Rows), rps.Total, sum)
	}
	if !math.IsNaN(errs.Total) {
		t.Errorf("a ratio has no total: %v", errs.Total)
	}
	// A focus on the faulty route: every signal reads that route alone.
	for key, want := range map[string]string{
		sources.RPS:        `sum(rate(http_requests_total{job="fastapi-app", handler="/api/chat"}[` + rate + `]))`,
		sources.ErrorRate:  `(sum(rate(http_requests_total{job="fastapi-app", status=~"5..", handler="/api/chat"}[` + rate + `])) or vector(0)) / sum(rate(http_requests_total{job="fastapi-app", handler="/api/chat"}[` + rate + `]))`,
		sources.P95Latency: `histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{job="fastapi-app", handler="/api/chat"}[` + rate + `])))`,
	} {
		focused, err := sources.Narrowed(specs[key], sources.Narrowing{Label: "handler", Value: "/api/chat"})
		if err != nil {
			t.Fatal(err)
		}
		r, err := c.Read(ctx, focused, sources.Window{Now: at})
		if err != nil {
			t.Fatal(err)
		}
		within1(key+" focused on /api/chat", r.Value, want)
	}
	mem, err := c.Breakdown(ctx, specs[sources.Memory], "", w)
	if err != nil || mem.Label != "instance" || len(mem.Rows) != 2 {
		t.Errorf("memory splits by instance first (its series have no handler): %q %+v %v", mem.Label, mem.Rows, err)
	}
	if !slices.Contains(rps.Labels, "handler") || rps.Labels[0] != "handler" || slices.Contains(rps.Labels, "__name__") {
		t.Errorf("labels to split by: %v", rps.Labels)
	}
}

// TestBreakdownOfAQueryThatCannotSplit: a query that aggregates the label
// away says so; one that keeps it splits by summing.
func TestBreakdownOfAQueryThatCannotSplit(t *testing.T) {
	t.Parallel()
	c := newClient(t, Options{})
	w := sources.WindowFor(time.Now(), time.Minute, 10)
	_, err := c.Breakdown(context.Background(), sources.SignalSpec{Query: `sum(rate(http_requests_total{job="fastapi-app"}[1m]))`}, "handler", w)
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindCannotSplit || !strings.Contains(e.Msg, "cannot be split by handler") || !strings.Contains(e.Msg, "aggregates the label away") {
		t.Fatalf("aggregated query: %v", err)
	}
	b, err := c.Breakdown(context.Background(), sources.SignalSpec{Query: `rate(http_requests_total{job="fastapi-app"}[1m])`, Additive: true}, "handler", w)
	if err != nil || len(b.Rows) < 2 || b.Query != `sum by (handler) (rate(http_requests_total{job="fastapi-app"}[1m]))` {
		t.Fatalf("a query that keeps the label: %q %+v %v", b.Query, b.Rows, err)
	}
	if _, err := c.Breakdown(context.Background(), sources.SignalSpec{Query: "vector(1)"}, "x) or vector(1", w); err == nil {
		t.Error("a label that is not a label name was written into a query")
	}
}

// routes serves request counters for n routes, the first failing of them
// failing at rates that grow with their number: route i has i % 7 + 1
// requests a second, and (when failing) a tenth of a request a second per
// its number in errors.
func routes(t *testing.T, n, failing int) string {
	start := time.Now()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		at := time.Since(start).Seconds()
		var b strings.Builder
		b.WriteString("# TYPE http_requests_total counter\n")
		for i := range n {
			fmt.Fprintf(&b, "http_requests_total{handler=\"/r/%d\",status=\"2xx\"} %g\n", i, at*float64(i%7+1))
			if i < failing {
				fmt.Fprintf(&b, "http_requests_total{handler=\"/r/%d\",status=\"5xx\"} %g\n", i, at*0.1*float64(i+1))
			}
		}
		w.Write([]byte(b.String()))
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

// TestCheapRankingAgreesWithTheSplit: the error rate's rows ranked the
// cheap way (the routes with errors alone) are the split's own rows; with
// fewer than ten routes failing, the split ranks them, the routes without
// errors at 0 % included; on both servers.
func TestCheapRankingAgreesWithTheSplit(t *testing.T) {
	t.Parallel()
	sandboxtest.SkipServers(t, "Prometheus")
	onEachServer(t, cheapRankingAgreesWithTheSplit)
}

func cheapRankingAgreesWithTheSplit(t *testing.T, f sandboxtest.Flavour) {
	many, few := routes(t, 15, 12), routes(t, 15, 4)
	prom := f.Start(t, servers.PrometheusOptions{Targets: []string{many, few}})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second+f.Lag)
	defer cancel()
	if err := prom.WaitFor(ctx, `count_over_time(up[1m]) >= 6`, func(s []servers.Sample) bool { return len(s) == 2 }); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, Options{URL: prom.URL()})
	at := f.Latest()
	w := sources.WindowFor(at, time.Minute, 12)
	w.Now = at
	for _, target := range []string{many, few} {
		spec := goldenSpecs()[sources.ErrorRate]
		spec.Query = fmt.Sprintf(`sum(rate(http_requests_total{instance=%q, status=~"5.."}[1m])) / sum(rate(http_requests_total{instance=%q}[1m]))`, target, target)
		cheap, err := sources.Narrowed(spec, sources.Narrowing{Label: "instance", Value: target})
		if err != nil || cheap.Rank == "" {
			t.Fatalf("focused ranking %q: %v", cheap.Rank, err)
		}
		full := cheap
		full.Rank = ""
		a, err := c.BreakdownEarly(ctx, cheap, "handler", w, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := c.BreakdownEarly(ctx, full, "handler", w, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Rows) != 10 || len(b.Rows) != 10 || a.Others != 5 {
			t.Fatalf("%s: %d and %d rows, %d others", target, len(a.Rows), len(b.Rows), a.Others)
		}
		for i := range a.Rows {
			if !sameRow(f, a.Rows, i, b.Rows[i], 1) {
				t.Errorf("%s row %d: ranked %+v, split %+v", target, i, a.Rows[i], b.Rows[i])
			}
		}
		zeros := 0
		for _, r := range a.Rows {
			if r.Current == 0 {
				zeros++
			}
		}
		if want := map[string]int{many: 0, few: 6}[target]; zeros != want {
			t.Errorf("%s: %d rows at 0 %%, want %d: %+v", target, zeros, want, a.Rows)
		}
		// Which query ranked: a ranking that doubles its figures shows
		// where it was used (twelve failing routes) and where the split took
		// over (four).
		doubled := cheap
		doubled.Rank = "2 * (" + cheap.Rank + ")"
		d, err := c.BreakdownEarly(ctx, doubled, "handler", w, nil)
		if err != nil {
			t.Fatal(err)
		}
		factor := map[string]float64{many: 2, few: 1}[target]
		for i := range d.Rows {
			if !sameRow(f, d.Rows, i, b.Rows[i], factor) {
				t.Errorf("%s row %d: doubled ranking %+v, split %+v (want ×%v)", target, i, d.Rows[i], b.Rows[i], factor)
			}
		}
	}
}

// sameRow: rows[i] is want, its figure times factor. VictoriaMetrics'
// topk picks among equal figures otherwise than Prometheus's, and its
// figures of one ratio differ in the last bit from one query to another
// (its evaluation order), so there a figure is equal within 1e-9 and a row
// whose figure another row shares may name another of the tied values.
func sameRow(f sandboxtest.Flavour, rows []sources.BreakdownRow, i int, want sources.BreakdownRow, factor float64) bool {
	got := rows[i]
	equal := func(a, b float64) bool { return a == b }
	if f.VictoriaMetrics {
		equal = func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*max(math.Abs(a), math.Abs(b)) }
	}
	if !equal(got.Current, factor*want.Current) {
		return false
	}
	if got.Value == want.Value {
		return true
	}
	if !f.VictoriaMetrics {
		return false
	}
	for j, r := range rows {
		if j != i && equal(r.Current, got.Current) {
			return true
		}
	}
	return false
}

// TestLabelsAskedOfTheBroadestSelectors: the labels lookup leaves out a
// selector whose series another selects too (the error rate's 5xx requests,
// among its requests), keeps unrelated ones, and keeps one of equal ones.
func TestLabelsAskedOfTheBroadestSelectors(t *testing.T) {
	for query, want := range map[string][]string{
		goldenSpecs()[sources.ErrorRate].Query:         {`http_requests_total{job="fastapi-app"}`},
		`rate(a{job="x"}[1m]) / rate(b{job="x"}[1m])`:  {`a{job="x"}`, `b{job="x"}`},
		`a{job="x"} + a{job="x"} + a{job="x", le="1"}`: {`a{job="x"}`},
		`a{le="1", job="x"} / {job="x"}`:               {`{job="x"}`},
	} {
		sels, err := promql.Selectors(query)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range broadest(sels) {
			got = append(got, s.String())
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", query, got, want)
		}
	}
}

// TestBreakdownOfSeriesYoungerThanAStep: on a Prometheus started since the
// chart's last step, every series is younger than the window's end; the
// labels to split by are still found (they are looked up to the moment the
// rows are read), on both servers.
func TestBreakdownOfSeriesYoungerThanAStep(t *testing.T) {
	t.Parallel()
	sandboxtest.SkipServers(t, "Prometheus")
	onEachServer(t, func(t *testing.T, f sandboxtest.Flavour) {
		launched := time.Now()
		api := originapi.Start(t, originapi.Schedule{Start: launched, Period: time.Hour}, 13)
		prom := f.Start(t, servers.PrometheusOptions{Targets: []string{api}})
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second+f.Lag)
		defer cancel()
		if err := prom.WaitFor(ctx, `count_over_time(up[1m]) >= 3`, func(s []servers.Sample) bool { return len(s) == 1 }); err != nil {
			t.Fatal(err)
		}
		c := newClient(t, Options{URL: prom.URL()})
		// The chart's last step ends before the first sample was scraped.
		w := sources.WindowFor(launched.Add(-time.Second), 15*time.Minute, 24)
		w.Now = time.Now()
		b, err := c.Breakdown(ctx, goldenSpecs()[sources.RPS], "", w)
		if err != nil || b.Label != "handler" || len(b.Rows) == 0 {
			t.Fatalf("split by %q: %d rows, %v", b.Label, len(b.Rows), err)
		}
	})
}
