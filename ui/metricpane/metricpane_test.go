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
