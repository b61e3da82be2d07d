package ui

import (
	"strings"
	"testing"
)

// TestLogsLongFilterKeepsTheBoxAttack: a filter wider than the logs view
// (a tired engineer's `"database pool exhausted" OR "connection refused"
// OR …`, or a paste) is put whole in the view's title; the title is not
// cut to the box, so the box grows to the screen's width, every line of it
// is cut at the screen's edge with "…" and its right border is gone.
// Found at 160x48 and 80x24 against the sandbox: a 120-character filter
// at 80 columns, a 170-character one at 160.
func TestLogsLongFilterKeepsTheBoxAttack(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		h := newHarness(t, healthy(), nil, false)
		h.logs = &fakeLogs{lines: sampleLogs()}
		h.m.openEnv("qa")
		h.size(size[0], size[1])
		h.key("L")
		h.logsTop()
		filter := "trace_id:" + strings.Repeat("4bf92f3577b34da6", 11) // 185 characters
		h.key("/")
		for _, k := range filter {
			h.key(string(k))
		}
		h.key("enter")
		s := h.screen()
		checkGeometry(t, s, size[0], size[1])
		var title string
		for _, l := range strings.Split(s, "\n") {
			if strings.Contains(l, "Logs · ") {
				title = l
				break
			}
		}
		if title == "" {
			t.Fatalf("%dx%d: no title line:\n%s", size[0], size[1], s)
		}
		_, after, _ := strings.Cut(title, "Logs · ")
		if !strings.Contains(after, "│") {
			t.Errorf("%dx%d: the logs view's title runs over its box's right border:\n%s", size[0], size[1], s)
		}
	}
}
