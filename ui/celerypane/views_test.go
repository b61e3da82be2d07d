package celerypane

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/ui/pane/panetest"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/theme"
)

var t0 = time.Date(2026, 11, 30, 14, 30, 0, 0, time.UTC)

func f(v float64) *float64 { return &v }

// fakeCelery answers what the test sets.
type fakeCelery struct {
	st  sources.CeleryState
	err error
}

func (c *fakeCelery) Poll(_ context.Context, req sources.CeleryRequest) (sources.CeleryState, error) {
	if c.err != nil {
		return sources.CeleryState{}, c.err
	}
	st := c.st
	st.Workers = slices.Clone(st.Workers)
	if !req.Running {
		for i := range st.Workers {
			st.Workers[i].Running = nil
		}
	}
	return st, nil
}

// incident is Celery during an incident: a worker is gone, the default
// queue backs up, and a task fails on the worker left.
func incident() sources.CeleryState {
	growth := int64(240)
	p50, p95 := 0.8, 2.4
	return sources.CeleryState{
		Workers: []sources.CeleryWorker{
			{Hostname: "w1@host", Pool: "prefork", Concurrency: 2, Online: true, SendsEvents: true, Active: 2, Processed: 12_400, Failed: 9, Load: []float64{1.5},
				Running: []sources.CeleryRunning{{ID: "r-1", Name: "app.tasks.export_conversations", Worker: "w1@host", Started: t0.Add(-3 * time.Minute), Args: `["c-17"]`}}},
			{Hostname: "w2@host", Pool: "gevent", Concurrency: 100, LastSeen: t0.Add(-time.Minute)},
		},
		Queues: []sources.CeleryQueue{{Name: "high_priority"}, {Name: "default", Waiting: 1370, Unacked: 4, Growth: &growth, GrowthOver: time.Minute},
			{Name: "low_priority", Waiting: 3}},
		Tasks: []sources.CeleryTask{
			{Name: "app.tasks.reindex_embeddings", Received: 90, Started: 90, Succeeded: 81, Failed: 9, ReceivedPerSec: 0.3, P50: &p50, P95: &p95},
			{Name: "app.tasks.summarize", Received: 600, Started: 600, Succeeded: 600, ReceivedPerSec: 2},
		},
		Failures: []sources.CeleryFailure{{ID: "f-1", Name: "app.tasks.reindex_embeddings", Exception: "ValueError('dimension mismatch')", Worker: "w1@host", At: t0.Add(-20 * time.Second), Args: `["x"]`}},
		Events:   sources.CeleryEvents{Since: t0.Add(-30 * time.Minute)}, Window: 5 * time.Minute,
	}
}

// run hands the pane the result of cmd, as the program would.
func run(m *Model, cmd tea.Cmd) {
	if cmd != nil {
		m.Update(cmd())
	}
}

// newPane builds the pane in one of the states the goldens show: loading
// (no answer yet), ok, error (failing 12 s after its last answer), off
// (not configured); zoomed when asked.
func newPane(state string, w, h int, zoomed bool) *Model {
	now := t0
	ctx := panetest.Context(func() time.Time { return now })
	src := &fakeCelery{st: incident()}
	o := Options{Source: src, Target: "redis://broker.qa:6379/0", QueueThresholds: sources.Thresholds{Warn: f(100), Crit: f(1000)},
		Hint: "P purge · T terminate · E retry · esc back"}
	if state == "off" {
		o = Options{}
	}
	m := New(ctx, o)
	m.SetSize(w, h)
	fetch := m.Start()
	if state != "loading" {
		run(m, fetch)
	}
	if state == "error" {
		now = now.Add(12 * time.Second)
		src.err = errors.New("connection refused by broker.qa:6379 (is Redis running there?)")
		run(m, m.Fetch())
	}
	if zoomed {
		if cmd := m.SetZoomed(true); state != "loading" {
			run(m, cmd)
		}
	}
	return m
}

// screen is the pane's view without colour, checked to be exactly w x h.
func screen(t *testing.T, m *Model, w, h int) string {
	t.Helper()
	return panetest.Screen(t, m.View(false), w, h)
}

// TestViews: the pane in every state at the small sizes the root gives it
// (a 2x2 grid at 80x24 and 100x30, a row of four at 160x48) and zoomed.
func TestViews(t *testing.T) {
	panetest.Views(t, []string{"loading", "ok", "error", "off"}, panetest.Sizes, func(state string, s panetest.Size) []string {
		return newPane(state, s.W, s.H, s.Zoomed).View(false)
	})
}

// TestSmallPaneKeepsTheWorkersAndTheQueue: at 40x5, during the incident and
// while the broker fails with the incident as last data, the workers online
// of those known come first, then the backed-up queue with its length,
// both uncut.
func TestSmallPaneKeepsTheWorkersAndTheQueue(t *testing.T) {
	for _, state := range []string{"ok", "error"} {
		s := screen(t, newPane(state, 40, 5, false), 40, 5)
		if !strings.Contains(s, "│ ✖ 1/2 workers · 2 active ") {
			t.Errorf("%s: the workers' count is not first and uncut:\n%s", state, s)
		}
		if state == "ok" && !strings.Contains(s, "│ ⚠ 1.37k waiting default ") && !strings.Contains(s, "│ ⚠ 1370 waiting default ") {
			t.Errorf("the queue's length is not on screen uncut:\n%s", s)
		}
	}
}

// TestQueuesLongestFirst: the queues' line starts with the longest queue,
// its figure first, whatever order the broker listed them in.
func TestQueuesLongestFirst(t *testing.T) {
	lines := summaryLines(theme.New(theme.Dark(), true), incident(), sources.Thresholds{Warn: f(100)}, 100, 20, false, t0)
	got := ansi.Strip(strings.Join(lines, "\n"))
	if !strings.Contains(got, "⚠ 1370 waiting default (+240) (4 unacked) · 3 low_priority · 0 high_priority") {
		t.Errorf("queues:\n%s", got)
	}
}

// TestFindingFirst: whatever is wrong comes first in a pane of three lines
// 36 cells wide (a 40x5 pane): workers gone, a queue backed up, failures.
func TestFindingFirst(t *testing.T) {
	st := theme.New(theme.Dark(), true)
	calm := sources.CeleryState{Workers: []sources.CeleryWorker{{Hostname: "w1@host", Pool: "prefork", Online: true, Processed: 40}},
		Queues: []sources.CeleryQueue{{Name: "default", Waiting: 2}}, Events: sources.CeleryEvents{Since: t0.Add(-time.Hour)}, Window: 5 * time.Minute}
	for _, c := range []struct {
		name   string
		change func(*sources.CeleryState)
		want   string
	}{
		{"nothing wrong: the head first", func(*sources.CeleryState) {}, "1/1 workers · 0 active"},
		{"no worker at all", func(s *sources.CeleryState) { s.Workers = nil }, "✖ 0/0 workers"},
		{"a queue backed up", func(s *sources.CeleryState) {
			s.Queues = append(s.Queues, sources.CeleryQueue{Name: "emails", Waiting: 1370})
		}, "⚠ 1370 waiting emails · 2 default"},
		{"a worker's tasks failing", func(s *sources.CeleryState) { s.Workers[0].Failed = 4 }, "⚠ 4 failed · 0 active"},
		{"tasks failed", func(s *sources.CeleryState) {
			s.Failures = []sources.CeleryFailure{{Name: "app.tasks.send", Exception: "TimeoutError()"}}
		}, "✖ 1 failed over 5m00s · last send"},
	} {
		s := calm
		s.Workers = slices.Clone(calm.Workers)
		s.Queues = slices.Clone(calm.Queues)
		c.change(&s)
		lines := summaryLines(st, s, sources.Thresholds{Warn: f(100), Crit: f(1000)}, 36, 3, false, t0)
		if got := strings.TrimRight(ansi.Strip(lines[0]), " "); !strings.HasPrefix(got, c.want) {
			t.Errorf("%s: first line %q, want it to start %q", c.name, got, c.want)
		}
	}
}
