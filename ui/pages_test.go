package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/sources"
)

func readsOf(f *fakeMetrics, key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.readKeys[key]
}

// bigDashboard adds thirty imported panels in three rows to the console.
func bigDashboard(h *harness) {
	for i := range 30 {
		h.m.env.Signals = append(h.m.env.Signals, sources.SignalSpec{Key: fmt.Sprintf("grafana:%d", i+1), Title: fmt.Sprintf("Panel %d", i+1),
			Query: "up", Group: []string{"Traffic", "Database", "Workers"}[i/10]})
	}
	h.m.buildPanes()
}

// TestBigDashboardPages: a dashboard of thirty panels in three rows is laid
// out on pages: the golden signals alone on the first, each row on pages of
// its own, no pane smaller than its value and a chart; the page keys and
// tab move between them; panes on other pages do not poll.
func TestBigDashboardPages(t *testing.T) {
	for _, size := range [][2]int{{160, 48}, {80, 24}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			src := healthy()
			h := newHarness(t, src, nil, false)
			bigDashboard(h)
			h.size(size[0], size[1])
			s := h.screen()
			checkGeometry(t, s, size[0], size[1])
			pages := len(h.m.pages)
			if !strings.Contains(s, fmt.Sprintf("page 1/%d golden signals", pages)) || strings.Contains(s, "Panel 1 ") {
				t.Fatalf("the first page is the golden signals':\n%s", s)
			}
			for _, title := range []string{"Requests/s", "Error rate (5xx)", "P95 latency", "Memory (RSS)"} {
				if !strings.Contains(s, title) {
					t.Errorf("%s is not on the first page", title)
				}
			}
			if n := readsOf(src, "grafana:1"); n != 0 {
				t.Errorf("a pane on another page read %d times", n)
			}
			seen := map[string]bool{}
			for p := 1; p < pages; p++ {
				h.key("]")
				s := h.screen()
				checkGeometry(t, s, size[0], size[1])
				if !strings.Contains(s, fmt.Sprintf("page %d/%d", p+1, pages)) {
					t.Fatalf("page %d does not say so:\n%s", p+1, s)
				}
				for _, r := range h.m.rowsCache {
					for _, c := range r.cells {
						if c.pane < len(h.m.charts) && (r.h < minChartH || c.w < minChartW) {
							t.Errorf("page %d: a metric pane of %dx%d", p+1, c.w, r.h)
						}
						if c.pane < len(h.m.charts) {
							seen[h.m.charts[c.pane].Spec().Key] = true
						}
					}
				}
				if strings.Contains(s, "Requests/s") {
					t.Errorf("page %d shows a golden signal:\n%s", p+1, s)
				}
			}
			if len(seen) != 30 {
				t.Errorf("the pages showed %d of the 30 panels", len(seen))
			}
			// Off its page, a pane stops polling.
			before := readsOf(src, sources.RPS)
			for range 3 {
				h.advance(2 * time.Second)
			}
			if n := readsOf(src, sources.RPS) - before; n != 0 {
				t.Errorf("the Requests/s pane, on another page, read %d times", n)
			}
			h.key("]") // wraps to the first page, which reads at once
			if s := h.screen(); !strings.Contains(s, "page 1/") || readsOf(src, sources.RPS) == before {
				t.Errorf("back on the first page: %d reads\n%s", readsOf(src, sources.RPS)-before, s)
			}
			h.key("[")
			if s := h.screen(); !strings.Contains(s, fmt.Sprintf("page %d/%d", pages, pages)) {
				t.Errorf("[ from the first page must go to the last:\n%s", s)
			}
			// tab walks the panes; leaving the first page's last pane turns it.
			h.key("]")
			for range 4 {
				h.key("tab")
			}
			if s := h.screen(); !strings.Contains(s, fmt.Sprintf("page 2/%d Traffic", pages)) {
				t.Errorf("tab past the golden signals must show the next page:\n%s", s)
			}
		})
	}
}

// TestSmallDashboardOnePage: panels that fit stay on one page beside the
// golden signals, and the page keys say why they do nothing.
func TestSmallDashboardOnePage(t *testing.T) {
	h := newHarness(t, healthy(), nil, false)
	h.m.env.Signals = append(h.m.env.Signals, sources.SignalSpec{Key: "grafana:1", Title: "Panel 1", Query: "up", Group: "Traffic"},
		sources.SignalSpec{Key: "grafana:2", Title: "Panel 2", Query: "up", Group: "Traffic"})
	h.m.buildPanes()
	h.size(160, 48)
	if s := h.screen(); strings.Contains(s, "page 1/") || !strings.Contains(s, "Panel 2") || !strings.Contains(s, "Requests/s") {
		t.Errorf("six panes fit one page:\n%s", s)
	}
	h.key("]")
	if s := h.screen(); !strings.Contains(s, "every metric pane fits on one page") {
		t.Errorf("] on one page must say why it does nothing:\n%s", s)
	}
}

// TestHelpFitsEveryScreen: the help overlay always says how to close it,
// and shows every key it can: the reasons a key is off go first on a
// short screen.
func TestHelpFitsEveryScreen(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 36}, {160, 48}} {
		h := newHarness(t, healthy(), nil, false)
		h.size(size[0], size[1])
		h.key("?")
		s := h.screen()
		checkGeometry(t, s, size[0], size[1])
		if !strings.Contains(s, "any key closes this help") {
			t.Errorf("%dx%d: the help's last line is cut off:\n%s", size[0], size[1], s)
		}
		if size[1] >= 36 && (strings.Contains(s, "a taller terminal") || !strings.Contains(s, "ghost line")) {
			t.Errorf("%dx%d: keys left out:\n%s", size[0], size[1], s)
		}
	}
}
