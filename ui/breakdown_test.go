package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// TestBreakdownOverlay: b splits the focused metric pane; on another pane
// it says why not; an answer that comes after the overlay closed is
// dropped; the overlay is drawn inside the screen.
func TestBreakdownOverlay(t *testing.T) {
	h := newHarness(t, healthy(), nil, false)
	h.size(160, 48)
	h.key("tab") // the error rate
	h.key("b")
	s := h.screen()
	for _, want := range []string{"Error rate (5xx) by handler", "split by handler · sorted by current value", "labels: handler, instance",
		"/api/chat", "query: sum by (handler) (", "tab split by the next label"} {
		if !strings.Contains(s, want) {
			t.Errorf("%q missing:\n%s", want, s)
		}
	}
	checkGeometry(t, s, 160, 48)
	h.key("esc")
	// An answer asked for, then the overlay closed before it came.
	_, pending := h.m.Update(tea.KeyPressMsg{Code: 'b', Text: "b"})
	h.key("esc")
	h.run(pending)
	if h.breakdownOpen() || strings.Contains(h.screen(), "by handler") {
		t.Error("a closed breakdown came back")
	}
	// enter focuses every metric pane on the row under the cursor.
	h.key("b")
	h.key("down")
	h.key("enter")
	s = h.screen()
	if h.breakdownOpen() || !strings.Contains(s, `◎ handler="/api/messages" (esc clears)`) {
		t.Fatalf("focus:\n%s", s)
	}
	for _, p := range h.m.charts {
		if !strings.Contains(p.Spec().Query, `handler="/api/messages"`) {
			t.Errorf("%s is not focused: %s", p.Spec().Title, p.Spec().Query)
		}
	}
	h.key("esc")
	if strings.Contains(h.screen(), "◎") || strings.Contains(h.m.charts[0].Spec().Query, "handler=") {
		t.Error("esc did not clear the focus")
	}
	for !h.m.focused(h.m.dbPane) {
		h.key("tab")
	}
	h.key("b")
	if h.breakdownOpen() || !strings.Contains(h.screen(), "b: focus a metric pane to split it by a label") {
		t.Errorf("b on the Postgres pane:\n%s", h.screen())
	}
}

// directFake is a metrics source in direct /metrics mode (UI test only).
type directFake struct{ *fakeMetrics }

func (directFake) Scrape(context.Context) error { return nil }

// TestDirectModeBreakdownWithoutFocus: direct /metrics mode splits, but a
// focus (which narrows a query) says it needs Prometheus and keeps the
// breakdown open.
func TestDirectModeBreakdownWithoutFocus(t *testing.T) {
	h := newHarness(t, healthy(), nil, false)
	h.m.env.Metrics.Source = directFake{h.m.env.Metrics.Source.(*fakeMetrics)}
	h.m.buildPanes()
	h.size(160, 48)
	h.key("b")
	if s := h.screen(); !strings.Contains(s, "Requests/s by handler") {
		t.Fatalf("no breakdown in direct mode:\n%s", s)
	}
	h.key("enter")
	if s := h.screen(); !h.breakdownOpen() || !strings.Contains(s, "a focus needs Prometheus") || strings.Contains(s, "◎") {
		t.Errorf("enter in direct mode must say why it does not focus:\n%s", s)
	}
}

// TestFocusCostsNoExtraQuery: focused, each pane still reads once a
// refresh (the focused query instead of the plain one).
func TestFocusCostsNoExtraQuery(t *testing.T) {
	src := healthy()
	h := newHarness(t, src, nil, false)
	h.size(160, 48)
	perRefresh := func() int {
		h.advance(2 * time.Second) // settle onto the refresh schedule
		before := metricReads(src)
		h.advance(2 * time.Second)
		return metricReads(src) - before
	}
	plain := perRefresh()
	h.key("b")
	h.key("enter")
	if !strings.Contains(h.screen(), "◎ handler=") {
		t.Fatal("no focus")
	}
	if focused := perRefresh(); focused != plain || plain != 4 {
		t.Errorf("reads a refresh: %d plain, %d focused; want 4 and 4", plain, focused)
	}
}
