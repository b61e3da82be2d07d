package dbpane

import (
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/theme"
)

func f(v float64) *float64 { return &v }

// painted is text as paint p starts it (lines are padded inside the paint).
func painted(p theme.Paint, text string) string {
	r := p.Render("\x00")
	return r[:strings.IndexByte(r, 0)] + text
}

// TestThresholdsComeFromConfiguration: the connection share and the ages
// that colour the pane are the configured ones, not constants of the
// renderer.
func TestThresholdsComeFromConfiguration(t *testing.T) {
	st := theme.New(theme.Dark(), false)
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	tx := sources.DBSession{PID: 7, User: "u", State: "idle in transaction", XactAge: 45, QueryAge: 45, Query: "UPDATE t"}
	s := sources.DBState{Version: "15.4", Role: "primary", StartedAt: now.Add(-time.Hour), LongestTransaction: &tx, LongestQuery: &tx,
		Connections: sources.DBConnections{Total: 40, Max: 100}}
	defaults := sources.DBThresholds{Connections: sources.Thresholds{Warn: f(0.8), Crit: f(0.95)},
		TransactionAge: sources.Thresholds{Warn: f(60)}, QueryAge: sources.Thresholds{Warn: f(30)}}
	strict := sources.DBThresholds{Connections: sources.Thresholds{Warn: f(0.3), Crit: f(0.9)},
		TransactionAge: sources.Thresholds{Warn: f(10), Crit: f(40)}}
	calm := strings.Join(summaryLines(st, s, sources.LockTree(s.Blocked, s.Blockers), defaults, 100, 20, false, now), "\n")
	if !strings.Contains(calm, st.OK.Render("40/100 conn")) || !strings.Contains(calm, painted(st.Text, "45s longest query and tx")) {
		t.Fatalf("defaults:\n%q", calm)
	}
	hot := strings.Join(summaryLines(st, s, sources.LockTree(s.Blocked, s.Blockers), strict, 100, 20, false, now), "\n")
	if !strings.Contains(hot, st.Warn.Render("⚠ 40/100 conn")) || !strings.Contains(hot, painted(st.Crit, "⚠ 45s longest query and tx")) {
		t.Fatalf("strict:\n%q", hot)
	}
}
