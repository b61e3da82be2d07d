package slopane

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/pane/panetest"
)

var t0 = time.Date(2026, 12, 6, 14, 0, 0, 0, time.UTC)

// fakeSLOs answers what the test sets.
type fakeSLOs struct {
	slos []sources.SLO
	err  error
}

func (f *fakeSLOs) Objectives(context.Context) ([]sources.SLO, error) { return f.slos, f.err }
func (f *fakeSLOs) String() string                                    { return "http://prometheus.qa:9090" }

const month = 30 * 24 * time.Hour

// ratios are error ratios by window, shortest first: 5m 30m 1h 2h 6h 1d 3d
// and the objective's window.
func ratios(r ...float64) map[time.Duration]float64 {
	out := map[time.Duration]float64{}
	for i, w := range append(sources.SLOWindows[:len(sources.SLOWindows):len(sources.SLOWindows)], month) {
		if i < len(r) {
			out[w] = r[i]
		}
	}
	return out
}

// incident is the demo's error incident: availability burns 24x (the
// paging pairs and the 3-day one breach, its budget 40 % left), latency is
// calm, a declared objective cannot be read.
func incident() []sources.SLO {
	return []sources.SLO{
		{Name: "origin-api/requests-latency", Origin: "sloth", Objective: 0.99, Window: month, At: t0,
			ErrorRatios: ratios(0.001, 0.001, 0.0012, 0.001, 0.001, 0.001, 0.001, 0.001)},
		{Name: "origin-api/requests-availability", Origin: "sloth", Objective: 0.995, Window: month, At: t0,
			ErrorRatios: ratios(0.12, 0.1, 0.09, 0.05, 0.032, 0.01, 0.006, 0.003)},
		{Name: "checkout", Origin: "config", Objective: 0.999, Window: month, At: t0, Problem: "query rejected: unknown function"},
	}
}

func run(m *Model, cmd tea.Cmd) {
	if cmd != nil {
		m.Update(cmd())
	}
}

// newPane builds the pane in one of the goldens' states: loading, ok,
// error (failing 12 s after its last answer), off (not configured), none
// (no objectives found).
func newPane(state string, w, h int) *Model {
	now := t0
	ctx := panetest.Context(func() time.Time { return now })
	src := &fakeSLOs{slos: incident()}
	if state == "none" {
		src.slos = nil
	}
	o := Options{Source: src, Target: "http://prometheus.qa:9090"}
	if state == "off" {
		o = Options{Problem: "no SLOs: they are read from the sloth or pyrra recording rules of the Prometheus at prometheus.url"}
	}
	m := New(ctx, o)
	m.SetSize(w, h)
	fetch := m.Start()
	if state != "loading" {
		run(m, fetch)
	}
	if state == "error" {
		now = now.Add(12 * time.Second)
		src.err = errors.New("no answer from prometheus.qa:9090 within 5s")
		run(m, m.Fetch())
	}
	return m
}

// TestViews: the pane in every state at the sizes the root gives a state
// pane (80x24 and 100x30 grids, a row at 160x48) and a tall one.
func TestViews(t *testing.T) {
	sizes := []panetest.Size{{W: 40, H: 5}, {W: 50, H: 6}, {W: 40, H: 15}, {W: 160, H: 45}}
	panetest.Views(t, []string{"loading", "ok", "error", "off", "none"}, sizes, func(state string, s panetest.Size) []string {
		return newPane(state, s.W, s.H).View(false)
	})
}

// TestBurningFirst: in a pane of three lines the objective burning fast
// comes first with its burn rate uncut, before the unreadable one and the
// calm one; kept while the source fails, dimmed.
func TestBurningFirst(t *testing.T) {
	for _, state := range []string{"ok", "error"} {
		s := panetest.Screen(t, newPane(state, 40, 5).View(false), 40, 5)
		lines := strings.Split(s, "\n")
		want := "│ ⚠ 24.0× burn requests-availability "
		if state == "error" {
			want = "│ ⚠ slo:"
		}
		if !strings.HasPrefix(lines[1], want) {
			t.Errorf("%s: first line %q, want %q first:\n%s", state, lines[1], want, s)
		}
	}
	s := panetest.Screen(t, newPane("ok", 160, 45).View(false), 160, 45)
	avail, problem, calm := strings.Index(s, "burn origin-api/requests-availability"), strings.Index(s, "⚠ checkout: query rejected"), strings.Index(s, "burn origin-api/requests-latency")
	if avail < 0 || problem < avail || calm < problem {
		t.Errorf("want the burning objective, then the unreadable one, then the calm one:\n%s", s)
	}
	for _, text := range []string{"14.4× 1h+5m, 6× 6h+30m", "budget 40.0% left", "gone in 12h00m", "SLI 99.7% of 99.5% over 30d", "burn 5m 24.0× · 30m 20.0×"} {
		if !strings.Contains(s, text) {
			t.Errorf("the 160-cell pane lacks %q:\n%s", text, s)
		}
	}
}
