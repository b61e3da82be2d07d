package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/sources"
)

func earlierReads(f *fakeMetrics) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.earlierReads
}

// TestGhostLineCycles: the compare key draws the same window a day
// earlier, then a week earlier, then none; each pane's value line says
// the change, or in words that there is no history; the ghost costs one
// read per pane every 30 s, shifted along as the window moves between.
func TestGhostLineCycles(t *testing.T) {
	src := healthy()
	src.earlier = map[time.Duration]float64{24 * time.Hour: 0.5}
	h := newHarness(t, src, nil, false)
	h.size(160, 48)
	if s := h.screen(); strings.Contains(s, "vs 1d") || earlierReads(src) != 0 {
		t.Fatalf("a ghost line before the key (%d reads):\n%s", earlierReads(src), s)
	}
	h.key("g")
	s := h.screen()
	if !strings.Contains(s, "vs 1d ·") {
		t.Errorf("the header does not say what the charts are compared with:\n%s", s)
	}
	// Every value is twice its ghost: +100 %.
	if n := strings.Count(s, "+100 % vs 1d"); n != 4 {
		t.Errorf("%d panes say +100 %% vs 1d, want 4:\n%s", n, s)
	}
	if n := earlierReads(src); n != 4 {
		t.Errorf("%d ghost reads for 4 panes", n)
	}
	// Refreshes inside one chart step read the values alone.
	// Start just after a chart step.
	for w := lastWindow(src); lastWindow(src).End.Equal(w.End); {
		h.advance(2 * time.Second)
	}
	w := lastWindow(src)
	before := earlierReads(src)
	refreshes := 0
	for ; h.now.Add(2 * time.Second).Before(w.End.Add(w.Step)); refreshes++ {
		h.advance(2 * time.Second)
	}
	if refreshes == 0 {
		t.Fatalf("no refresh inside the chart step %s", w.Step)
	}
	if n := earlierReads(src) - before; n != 0 {
		t.Errorf("%d ghost reads between chart steps, want none", n)
	}
	if s := h.screen(); strings.Count(s, "+100 % vs 1d") != 4 {
		t.Errorf("the ghost line was lost between chart steps:\n%s", s)
	}
	// The window moved: the ghost line is shifted along, not read, until
	// 30 s have passed; then it is read again, once per pane.
	h.advance(2 * time.Second)
	if n := earlierReads(src) - before; n != 0 {
		t.Errorf("%d ghost reads one step on, want none (shifted)", n)
	}
	if s := h.screen(); strings.Count(s, "+100 % vs 1d") != 4 {
		t.Errorf("the shifted ghost line lost its comparison:\n%s", s)
	}
	for range 15 {
		h.advance(2 * time.Second)
	}
	if n := earlierReads(src) - before; n != 4 {
		t.Errorf("%d ghost reads in 32 s, want one per pane", n)
	}

	h.key("g")
	s = h.screen()
	if !strings.Contains(s, "vs 7d ·") || strings.Count(s, "(no history 7d earlier)") != 4 {
		t.Errorf("a week earlier without history must say so in every pane:\n%s", s)
	}
	h.key("g")
	if s := h.screen(); strings.Contains(s, "vs 7d") || strings.Contains(s, "vs 1d") || strings.Contains(s, "history") {
		t.Errorf("the third press must turn the ghost line off:\n%s", s)
	}
}

// TestMarksOnEveryChart: what changed is marked on each chart's time axis,
// listed in the zoomed pane and named under the cursor; a migration the
// console sees (the revision moved between two polls) is marked within two
// refreshes.
func TestMarksOnEveryChart(t *testing.T) {
	src := healthy()
	src.marks = []sources.Mark{{At: t0.Add(-5 * time.Minute), Kind: sources.MarkDeploy, Text: "deploy version=1.4.2 on api-1:8000"}}
	h := newHarness(t, src, nil, false)
	h.size(160, 48)
	axes := 0
	for _, l := range strings.Split(h.screen(), "\n") {
		if strings.Contains(l, "└") && strings.Contains(l, "D") {
			axes++
		}
	}
	if axes != 2 { // two chart panes a row; each row's line holds both axes
		t.Errorf("%d screen lines hold a time axis with the deploy's sign, want 2:\n%s", axes, h.screen())
	}
	h.key("z")
	if s := h.screen(); !strings.Contains(s, "what changed (1):") || !strings.Contains(s, "D 14:25:00 deploy version=1.4.2 on api-1:8000") {
		t.Errorf("the zoomed chart does not list the deploy:\n%s", s)
	}
	h.key("esc")

	h.mig.mu.Lock()
	h.mig.st.Current = []string{"5a0f3b8e2c61"}
	h.mig.mu.Unlock()
	h.advance(2 * time.Second)
	h.advance(2 * time.Second)
	h.key("z")
	if s := h.screen(); !strings.Contains(s, "M 14:30:0") || !strings.Contains(s, "migration c7d0e5f19a24 → 5a0f3b8e2c61") {
		t.Errorf("the migration seen between two polls is not marked:\n%s", s)
	}
	h.key("esc")

	// The cursor on the deploy's instant names it.
	for range 200 {
		if strings.Contains(h.screen(), "▏14:25:00") {
			break
		}
		h.key("h")
	}
	if s := h.screen(); !strings.Contains(s, "▏14:25:00") || !strings.Contains(s, "D deploy version=1.4.2") {
		t.Errorf("the cursor at the deploy does not name it:\n%s", s)
	}
}
