package logstrip

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/metricpane"
	"github.com/opsdeck/opsdeck/ui/pane"
	"github.com/opsdeck/opsdeck/ui/poll"
	"github.com/opsdeck/opsdeck/ui/theme"
)

var t0 = time.Date(2026, 11, 25, 14, 30, 0, 0, time.UTC)

func TestCells(t *testing.T) {
	vols := []sources.LogVolume{
		{Time: t0, ByLevel: map[string]int{"info": 5}},
		{Time: t0.Add(30 * time.Second), ByLevel: map[string]int{"info": 2, "error": 3}},
		{Time: t0.Add(59 * time.Second), ByLevel: map[string]int{"WARNING": 1}},
		{Time: t0.Add(-time.Second), ByLevel: map[string]int{"error": 100}}, // before the range: left out
		{Time: t0.Add(time.Minute), ByLevel: map[string]int{"info": 7}},     // its end: the last cell
	}
	got := Cells(vols, t0, time.Minute, 4)
	want := []Cell{{Total: 5}, {}, {Total: 5, Errors: 3}, {Total: 8, Warnings: 1}}
	if !slices.Equal(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestBars(t *testing.T) {
	st := theme.New(theme.Dark(), false)
	got := Bars(st, []Cell{{}, {Total: 1}, {Total: 8, Errors: 1}, {Total: 4, Warnings: 4}})
	want := " " + st.Muted.Render("▁") + st.Error.Render("█") + st.Warn.Render("▄")
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	// A steady error or two in every cell is the service's baseline: only
	// the burst is in the error colour.
	cells := make([]Cell, 10)
	for i := range cells {
		cells[i] = Cell{Total: 400, Errors: 1}
	}
	cells[6] = Cell{Total: 440, Errors: 40}
	got = Bars(st, cells)
	want = strings.Repeat(st.Muted.Render("█"), 6) + st.Error.Render("█") + strings.Repeat(st.Muted.Render("█"), 3)
	if got != want {
		t.Errorf("the burst alone should be red, the baseline muted: %q", got)
	}
	// A sustained incident: every cell 10 % errors, all of them red.
	for i := range cells {
		cells[i] = Cell{Total: 400, Errors: 40}
	}
	if got := Bars(st, cells); strings.Count(got, st.Error.Render("█")) != 10 {
		t.Errorf("a sustained error rate must stay red: %q", got)
	}
}

// TestSegmentLinesUpWithTheChart: under a pane, the strip's cells are the
// chart's cells: the same offset (border, padding, value scale) and width.
func TestSegmentLinesUpWithTheChart(t *testing.T) {
	st := theme.New(theme.Dark(), false)
	for _, w := range []int{40, 53, 80, 160} {
		cw := metricpane.ChartWidth(w)
		// A burst in the chart's last cell.
		r := Reading{Start: t0, End: t0.Add(15 * time.Minute), Volume: []sources.LogVolume{{Time: t0.Add(15*time.Minute - time.Second), ByLevel: map[string]int{"error": 9}}}}
		seg := ansi.Strip(Segment(st, r, w))
		if n := ansi.StringWidth(seg); n != w {
			t.Errorf("w %d: the segment is %d cells", w, n)
		}
		cells := []rune(seg)
		if at := w - 2 - 1; cells[at] != '█' || strings.ContainsRune(string(cells[:w-3]), '█') {
			t.Errorf("w %d (chart %d cells): the burst is not in the chart's last cell: %q", w, cw, seg)
		}
	}
}

type fakeLogs struct {
	err   error
	vols  []sources.LogVolume
	steps []time.Duration
	qs    []sources.LogQuery
}

func (f *fakeLogs) Lines(context.Context, sources.LogQuery) ([]sources.LogLine, error) {
	return nil, errors.New("the strip reads no lines")
}

func (f *fakeLogs) Volume(_ context.Context, q sources.LogQuery, step time.Duration) ([]sources.LogVolume, error) {
	f.qs, f.steps = append(f.qs, q), append(f.steps, step)
	return f.vols, f.err
}

func (f *fakeLogs) Tail(context.Context, string, chan<- sources.LogLine) error { return nil }

// TestStripReadsOncePerStepAndSaysFailures: the strip reads the charts'
// window, a step per cell; it reads again after a step, not every
// refresh; a failure is said in words with the age of what it had.
func TestStripReadsOncePerStepAndSaysFailures(t *testing.T) {
	now := t0
	var timers []time.Duration
	var pending []tea.Msg
	st := theme.New(theme.Dark(), false)
	ctx := &pane.Context{Styles: st, Now: func() time.Time { return now }, Refresh: 2 * time.Second, Time: pane.NewTimeline(15 * time.Minute),
		Base: context.Background(), After: func(d time.Duration, msg tea.Msg) tea.Cmd {
			return func() tea.Msg { timers, pending = append(timers, d), append(pending, msg); return nil }
		}}
	src := &fakeLogs{vols: []sources.LogVolume{{Time: t0.Add(-time.Minute), ByLevel: map[string]int{"error": 4, "info": 40}}}}
	m := New(ctx, src, "", "http://victorialogs:9428", nil)
	m.SetColumns(160, []int{80, 80})
	if got := ansi.Strip(m.View(false)[0]); !strings.Contains(got, "logs: connecting…") {
		t.Errorf("before the first answer: %q", got)
	}
	run := func(cmd tea.Cmd) {
		for cmd != nil {
			msg := cmd()
			if msg == nil {
				return
			}
			cmd = m.Update(msg)
		}
	}
	run(m.Start())
	q, step := src.qs[0], src.steps[0]
	if !q.Start.Equal(t0.Add(-15*time.Minute)) || !q.End.Equal(t0) || q.Filter != "" {
		t.Errorf("read %+v", q)
	}
	if want := 15 * time.Minute / time.Duration(metricpane.ChartWidth(80)); step != want {
		t.Errorf("step %v, want a chart cell's %v", step, want)
	}
	if len(timers) != 1 || timers[0] < step/4 {
		t.Errorf("the next read is due in %v, want about a step (%v)", timers, step)
	}
	line := m.View(false)[0]
	if ansi.StringWidth(line) != 160 || !strings.Contains(line, st.Error.Render("█")) || strings.Count(ansi.Strip(line), "logs") != 2 {
		t.Errorf("the strip under two charts: %q", ansi.Strip(line))
	}
	src.err = errors.New("HTTP 503 from http://victorialogs:9428/select/logsql/hits")
	now = now.Add(12 * time.Second)
	run(m.Update(poll.Refresh{}))
	if got := ansi.Strip(m.View(false)[0]); !strings.Contains(got, "⚠ logs: HTTP 503 from http://victorialogs:9428/select/logsql/hits (last ok 12s ago") {
		t.Errorf("a failure is not said in words: %q", got)
	}
}
