package pane

import (
	"slices"
	"time"

	"github.com/opsdeck/opsdeck/sources"
)

// Timeline is the time the metric panes show: the chart window, whether live
// updates are paused (and at which instant), and the cursor that reads exact
// values at one point in time across every metric pane. The root model owns
// it and changes it on key presses; panes only read it, on the UI goroutine.
type Timeline struct {
	// Window is the chart window, one of windows (the zoom steps).
	Window  time.Duration
	windows []time.Duration
	Paused  bool
	At      time.Time // the paused instant
	// Cursor is the instant read across panes; zero when there is none.
	Cursor time.Time
	// Compare is how far back the ghost line each chart is compared with
	// lies (a day, a week); zero draws none.
	Compare time.Duration
	// Marks are what changed (deploys, alerts, migrations, the console's
	// own actions), oldest first: the charts mark them on their time axis.
	Marks []sources.Mark
	// MarksProblem says why the marks may be incomplete ("" when they are not).
	MarksProblem string
	// Version counts changes, so that panes know to render again.
	Version int
}

// compareSteps are the ghost lines the compare key cycles through after none.
func compareSteps() []time.Duration { return []time.Duration{24 * time.Hour, 7 * 24 * time.Hour} }

// CycleCompare moves to the next ghost line: a day earlier, a week earlier,
// none.
func (t *Timeline) CycleCompare() {
	steps := compareSteps()
	i := slices.Index(steps, t.Compare)
	t.Compare = 0
	if i+1 < len(steps) {
		t.Compare = steps[i+1]
	}
	t.Version++
}

// SetMarks replaces the marks; the charts redraw only when they changed.
func (t *Timeline) SetMarks(marks []sources.Mark, problem string) {
	if problem == t.MarksProblem && slices.EqualFunc(marks, t.Marks, func(a, b sources.Mark) bool {
		return a.At.Equal(b.At) && a.Kind == b.Kind && a.Text == b.Text
	}) {
		return
	}
	t.Marks, t.MarksProblem = marks, problem
	t.Version++
}

// zoomSteps are the chart windows the zoom keys step through.
func zoomSteps() []time.Duration {
	return []time.Duration{5 * time.Minute, 15 * time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour}
}

// NewTimeline starts live, at window (added to the zoom steps if it is not one).
func NewTimeline(window time.Duration) *Timeline {
	steps := zoomSteps()
	if !slices.Contains(steps, window) {
		steps = append(steps, window)
		slices.Sort(steps)
	}
	return &Timeline{windows: steps, Window: window}
}

// End is the newest instant the charts show: now, or the paused instant.
func (t *Timeline) End(now time.Time) time.Time {
	if t.Paused {
		return t.At
	}
	return now
}

// Zoom steps the window by delta steps (-1 shorter, +1 longer) and reports
// whether it changed.
func (t *Timeline) Zoom(delta int) bool {
	i := slices.Index(t.windows, t.Window)
	j := min(max(i+delta, 0), len(t.windows)-1)
	if j == i {
		return false
	}
	t.Window = t.windows[j]
	t.clampCursor()
	t.Version++
	return true
}

// Pause freezes the charts at now; Resume goes live again and drops the cursor.
func (t *Timeline) Pause(now time.Time) { t.Paused, t.At = true, now; t.Version++ }

// Resume returns to live updates.
func (t *Timeline) Resume() {
	t.Paused, t.At, t.Cursor = false, time.Time{}, time.Time{}
	t.Version++
}

// ClearCursor removes the cursor (the timeline stays paused).
func (t *Timeline) ClearCursor() { t.Cursor = time.Time{}; t.Version++ }

// MoveCursor moves the cursor by step (negative: back in time), pausing
// first: values under a cursor must not slide away while they are read. The
// cursor lands on the chart's grid (origin + k*|step|) when origin is set,
// so that the time it shows is the time of the point read.
func (t *Timeline) MoveCursor(now time.Time, step time.Duration, origin time.Time) {
	if !t.Paused {
		t.Pause(now)
	}
	if t.Cursor.IsZero() {
		t.Cursor = t.At
	}
	t.Cursor = t.Cursor.Add(step)
	if abs := max(step, -step); !origin.IsZero() && abs > 0 {
		k := (t.Cursor.Sub(origin) + abs/2) / abs
		t.Cursor = origin.Add(k * abs)
	}
	t.clampCursor()
	t.Version++
}

func (t *Timeline) clampCursor() {
	if t.Cursor.IsZero() {
		return
	}
	if start := t.At.Add(-t.Window); t.Cursor.Before(start) {
		t.Cursor = start
	}
	if t.Cursor.After(t.At) {
		t.Cursor = t.At
	}
}
