package prometheus_test

import (
	"context"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/internal/glance"
	"github.com/opsdeck/opsdeck/internal/grafana"
	"github.com/opsdeck/opsdeck/internal/sandbox/originapi"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/internal/snapshot"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/prometheus"
)

// The feature table is an external test: the readers it drives (snapshot,
// overview) import this package.

// tableRules fire one alert at once, on Prometheus and through vmalert.
const tableRules = `groups:
  - name: table
    rules:
      - alert: AlwaysFiring
        expr: vector(1)
        labels: {severity: critical}
        annotations: {summary: "fires at once"}
`

// rejected is PromQL opsdeck parses and every server refuses: info() is
// unknown to 2.42 and VictoriaMetrics, experimental (off) in 3.x.
const rejected = `info(up)`

// tableStack is one flavour of the feature table with what every row reads:
// the Origin API, one route failing, scraped live; an hour a day ago and
// half an hour of another instance deployed 15 minutes ago, as history;
// one alert rule firing.
type tableStack struct {
	f        sandboxtest.Flavour
	store    sandboxtest.Store
	c        *prometheus.Client
	deployAt time.Time
}

func newTableStack(t *testing.T, f sandboxtest.Flavour) *tableStack {
	now := time.Now()
	deployAt := now.Add(-15 * time.Minute).Truncate(time.Second)
	api := originapi.Start(t, originapi.Schedule{Start: now, Period: time.Hour, Hit: "/api/chat", Always: "both"}, 41)
	sched := originapi.Schedule{Start: now.Add(-2 * time.Hour), Quiet: true, Deploys: []originapi.Deploy{{At: deployAt, Version: "1.4.2"}}}
	history := func(w io.Writer) error {
		return originapi.BackfillSpans(w, []originapi.Span{
			{From: now.Add(-24*time.Hour - 20*time.Minute), To: now.Add(-24*time.Hour + 2*time.Minute), Interval: 15 * time.Second},
			{From: now.Add(-30 * time.Minute), To: now.Add(-2 * time.Minute), Interval: 5 * time.Second},
		}, originapi.Instance{Sched: sched, Labels: map[string]string{"job": "fastapi-app", "instance": "api-a:9"}, Seed: 3})
	}
	store := f.Start(t, servers.PrometheusOptions{Targets: []string{api}, History: history, Rules: tableRules, Exemplars: true})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute+f.Lag)
	defer cancel()
	if err := store.WaitFor(ctx, `count_over_time(up{instance="`+api+`"}[1m]) >= 6`, func(s []servers.Sample) bool { return len(s) == 1 }); err != nil {
		t.Fatal(err)
	}
	c, err := prometheus.New(prometheus.Options{URL: store.URL(), AlertsURL: sandboxtest.AlertsURL(store)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return &tableStack{f: f, store: store, c: c, deployAt: deployAt}
}

// titled are the golden signals as the console builds them, with the
// titles the readers print.
func titled() map[string]sources.SignalSpec {
	q := config.DefaultQueries(config.DefaultSelector, config.DefaultRateWindow)
	return map[string]sources.SignalSpec{
		sources.RPS:        {Key: sources.RPS, Title: "Requests/s", Query: q.RPS, Unit: units.ReqPerSec},
		sources.ErrorRate:  {Key: sources.ErrorRate, Title: "Error rate (5xx)", Query: q.ErrorRate, Unit: units.Ratio},
		sources.P95Latency: {Key: sources.P95Latency, Title: "P95 latency", Query: q.P95Latency, Unit: units.Seconds},
		sources.Memory:     {Key: sources.Memory, Title: "Memory (RSS)", Query: q.Memory, Unit: units.Bytes},
	}
}

// TestFeatureTable: every Prometheus-backed feature against Debian's
// Prometheus (2.42), the current release, VictoriaMetrics (Debian's and
// the current release) and a Thanos querier in front of two Prometheus
// replicas, each row passing on all of them or its difference asserted. The breakdown
// and focus rows are TestBreakdownFindsTheFaultyRouteAndInstance,
// TestCheapRankingAgreesWithTheSplit and TestBreakdownOfSeriesYoungerThanAStep
// (onEachServer); what each server is, its errors' shapes and its missing
// exemplars are TestFlavours; vmalert is TestAlertsFromVMAlert.
func TestFeatureTable(t *testing.T) {
	t.Parallel()
	sandboxtest.SkipServers(t, "Prometheus, VictoriaMetrics and Thanos")
	sandboxtest.OnEachFlavour(t, func(t *testing.T, f sandboxtest.Flavour) {
		s := newTableStack(t, f)
		for _, row := range []struct {
			name string
			test func(t *testing.T, s *tableStack)
		}{
			{"panes", tablePanes},
			{"no-data diagnosis", tableDiagnosis},
			{"1d and 7d comparison", tableComparison},
			{"change marks", tableMarks},
			{"alert strip", tableAlerts},
			{"exemplars", tableExemplars},
			{"grafana import and lint", tableGrafana},
			{"snapshot, thresholds and check", tableSnapshot},
			{"overview", tableOverview},
		} {
			t.Run(row.name, func(t *testing.T) { row.test(t, s) })
		}
	})
}

func tableContext(t *testing.T, s *tableStack) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute+2*s.f.Lag)
	t.Cleanup(cancel)
	return ctx
}

// tablePanes: each golden signal's figure and chart are the server's own
// answers at the same instants; asked for now, VictoriaMetrics' figure is
// said to be 30 s old, the others' are not.
func tablePanes(t *testing.T, s *tableStack) {
	ctx := tableContext(t, s)
	at := s.f.Latest()
	w := sources.WindowFor(at, 2*time.Minute, 12)
	w.Now = at
	for key, spec := range titled() {
		r, err := s.c.Read(ctx, spec, w)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		want, err := s.store.Query(ctx, spec.Query, at)
		if err != nil || len(want) != 1 {
			t.Fatalf("%s: the server: %v %v", key, want, err)
		}
		// Within a billionth, as the points: VictoriaMetrics sums a query's
		// series in parallel, in no fixed order, so the same query asked
		// twice may differ in its last bits.
		if !r.HasValue() || math.Abs(r.Value-want[0].Value) > 1e-9*math.Abs(want[0].Value) {
			t.Errorf("%s: pane %v, the server %v at %s", key, r.Value, want[0].Value, at.Format(time.TimeOnly))
		}
		if len(r.Points) != w.Points() {
			t.Fatalf("%s: %d points, want %d", key, len(r.Points), w.Points())
		}
		compared := 0
		for i, p := range r.Points {
			pt := w.Start().Add(time.Duration(i) * w.Step)
			want, err := s.store.Query(ctx, spec.Query, pt)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case len(want) == 0 && !math.IsNaN(p):
				t.Errorf("%s point %d: %v, the server has none", key, i, p)
			case len(want) == 1 && s.f.VictoriaMetrics && key == sources.Memory && p < want[0].Value:
				// VictoriaMetrics' instant query looks back 5 minutes, its
				// range query about a step: the history's instance, gone two
				// minutes ago, is still in the figure and out of the chart.
				compared++
			case len(want) == 1 && math.Abs(p-want[0].Value) > 1e-9*math.Abs(want[0].Value):
				t.Errorf("%s point %d (%s): %v, the server %v", key, i, pt.Format(time.TimeOnly), p, want[0].Value)
			case len(want) == 1:
				compared++
			}
		}
		if compared == 0 {
			t.Errorf("%s: no point of the chart to compare: %v", key, r.Points)
		}
	}
	r, err := s.c.Read(ctx, titled()[sources.RPS], sources.Window{Now: time.Now()})
	asOf := strings.Contains(strings.Join(r.Notes, "\n"), "as of 30s ago")
	if err != nil || asOf != (s.f.Lag > 0) {
		t.Errorf("asked for now: notes %q (%v); an as-of note is wanted: %v", r.Notes, err, s.f.Lag > 0)
	}
}

// tableDiagnosis: a misspelt metric and a label the metric lacks are named,
// with the closest that exists, on every server.
func tableDiagnosis(t *testing.T, s *tableStack) {
	ctx := tableContext(t, s)
	for query, want := range map[string]string{
		`sum(rate(http_requests_totl[1m]))`:                             "metric http_requests_totl does not exist; closest: http_requests_total",
		`sum(rate(http_requests_total{status_code=~"5.."}[1m]))`:        "label status_code does not exist on http_requests_total; closest: status",
		`sum(rate(http_requests_total{handler="/api/chatt"}[1m]))`:      `handler="/api/chatt"`,
		`sum(process_resident_memory_bytes{job="fastapi-app-typo"})`:    `job="fastapi-app-typo"`,
		`histogram_quantile(0.95, sum by (le) (rate(nope_bucket[1m])))`: "metric nope_bucket does not exist",
	} {
		r, err := s.c.Read(ctx, sources.SignalSpec{Key: "q", Query: query}, sources.Window{Now: s.f.Latest()})
		if err != nil || r.HasValue() || !strings.Contains(r.Diagnosis, want) {
			t.Errorf("%s: diagnosis %q (%v), want %q", query, r.Diagnosis, err, want)
		}
	}
}

// tableComparison: the ghost line a day back is the server's own `offset
// 1d` answer point by point; a week back there is nothing, every point a
// gap.
func tableComparison(t *testing.T, s *tableStack) {
	ctx := tableContext(t, s)
	spec := sources.SignalSpec{Key: sources.RPS, Query: "sum(rate(http_requests_total[1m]))"}
	w := sources.WindowFor(s.f.Latest().Add(-time.Minute), 10*time.Minute, 21)
	ghost, err := s.c.Earlier(ctx, spec, w, 24*time.Hour)
	if err != nil || len(ghost) != w.Points() {
		t.Fatalf("ghost: %d points (%v), want %d", len(ghost), err, w.Points())
	}
	compared := 0
	for i, got := range ghost {
		at := w.Start().Add(time.Duration(i) * w.Step)
		want, err := s.store.Query(ctx, "sum(rate(http_requests_total[1m] offset 1d))", at)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) == 0 {
			if !math.IsNaN(got) {
				t.Errorf("point %d: ghost %v, the server has none", i, got)
			}
			continue
		}
		compared++
		if math.Abs(got-want[0].Value) > 1e-9*math.Abs(want[0].Value) {
			t.Errorf("point %d (%s): ghost %v, offset query %v", i, at.Format(time.TimeOnly), got, want[0].Value)
		}
	}
	if compared < w.Points()-2 {
		t.Errorf("only %d of %d ghost points had history to compare", compared, w.Points())
	}
	week, err := s.c.Earlier(ctx, spec, w, 7*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range week {
		if !math.IsNaN(v) {
			t.Fatalf("point %d a week ago is %v, want no data", i, v)
		}
	}
}

// tableMarks: the deploy in the history (both versions named), the restart
// it caused, and the rule's alert starting, on every server (vmalert writes
// ALERTS into VictoriaMetrics as Prometheus keeps them).
func tableMarks(t *testing.T, s *tableStack) {
	ctx := tableContext(t, s)
	var marks []sources.Mark
	find := func(kind sources.MarkKind, text string) []sources.Mark {
		var out []sources.Mark
		for _, m := range marks {
			if m.Kind == kind && strings.Contains(m.Text, text) {
				out = append(out, m)
			}
		}
		return out
	}
	wait.Eventually(t, "the alert's start among the marks", func() (err error) {
		marks, err = s.c.Changes(ctx, sources.WindowFor(time.Now(), 40*time.Minute, 2400))
		if err == nil && len(find(sources.MarkAlert, "AlwaysFiring (critical) firing")) != 1 {
			err = fmt.Errorf("the marks are %+v", marks)
		}
		return err
	}, wait.Context(ctx))
	deploys := find(sources.MarkDeploy, "deploy 1.4.1 → 1.4.2 on api-a:9")
	if len(deploys) != 1 || deploys[0].At.Sub(s.deployAt).Abs() > 6*time.Second || deploys[0].From != "1.4.1" || deploys[0].To != "1.4.2" {
		t.Errorf("deploy marks %+v, want one at %s (all: %+v)", deploys, s.deployAt.Format(time.TimeOnly), marks)
	}
	if restarts := find(sources.MarkRestart, "api-a:9"); len(restarts) != 1 || !restarts[0].At.Equal(s.deployAt) {
		t.Errorf("restart marks %+v, want one at %s", restarts, s.deployAt.Format(time.TimeOnly))
	}
}

// tableAlerts: the strip's alerts are the rule's, from Prometheus or from
// vmalert (alerts_url).
func tableAlerts(t *testing.T, s *tableStack) {
	ctx := tableContext(t, s)
	wait.Eventually(t, "the firing alert", func() error {
		alerts, err := s.c.Alerts(ctx)
		if err == nil && (len(alerts) != 1 || alerts[0].Name != "AlwaysFiring" || alerts[0].State != "firing" || alerts[0].Summary != "fires at once") {
			err = fmt.Errorf("alerts %+v", alerts)
		}
		return err
	}, wait.Context(ctx))
}

// tableExemplars: Prometheus (exemplar storage on) gives the slow route's
// traced requests; VictoriaMetrics keeps none and says so.
func tableExemplars(t *testing.T, s *tableStack) {
	ctx := tableContext(t, s)
	end := time.Now()
	ex, err := s.c.Exemplars(ctx, titled()[sources.P95Latency], end.Add(-time.Minute), end)
	if err != nil {
		t.Fatal(err)
	}
	if s.f.VictoriaMetrics {
		if len(ex.Exemplars) != 0 || !strings.Contains(ex.Diagnosis, "not supported by this server") {
			t.Errorf("VictoriaMetrics' exemplars: %+v", ex)
		}
		return
	}
	hex := regexp.MustCompile(`^[0-9a-f]{32}$`)
	if len(ex.Exemplars) == 0 || ex.Diagnosis != "" || !hex.MatchString(ex.Exemplars[0].TraceID) || ex.Exemplars[0].Labels["handler"] != "/api/chat" {
		t.Errorf("exemplars: %+v", ex)
	}
}

// tableGrafana: Origin's Grafana dashboard imported as panes, and linted:
// its one right query reads, the three wrong ones are each named with the
// closest thing that exists, on every server.
func tableGrafana(t *testing.T, s *tableStack) {
	ctx := tableContext(t, s)
	d, err := grafana.Load("../../cli/testdata/grafana-origin-dashboard.json", grafana.Options{RateWindow: time.Minute, Range: 15 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"API RPS":                   "",
		"API Error Rate (%)":        "label status_code does not exist on http_requests_total; closest: status",
		"API Latency P95 (seconds)": "metric http_requests_duration_seconds_bucket does not exist; closest: http_request_duration_seconds_bucket",
		"Memory Usage":              "metric memory_usage_bytes does not exist; closest: origin_memory_usage_bytes",
	}
	if len(d.Queries) != len(want) {
		t.Fatalf("%d queries: %+v", len(d.Queries), d.Queries)
	}
	for _, q := range d.Queries {
		r, err := s.c.Read(ctx, sources.SignalSpec{Key: q.Title, Title: q.Title, Query: q.Expr, Unit: q.Unit}, sources.Window{Now: s.f.Latest()})
		w, ok := want[q.Title]
		switch {
		case !ok || err != nil:
			t.Errorf("%s: %v", q.Title, err)
		case w == "" && (r.Series == 0 || !r.HasValue()):
			t.Errorf("%s reads nothing: %+v", q.Title, r)
		case w != "" && (r.Series != 0 || !strings.Contains(r.Diagnosis, w)):
			t.Errorf("%s: %d series, diagnosis %q, want %q", q.Title, r.Series, r.Diagnosis, w)
		}
	}
}

// tableEnv is an environment of the flavour: its golden signals, the error
// rate's query one the server rejects, P95 critical at 1 ms.
func tableEnv(s *tableStack) *sources.Environment {
	specs := titled()
	er := specs[sources.ErrorRate]
	er.Query = rejected
	p95 := specs[sources.P95Latency]
	crit := 0.001
	p95.Thresholds = sources.Thresholds{Crit: &crit}
	return &sources.Environment{Name: s.f.Name, Metrics: sources.Opened[sources.Metrics]{Source: s.c, Target: s.store.URL()},
		Signals: []sources.SignalSpec{specs[sources.RPS], er, p95, specs[sources.Memory]}}
}

// tableSnapshot: the snapshot names the server, its figures are the
// server's, a signal whose query the server rejects says why in every
// format, and check fails on it and on P95 over its threshold.
func tableSnapshot(t *testing.T, s *tableStack) {
	ctx := tableContext(t, s)
	env := tableEnv(s)
	d := snapshot.TakeWith(ctx, env, s.f.Latest(), snapshot.Options{Only: []string{"metrics", "alerts"}})
	name := "Prometheus "
	switch {
	case s.f.VictoriaMetrics:
		name = "VictoriaMetrics"
	case s.f.Thanos:
		name = "Thanos " + servers.ThanosVersion
	}
	if !strings.HasPrefix(d.Server, name) {
		t.Errorf("server %q, want %s…", d.Server, name)
	}
	rps := d.Metrics[sources.RPS]
	taken, err := time.Parse(time.RFC3339, d.TakenAt)
	if err != nil {
		t.Fatal(err)
	}
	if want, err := s.store.Query(ctx, rps.Query, taken); err != nil || rps.Value == nil || len(want) != 1 || math.Abs(*rps.Value-want[0].Value) > 1e-9*math.Abs(want[0].Value) { // as tablePanes
		t.Errorf("requests/s %v, the server %v at %s (%v)", show(rps.Value), want, d.TakenAt, err)
	}
	if m := d.Metrics[sources.P95Latency]; m.Status != string(sources.StatusCrit) {
		t.Errorf("P95 over 1 ms is %q", m.Status)
	}
	er := d.Metrics[sources.ErrorRate]
	if er.Status != string(sources.StatusError) || !strings.HasPrefix(er.Error, "query rejected: ") || !strings.Contains(er.Error, "info") {
		t.Errorf("the rejected query: status %q error %q", er.Status, er.Error)
	}
	text := d.Text()
	for _, want := range []string{", " + d.Server + ")", "  Error rate (5xx): " + er.Error + "\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if !regexp.MustCompile(`\n  Error rate \(5xx\) +– +ERROR\n`).MatchString(text) {
		t.Errorf("text lacks the rejected signal's row:\n%s", text)
	}
	if md := d.Markdown(); !strings.Contains(md, "- **Error rate (5xx)**: "+er.Error) {
		t.Errorf("markdown lacks the rejected query's reason:\n%s", md)
	}
	var findings []string
	for _, f := range d.Findings() {
		findings = append(findings, f.Text)
	}
	all := strings.Join(findings, "\n")
	if !strings.Contains(all, "Error rate (5xx): cannot be read: query rejected: ") || !strings.Contains(all, "at or over its critical threshold 1 ms") {
		t.Errorf("check's findings: %q", findings)
	}
}

// tableOverview: the overview's row of the environment: figures, the
// rejected signal's reason, and a warning for it.
func tableOverview(t *testing.T, s *tableStack) {
	ctx := tableContext(t, s)
	row := glance.Read(ctx, tableEnv(s), 5*time.Minute, s.f.Latest())
	if len(row.Signals) != 4 {
		t.Fatalf("signals %+v", row.Signals)
	}
	for _, sig := range row.Signals {
		switch sig.Key {
		case sources.ErrorRate:
			if sig.Has || !strings.HasPrefix(sig.Err, "query rejected: ") {
				t.Errorf("the rejected signal on the overview: %+v", sig)
			}
		default:
			if !sig.Has || sig.Err != "" || !slices.ContainsFunc(sig.Points, func(v float64) bool { return !math.IsNaN(v) }) {
				t.Errorf("%s on the overview: %+v", sig.Key, sig)
			}
		}
	}
	if row.Level() != sources.StatusCrit {
		t.Errorf("level %s, want crit (P95 over 1 ms)", row.Level())
	}
}

func show(v *float64) string {
	if v == nil {
		return "none"
	}
	return fmt.Sprint(*v)
}
