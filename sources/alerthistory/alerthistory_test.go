package alerthistory

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/faults"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/prometheus"
)

// trigger serves one gauge the test sets: the metric its alert rule reads.
func trigger(t *testing.T) (addr string, set func(v int64)) {
	t.Helper()
	var v atomic.Int64
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "# TYPE opsdeck_trigger gauge\nopsdeck_trigger %d\n", v.Load())
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), v.Store
}

const controlledRule = `groups:
  - name: history
    rules:
      - alert: Controlled
        expr: opsdeck_trigger > 0
        for: 1s
        labels: {severity: warning}
`

func client(t *testing.T, url string) *prometheus.Client {
	t.Helper()
	c, err := prometheus.New(prometheus.Options{URL: url, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// TestHistoryOfAlertsTheTestFired: the test fires and resolves a real rule
// through the metric it reads, four times; the history counts four
// firings (flapping), each as long as the test saw it fire within the
// resolution, and the last resolve when the test saw it. A fifth firing,
// still on, is read at once (the alerts firing changed) and is open; read
// again with nothing changed, the server is not asked.
func TestHistoryOfAlertsTheTestFired(t *testing.T) {
	t.Parallel()
	sandboxtest.SkipServers(t, "Prometheus")
	addr, set := trigger(t)
	prom := sandboxtest.NewPrometheus(t, servers.PrometheusOptions{Targets: []string{addr}, Rules: controlledRule})
	ctx, cancel := wait.Bounded(t)
	defer cancel()
	const firing = `ALERTS{alertname="Controlled",alertstate="firing"}`
	has := func(s []servers.Sample) bool { return len(s) > 0 }
	none := func(s []servers.Sample) bool { return len(s) == 0 }
	waitFor := func(q string, cond func([]servers.Sample) bool) {
		t.Helper()
		if err := prom.WaitFor(ctx, q, cond); err != nil {
			t.Fatal(err)
		}
	}
	type seen struct{ fired, resolved time.Time }
	var fired []seen
	for range 4 {
		set(1)
		waitFor(firing, has)
		at := time.Now()
		// Firing for a few evaluations: activeAt (the pending start) 4 s ago.
		waitFor(`time() - ALERTS_FOR_STATE{alertname="Controlled"} >= 4`, has)
		set(0)
		waitFor(firing, none)
		fired = append(fired, seen{at, time.Now()})
		// Quiet for more than two steps: the next firing is another one.
		waitFor(`count_over_time(`+firing+`[6s])`, none)
	}

	step := 2 * time.Second
	r := New(client(t, prom.URL()), Options{Span: 10 * time.Minute, Step: step, MinAge: time.Nanosecond})
	h, err := r.Read(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	ah, ok := h.Named("Controlled")
	if !ok {
		t.Fatalf("no history of Controlled: %+v", h)
	}
	st := ah.Stats(h.At, sources.HistoryDay)
	if st.Count != len(fired) || !ah.Flapping(h.At) {
		t.Fatalf("%d firings (flapping %v), the test fired %d: %+v", st.Count, ah.Flapping(h.At), len(fired), ah.Firings)
	}
	// Starts and ends are known to a step, the test saw them within an
	// evaluation (1 s) and its own poll (0.2 s) of Prometheus's.
	tol := 2*step + 1200*time.Millisecond
	for i, f := range ah.Firings {
		want := fired[i].resolved.Sub(fired[i].fired)
		if d := f.Duration() - want; d.Abs() > tol || f.Open || f.Before {
			t.Errorf("firing %d lasted %v (open %v), the test saw %v", i, f.Duration(), f.Open, want)
		}
		if d := f.Start.Sub(fired[i].fired); d.Abs() > tol {
			t.Errorf("firing %d started at %s, the test saw it at %s", i, f.Start.Format(time.TimeOnly), fired[i].fired.Format(time.TimeOnly))
		}
	}
	if at, ok := ah.LastResolved(); !ok || at.Sub(fired[3].resolved).Abs() > tol {
		t.Errorf("last resolved %v (%v), the test saw %s", at, ok, fired[3].resolved.Format(time.TimeOnly))
	}
	labels := map[string]string{"alertname": "Controlled", "severity": "warning", "instance": addr, "job": "fastapi-app"}
	if series, ok := h.For(sources.Alert{Name: "Controlled", Labels: labels}); !ok || series.Labels == nil || len(series.Firings) != len(fired) {
		t.Errorf("the series by its labels: %v %+v", ok, series)
	}

	// A fifth firing: the alerts firing changed, the history is read again.
	set(1)
	waitFor(firing, has)
	now := []sources.Alert{{Name: "Controlled", State: "firing", Labels: labels}}
	var open sources.AlertHistory
	wait.Eventually(t, "an open fifth firing", func() error {
		h, err := r.Read(ctx, now)
		if err != nil {
			return err
		}
		open, _ = h.Named("Controlled")
		if n := len(open.Firings); n != 5 || !open.Firings[n-1].Open {
			// The query's last step may not hold the firing yet: the
			// next read is a new one (a different time), not the cache.
			now = append(now[:1:1], sources.Alert{Name: fmt.Sprint(time.Now().UnixNano()), State: "firing"})
			return fmt.Errorf("firings %+v", open.Firings)
		}
		return nil
	}, wait.Context(ctx))
	asked := r.Queries()
	if _, err := r.Read(ctx, now); err != nil || r.Queries() != asked {
		t.Errorf("read again with the same alerts firing: %d queries, was %d (%v)", r.Queries(), asked, err)
	}
}

// weekly is a week of firings the test lays out, as backfilled ALERTS
// series: starts and lengths before now.
var weekly = []struct{ ago, length time.Duration }{
	{6*24*time.Hour + 3*time.Hour, 4 * time.Minute},
	{5 * 24 * time.Hour, 12 * time.Minute},
	{4*24*time.Hour + 7*time.Hour, 2 * time.Minute},
	{3 * 24 * time.Hour, 47 * time.Minute},
	{2*24*time.Hour + 90*time.Minute, 4 * time.Minute},
	{26 * time.Hour, 9 * time.Minute}, // ends before the last day
	{20 * time.Hour, 3 * time.Minute},
	{9 * time.Hour, 6 * time.Minute},
	{2 * time.Hour, 30 * time.Minute},
}

// TestWeekOfBackfilledHistory: a week of firings written into the test
// Prometheus as ALERTS series (promtool backfill) reads back as the test
// laid them out: how many in 7 days and in 24 h, the median, the last
// resolve, not flapping with three a day. The series' own labels find it.
func TestWeekOfBackfilledHistory(t *testing.T) {
	t.Parallel()
	sandboxtest.SkipServers(t, "Prometheus")
	now := time.Now().Truncate(time.Minute)
	const series = `ALERTS{alertname="Weekly",alertstate="firing",severity="critical",volume="v1"}`
	history := func(w io.Writer) error {
		if _, err := io.WriteString(w, "# TYPE ALERTS gauge\n"); err != nil {
			return err
		}
		for i := len(weekly) - 1; i >= 0; i-- { // oldest first
			f := weekly[i]
			for at := now.Add(-f.ago); at.Before(now.Add(-f.ago + f.length)); at = at.Add(15 * time.Second) {
				if _, err := fmt.Fprintf(w, "%s 1 %d\n", series, at.Unix()); err != nil {
					return err
				}
			}
		}
		_, err := io.WriteString(w, "# EOF\n")
		return err
	}
	prom := sandboxtest.NewPrometheus(t, servers.PrometheusOptions{History: history})
	ctx, cancel := wait.Bounded(t)
	defer cancel()
	r := New(client(t, prom.URL()), Options{Now: func() time.Time { return now }})
	h, err := r.Read(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	ah, ok := h.For(sources.Alert{Name: "Weekly", Labels: map[string]string{"alertname": "Weekly", "severity": "critical", "volume": "v1"}})
	if !ok || ah.Labels == nil {
		t.Fatalf("no series history of Weekly: %+v", h)
	}
	// What the test laid out, counted as the history counts it.
	var inDay int
	for _, f := range weekly {
		if f.ago-f.length < 24*time.Hour {
			inDay++
		}
	}
	want := sources.AlertHistory{}
	for _, f := range weekly {
		want.Firings = append(want.Firings, sources.Firing{Start: now.Add(-f.ago), End: now.Add(-f.ago + f.length)})
	}
	wantWeek := want.Stats(now, sources.HistoryWeek)
	week, day := ah.Stats(now, sources.HistoryWeek), ah.Stats(now, sources.HistoryDay)
	if week.Count != len(weekly) || day.Count != inDay {
		t.Fatalf("%d firings in 7 days and %d in 24 h, the test wrote %d and %d: %+v", week.Count, day.Count, len(weekly), inDay, ah.Firings)
	}
	// Samples every 15 s, read at a minute: each end within a minute.
	if d := week.Median - wantWeek.Median; d.Abs() > time.Minute {
		t.Errorf("median %v, the test's %v", week.Median, wantWeek.Median)
	}
	if d := week.Total - wantWeek.Total; d.Abs() > time.Duration(len(weekly))*time.Minute {
		t.Errorf("fired %v in all, the test's %v", week.Total, wantWeek.Total)
	}
	last := now.Add(-weekly[len(weekly)-1].ago + weekly[len(weekly)-1].length)
	if at, ok := ah.LastResolved(); !ok || at.Sub(last).Abs() > time.Minute {
		t.Errorf("last resolved %v, the test's %v", at, last)
	}
	if ah.Flapping(now) != (inDay >= sources.FlapFirings) {
		t.Errorf("flapping %v with %d firings in 24 h", ah.Flapping(now), inDay)
	}
	if line := ah.Line(now, sources.HistoryWeek); !strings.HasPrefix(line, fmt.Sprintf("fired %d times in 7 days, median ", len(weekly))) {
		t.Errorf("line %q", line)
	}
}

// TestVictoriaMetricsWithoutVMAlertSaysSo: a server with no rule evaluator
// keeps no ALERTS series: the history says why in words, not an empty week.
func TestVictoriaMetricsWithoutVMAlertSaysSo(t *testing.T) {
	t.Parallel()
	sandboxtest.SkipServers(t, "VictoriaMetrics")
	vm := sandboxtest.NewVictoriaMetrics(t, servers.VictoriaMetricsOptions{})
	ctx, cancel := wait.Bounded(t)
	defer cancel()
	h, err := New(client(t, vm.URL()), Options{}).Read(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h.Note, "vmalert") || len(h.Names) != 0 {
		t.Errorf("note %q, %d alerts", h.Note, len(h.Names))
	}
}

// TestQueryFitsInAURL: the week's query, URL-encoded as the client sends
// it, stays under the 8 KB a proxy in front of Prometheus takes in a
// request line (nginx's default).
func TestQueryFitsInAURL(t *testing.T) {
	q := url.Values{"query": {Query(sources.HistoryWeek, time.Minute)}, "time": {"1764513000.000"}, "timeout": {"5s"}}.Encode()
	if len(q) > 7500 {
		t.Errorf("the query is %d bytes encoded", len(q))
	}
	if n := strings.Count(Query(sources.HistoryWeek, time.Minute), "count_values"); n != 14 {
		t.Errorf("%d subqueries, want 14 of 12 hours", n)
	}
}

// failing answers the history's query with err, counting the asks
// (fault injection: what a real server's failure looks like to the reader
// is the client's error).
type failing struct {
	err   error
	asked int
}

func (f *failing) Instant(context.Context, string, time.Time) ([]prometheus.Sample, []string, error) {
	f.asked++
	if f.err != nil {
		return nil, nil, f.err
	}
	return []prometheus.Sample{{Labels: map[string]string{"alertname": "A"}, Value: 1}}, nil, nil
}

// TestReaderKeepsFailures: a read that fails is not asked again while the
// same alerts fire for MaxAge, and returns the last good history with the
// error; a server that keeps failing is asked once per MaxAge.
func TestReaderKeepsFailures(t *testing.T) {
	now := time.Date(2026, 11, 30, 14, 30, 0, 0, time.UTC)
	q := &failing{}
	r := New(q, Options{Now: func() time.Time { return now }})
	if h, err := r.Read(context.Background(), nil); err != nil || len(h.Names) != 1 {
		t.Fatalf("%+v %v", h, err)
	}
	now = now.Add(DefaultMaxAge)
	q.err = errors.New("prometheus: no answer within 5s")
	for range 3 {
		h, err := r.Read(context.Background(), nil)
		if err == nil || len(h.Names) != 1 {
			t.Errorf("failing: %+v %v, want the last history and the error", h, err)
		}
		now = now.Add(DefaultMaxAge / 2)
	}
	if q.asked != 3 {
		t.Errorf("asked %d times over two ages of failure, want 3", q.asked)
	}
}

// TestHistoryThroughFaults: the history's Prometheus hung, resetting and
// answering garbage (hostile text, edge times that are not times): each
// read ends with an error in words, the last good history kept with it and
// nothing raw in it; when the server is back, the next read succeeds.
func TestHistoryThroughFaults(t *testing.T) {
	t.Parallel()
	sandboxtest.SkipServers(t, "Prometheus")
	now := time.Now().Truncate(time.Minute)
	history := func(w io.Writer) error {
		fmt.Fprintf(w, "# TYPE ALERTS gauge\n")
		for at := now.Add(-3 * time.Hour); at.Before(now.Add(-170 * time.Minute)); at = at.Add(15 * time.Second) {
			fmt.Fprintf(w, "ALERTS{alertname=\"Faulty\",alertstate=\"firing\"} 1 %d\n", at.Unix())
		}
		_, err := io.WriteString(w, "# EOF\n")
		return err
	}
	prom := sandboxtest.NewPrometheus(t, servers.PrometheusOptions{History: history})
	proxy := faults.NewProxy(t, strings.TrimPrefix(prom.URL(), "http://"))
	ctx, cancel := wait.Bounded(t)
	defer cancel()
	clock := now
	// Read as often as asked: each read below is a new query.
	reader := func(timeout time.Duration) *Reader {
		c, err := prometheus.New(prometheus.Options{URL: "http://" + proxy.Addr(), Timeout: timeout})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		return New(c, Options{Now: func() time.Time { return clock }, MaxAge: time.Nanosecond, MinAge: time.Nanosecond})
	}
	began := time.Now()
	r := reader(time.Minute)
	if h, err := r.Read(ctx, nil); err != nil || len(h.Names["Faulty"].Firings) != 1 {
		t.Fatalf("through a passing proxy: %+v %v", h, err)
	}
	// A hung server is given ten times what the good read took (at least 2 s).
	r = reader(max(10*time.Since(began), 2*time.Second))
	if _, err := r.Read(ctx, nil); err != nil {
		t.Fatal(err)
	}
	garbage := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"alertname":"Evil\u001b[2J","opsdeck_at":"NaN"},"value":[1,"1"]}]}}`)
	})
	for _, c := range []struct {
		fault   faults.Fault
		handler http.Handler
	}{{faults.Stall, nil}, {faults.Reset, nil}, {faults.Serve, garbage}} {
		proxy.SetWith(c.fault, 0, c.handler)
		clock = clock.Add(time.Second)
		h, err := r.Read(ctx, nil)
		if err == nil || len(h.Names["Faulty"].Firings) != 1 {
			t.Errorf("%s: %v, history %+v; want an error and the last history", c.fault, err, h.Names)
		}
		if err != nil && strings.ContainsRune(err.Error(), 0x1b) {
			t.Errorf("%s: the error holds an escape: %q", c.fault, err)
		}
	}
	// Back: a connection the faults broke may fail a read first.
	proxy.Set(faults.Pass)
	wait.Eventually(t, "a read through the passing proxy", func() error {
		clock = clock.Add(time.Second)
		h, err := r.Read(ctx, nil)
		if err == nil && len(h.Names["Faulty"].Firings) != 1 {
			err = fmt.Errorf("history %+v", h.Names)
		}
		return err
	}, wait.Context(ctx))
	// The series is found by its labels in what was made safe.
	if h, _ := r.Read(ctx, nil); h.Series[sources.SeriesKey(map[string]string{"alertname": "Faulty"})].Name != "Faulty" {
		t.Errorf("series %v", h.Series)
	}
}

// TestVictoriaMetricsWithVMAlert: where vmalert evaluates the rules and
// writes ALERTS back into VictoriaMetrics, the same query reads the same
// history (MetricsQL takes it as PromQL does). The rule fires 20 s out of
// every 40 (vector(time() % 40) < 20): each whole firing lasts 20 s and
// the next starts 40 s after it, within two steps, vmalert's evaluation
// and its remote write's flush (a second each) and a second more. A
// firing that began as vmalert started may have been cut by its start
// and is not counted.
func TestVictoriaMetricsWithVMAlert(t *testing.T) {
	t.Parallel()
	sandboxtest.SkipServers(t, "VictoriaMetrics and vmalert")
	vm := sandboxtest.NewVictoriaMetrics(t, servers.VictoriaMetricsOptions{})
	am := sandboxtest.NewAlertmanager(t)
	step := 2 * time.Second
	tol := 2*step + 3*time.Second
	started := time.Now()
	sandboxtest.NewVMAlert(t, vm, "groups:\n  - name: t\n    rules:\n      - alert: Pulse\n        expr: vector(time() % 40) < 20\n        labels: {severity: warning}\n", am.Addr())
	ctx, cancel := wait.Bounded(t)
	defer cancel()
	r := New(client(t, vm.URL()), Options{Span: 10 * time.Minute, Step: step, MinAge: time.Nanosecond, MaxAge: time.Nanosecond})
	var closed []sources.Firing
	wait.Eventually(t, "two whole firings of Pulse", func() error {
		h, err := r.Read(ctx, nil)
		if err != nil {
			return err
		}
		closed = nil
		for _, f := range h.Names["Pulse"].Firings {
			if !f.Open && !f.Before && f.Start.After(started.Add(tol)) {
				closed = append(closed, f)
			}
		}
		if len(closed) < 2 {
			return fmt.Errorf("whole firings: %+v (note %q)", closed, h.Note)
		}
		return nil
	}, wait.Context(ctx))
	for i, f := range closed {
		if d := f.Duration() - 20*time.Second; d.Abs() > tol {
			t.Errorf("firing %d lasted %v, the rule fires 20s", i, f.Duration())
		}
		if i > 0 {
			if d := f.Start.Sub(closed[i-1].Start) - 40*time.Second; d.Abs() > tol {
				t.Errorf("firing %d started %v after the one before, the rule every 40s", i, f.Start.Sub(closed[i-1].Start))
			}
		}
	}
}
