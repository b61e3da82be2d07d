package ui

import (
	"strings"
	"testing"
)

// TestPaneTextsHoldTheLogsView: a fault test reads the logs view's text
// through PaneTexts, as it reads the trace list's.
func TestPaneTextsHoldTheLogsView(t *testing.T) {
	h := newHarness(t, healthy(), nil, false)
	h.logs = &fakeLogs{lines: sampleLogs()}
	h.m.openEnv("qa")
	h.size(160, 48)
	if _, open := h.m.PaneTexts()[LogsView]; open {
		t.Fatal("PaneTexts has a logs view before L")
	}
	h.key("L")
	if s := h.m.PaneTexts()[LogsView]; !strings.Contains(s, "cache hit chat:42") || !strings.Contains(s, "following") {
		t.Errorf("PaneTexts' logs view: %q", s)
	}
}
