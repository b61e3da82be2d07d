package ui

import (
	"strings"
	"testing"

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
	if h.m.bd != nil || strings.Contains(h.screen(), "by handler") {
		t.Error("a closed breakdown came back")
	}
	// enter focuses every metric pane on the row under the cursor.
	h.key("b")
	h.key("down")
	h.key("enter")
	s = h.screen()
	if h.m.bd != nil || !strings.Contains(s, `◎ handler="/api/messages" (esc clears)`) {
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
	if h.m.bd != nil || !strings.Contains(h.screen(), "b: focus a metric pane to split it by a label") {
		t.Errorf("b on the Postgres pane:\n%s", h.screen())
	}
}
