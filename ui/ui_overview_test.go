package ui

import (
	"strings"
	"testing"
	"time"
)

// TestOverviewKeys: o shows every environment and the console's panes stop
// reading; enter opens the selected one's console; esc there goes back to
// the overview, and esc on the overview back to the console.
func TestOverviewKeys(t *testing.T) {
	src := healthy()
	h := newHarness(t, src, []EnvChoice{{Name: "qa"}, {Name: "production", Protected: true}}, false)
	h.size(160, 48)
	h.key("o")
	if s := h.screen(); !h.overviewOpen() || !strings.Contains(s, "Every environment · 2") || !strings.Contains(s, "qa") || !strings.Contains(s, "PROTECTED") {
		t.Fatalf("o:\n%s", s)
	}
	reads := metricReads(src)
	h.advance(11 * time.Second) // the overview reads every 10 s by default
	if got := metricReads(src); got == reads {
		t.Error("the overview read nothing")
	}
	h.key("down")
	h.key("enter")
	if h.overviewOpen() || h.m.Environment().Name != "production" {
		t.Fatalf("enter: overview %v, environment %s", h.overviewOpen(), h.m.Environment().Name)
	}
	h.key("esc")
	if !h.overviewOpen() {
		t.Fatal("esc in a console opened from the overview did not go back to it")
	}
	h.key("esc")
	if h.overviewOpen() || h.m.Environment().Name != "production" {
		t.Fatal("esc on the overview did not go back to the console")
	}
	h.key("esc")
	if h.overviewOpen() {
		t.Error("esc in a console not opened from the overview opened it")
	}
}
