package metricpane

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/pane"
	"github.com/opsdeck/opsdeck/ui/poll"
	"github.com/opsdeck/opsdeck/ui/theme"
)

var t0 = time.Date(2026, 11, 30, 14, 30, 0, 0, time.UTC)

type reading struct{ r sources.Reading }

func (f *reading) Read(_ context.Context, _ sources.SignalSpec, w sources.Window) (sources.Reading, error) {
	r := f.r
	if w.Step > 0 {
		r.Window = w
		r.Points = make([]float64, w.Points())
		for i := range r.Points {
			r.Points[i] = float64(i % 5)
		}
	}
	return r, nil
}
func (f *reading) Alerts(context.Context) ([]sources.Alert, error) { return nil, nil }

func p95(warn, crit float64) sources.SignalSpec {
	return sources.SignalSpec{Key: sources.P95Latency, Title: "P95 latency", Query: "histogram_quantile(0.95, …)", Unit: units.Seconds,
		Thresholds: sources.Thresholds{Warn: &warn, Crit: &crit}}
}

func newPane(src sources.Metrics, spec sources.SignalSpec) (*Model, *pane.Context) {
	ctx := &pane.Context{Styles: theme.New(theme.Dark(), true), Now: func() time.Time { return t0 }, Refresh: 2 * time.Second,
		Time: pane.NewTimeline(15 * time.Minute), Base: context.Background(), After: func(time.Duration, tea.Msg) tea.Cmd { return nil }}
	m := New(ctx, Options{Spec: spec, Source: src, Target: "http://prometheus.qa:9090"})
	m.SetSize(80, 12)
	return m, ctx
}

func fetched(m *Model) string {
	m.Update(m.Start()())
	return ansi.Strip(strings.Join(m.View(false), "\n"))
}

// TestValueStatusAndRange: the first line holds the value, its status word
// against the thresholds, and the window's range.
func TestValueStatusAndRange(t *testing.T) {
	m, _ := newPane(&reading{r: sources.Reading{Value: 2.4, Series: 1}}, p95(1, 2))
	got := fetched(m)
	if !strings.Contains(got, "2.40 s CRIT") || !strings.Contains(got, "min 0 s") || !strings.Contains(got, "max 4.00 s") {
		t.Errorf("value line:\n%s", got)
	}
	m, _ = newPane(&reading{r: sources.Reading{Value: 1.2, Series: 3}}, p95(1, 2))
	if got := fetched(m); !strings.Contains(got, "1.20 s WARN (max of 3 series)") {
		t.Errorf("several series:\n%s", got)
	}
}

// TestNoDataSaysWhy: an empty result shows the diagnosis instead of a value.
func TestNoDataSaysWhy(t *testing.T) {
	m, _ := newPane(&reading{r: sources.Reading{Value: math.NaN(), Diagnosis: `no series of metric "http_request_duration_seconds_bucket"`}}, p95(1, 2))
	if got := fetched(m); !strings.Contains(got, `no data: no series of metric "http_request_duration_seconds_bucket"`) {
		t.Errorf("no data:\n%s", got)
	}
}

// TestPausedHoldsStill: paused, the badge shows the instant, ticks fetch
// nothing, and the value stays.
func TestPausedHoldsStill(t *testing.T) {
	m, ctx := newPane(&reading{r: sources.Reading{Value: 0.5}}, p95(1, 2))
	fetched(m)
	ctx.Time.Pause(t0)
	if cmd := m.Update(poll.Tick{ID: m.ID()}); cmd != nil {
		t.Error("a paused pane fetched on its tick")
	}
	if got := ansi.Strip(strings.Join(m.View(false), "\n")); !strings.Contains(got, "‖ 14:30:00") || !strings.Contains(got, "500 ms ok") {
		t.Errorf("paused:\n%s", got)
	}
}

// TestZoomedDetails: tall, the pane adds its query, thresholds and source.
func TestZoomedDetails(t *testing.T) {
	m, _ := newPane(&reading{r: sources.Reading{Value: 0.5}}, p95(1, 2))
	m.SetSize(120, 30)
	if got := fetched(m); !strings.Contains(got, "query: histogram_quantile(0.95, …)") || !strings.Contains(got, "warn ≥ 1.00 s · crit ≥ 2.00 s") ||
		!strings.Contains(got, "from http://prometheus.qa:9090") {
		t.Errorf("zoomed:\n%s", got)
	}
}

// TestNotesShown: what Prometheus said beside its answer is on the pane:
// the first note small, every note zoomed.
func TestNotesShown(t *testing.T) {
	notes := []string{"warning: remote store answered partially", "info: metric might not be a counter"}
	m, _ := newPane(&reading{r: sources.Reading{Value: 0.5, Notes: notes}}, p95(1, 2))
	if got := fetched(m); !strings.Contains(got, "ⓘ 2 notes: warning: remote store answered partially") {
		t.Errorf("small:\n%s", got)
	}
	m.SetSize(120, 30)
	if got := fetched(m); !strings.Contains(got, "ⓘ warning: remote store answered partially") || !strings.Contains(got, "ⓘ info: metric might not be a counter") {
		t.Errorf("zoomed:\n%s", got)
	}
}

// TestAxes: a pane 40 cells wide or more has a value scale in the signal's
// unit (top, middle, bottom) and a clock axis under its chart; a narrower
// one has neither.
func TestAxes(t *testing.T) {
	m, _ := newPane(&reading{r: sources.Reading{Value: 3}}, p95(1, 2))
	m.SetSize(80, 14)
	got := fetched(m)
	for _, want := range []string{"4.00 s│", "0 s│", "└", "14:20", "14:25"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q missing:\n%s", want, got)
		}
	}
	m.SetSize(40, 14)
	if got := fetched(m); strings.Contains(got, "s│") || strings.Contains(got, "└") {
		t.Errorf("a narrow pane keeps the plain chart:\n%s", got)
	}
}

// TestMarksOnTheTimeAxis: each mark's sign sits at its instant; one inside
// a clock label takes the label's place rather than garbling it; marks
// outside the window are not drawn.
func TestMarksOnTheTimeAxis(t *testing.T) {
	st := theme.New(theme.Dark(), true)
	start, length := t0.Add(-10*time.Minute), 10*time.Minute
	axis := "          14:22          14:24          14:26          14:28 "
	marks := []sources.Mark{
		{At: t0.Add(-10 * time.Minute), Kind: sources.MarkDeploy},
		{At: t0.Add(-8 * time.Minute), Kind: sources.MarkMigration}, // 14:22, on its label
		{At: t0.Add(time.Minute), Kind: sources.MarkAlert},          // after the window
	}
	got := ansi.Strip(markAxis(st, axis, marks, start, length))
	want := "D           M            14:24          14:26          14:28 "
	if got != want {
		t.Errorf("axis\n got %q\nwant %q", got, want)
	}
}

// TestChangeAgainstThePast: the value line's comparison with the ghost.
func TestChangeAgainstThePast(t *testing.T) {
	for _, c := range []struct {
		now, then float64
		want      string
	}{
		{3.4, 1, "+240 % vs 1d"}, {0.5, 1, "−50 % vs 1d"}, {1, 1, "±0 % vs 1d"}, {0, 0, "±0 % vs 1d"},
		{2, 0, "new vs 1d (was 0)"}, {2, math.NaN(), "(no value 1d earlier)"}, {math.NaN(), 1, ""},
	} {
		if got := Change(c.now, c.then, "1d"); got != c.want {
			t.Errorf("Change(%v, %v) = %q, want %q", c.now, c.then, got, c.want)
		}
	}
}

// TestExemplarDots: a latency exemplar sits at its time and value; a
// failure's on the line at its time; one outside the window is not drawn.
func TestExemplarDots(t *testing.T) {
	w := sources.Window{End: t0, Length: 10 * time.Minute, Step: time.Minute}
	r := sources.Reading{Key: sources.P95Latency, Window: w, Points: []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, Exemplars: []sources.Exemplar{
		{At: t0.Add(-10 * time.Minute), Value: 10}, // top left
		{At: t0, Value: 0},                         // bottom right
		{At: t0.Add(time.Minute), Value: 5},        // after the window
	}}
	dots := exemplarDots(r, 11, 5, 0, 10)
	if !dots[0][0] || !dots[4][10] {
		t.Errorf("latency exemplars not at their values: %v", dots)
	}
	n := 0
	for _, row := range dots {
		for _, d := range row {
			if d {
				n++
			}
		}
	}
	if n != 2 {
		t.Errorf("%d dots, want 2", n)
	}
	r.Key = sources.ErrorRate
	r.Exemplars = []sources.Exemplar{{At: t0.Add(-5 * time.Minute), Value: 1}} // a count: drawn on the line (5 of 10)
	if dots := exemplarDots(r, 11, 5, 0, 10); !dots[2][5] {
		t.Errorf("a failure's exemplar is not on the line: %v", dots)
	}
}

// past answers the ghost line with each point's own time (in seconds), so
// that a shifted line can be told from a fresh one.
type past struct {
	reading
	reads int
}

func (p *past) Earlier(_ context.Context, _ sources.SignalSpec, w sources.Window, by time.Duration) ([]float64, error) {
	p.reads++
	out := make([]float64, w.Points())
	for i := range out {
		out[i] = float64(w.Start().Add(time.Duration(i) * w.Step).Add(-by).Unix())
	}
	return out, nil
}

// TestGhostShiftedAlong: between two reads of the ghost line, the one read
// is shifted by the steps the window moved, each point still the past of
// the chart point above it; the newest ones are left empty.
func TestGhostShiftedAlong(t *testing.T) {
	src := &past{reading: reading{r: sources.Reading{Value: 1}}}
	now := t0
	m, ctx := newPane(src, p95(1, 2))
	ctx.Now = func() time.Time { return now }
	ctx.Time.Compare = 24 * time.Hour
	m.Update(m.Start()())
	first := m.Poll.Last
	if src.reads != 1 || len(first.Earlier) == 0 {
		t.Fatalf("%d ghost reads, %d points", src.reads, len(first.Earlier))
	}
	now = now.Add(3 * first.Window.Step) // three steps on, well inside 30 s
	m.Update(m.Fetch()())
	r := m.Poll.Last
	if src.reads != 1 {
		t.Fatalf("the ghost was read again %d steps on", 3)
	}
	for i, v := range r.Earlier {
		want := float64(r.Window.Start().Add(time.Duration(i) * r.Window.Step).Add(-24 * time.Hour).Unix())
		switch {
		case i >= len(r.Earlier)-3 && !math.IsNaN(v):
			t.Errorf("point %d is %v, want empty until the next read", i, v)
		case i < len(r.Earlier)-3 && v != want:
			t.Errorf("point %d is %v, want %v (a day before its chart point)", i, v, want)
		}
	}
}

// TestValueBetweenStepsKeepsTheChart: a poll between two of the chart's
// steps asks for the value alone, and the pane keeps the chart it had
// (merged on the UI side: the fetch carries no chart to make safe again).
func TestValueBetweenStepsKeepsTheChart(t *testing.T) {
	src := &reading{r: sources.Reading{Value: 0.5, Series: 1}}
	m, _ := newPane(src, p95(1, 2))
	fetched(m)
	chart := m.Poll.Last.Points
	src.r.Value = 0.7
	cmd := m.Fetch()
	res := cmd().(poll.Result[sources.Reading])
	if res.Value.Points != nil || res.Value.Window.Step != 0 {
		t.Fatalf("a poll between steps read a chart: %+v", res.Value.Window)
	}
	m.Update(res)
	last := m.Poll.Last
	if last.Value != 0.7 || len(last.Points) != len(chart) || &last.Points[0] != &chart[0] || last.Window.Step == 0 {
		t.Fatalf("the chart was not kept: value %v, %d points, window %+v", last.Value, len(last.Points), last.Window)
	}
	if got := ansi.Strip(strings.Join(m.View(false), "\n")); !strings.Contains(got, "700 ms ok") || !strings.Contains(got, "max 4.00 s") {
		t.Errorf("view:\n%s", got)
	}
}

// exemplary is a source with exemplars that carry trace ids and labels.
type exemplary struct{ reading }

func (e *exemplary) Exemplars(_ context.Context, _ sources.SignalSpec, from, to time.Time) (sources.ExemplarReading, error) {
	return sources.ExemplarReading{Exemplars: []sources.Exemplar{{At: to.Add(-time.Minute), Value: 3, TraceID: "4bf92f3577b34da6a3ce929d0e0e4736",
		Labels: map[string]string{"handler": "/api/chat"}}}}, nil
}

// TestDotsKeepTimeAndValue: the exemplars a chart keeps for its dots (up to
// maxDots) hold their time and value only; the trace list reads its own.
func TestDotsKeepTimeAndValue(t *testing.T) {
	m, _ := newPane(&exemplary{reading{r: sources.Reading{Value: 0.5, Series: 1}}}, p95(1, 2))
	fetched(m)
	exs := m.Poll.Last.Exemplars
	if len(exs) != 1 || exs[0].Value != 3 || exs[0].At.IsZero() || exs[0].TraceID != "" || exs[0].Labels != nil {
		t.Fatalf("kept dots: %+v", exs)
	}
}

// TestPartialAndDownsampledMarked: a figure from a partial answer (a store
// down behind Thanos) says partial beside its value; a chart drawn from
// downsampled data says to what resolution at most.
func TestPartialAndDownsampledMarked(t *testing.T) {
	plain, _ := newPane(&reading{r: sources.Reading{Value: 0.5}}, p95(1, 2))
	if got := fetched(plain); strings.Contains(got, "partial") || strings.Contains(got, "downsampled") {
		t.Errorf("a whole raw answer is marked:\n%s", got)
	}
	m, _ := newPane(&reading{r: sources.Reading{Value: 0.5, Partial: true, Resolution: 5 * time.Minute,
		Notes: []string{"warning: fetch series for {replica=\"b\"}: receive series from store: rpc error: code = Unavailable"}}}, p95(1, 2))
	m.SetSize(80, 14)
	if got := fetched(m); !strings.Contains(got, "500 ms ok partial downsampled ≤5m") || !strings.Contains(got, "ⓘ warning: fetch series") {
		t.Errorf("partial and downsampled:\n%s", got)
	}
}
