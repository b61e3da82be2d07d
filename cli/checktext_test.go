package cli

import (
	"strings"
	"testing"
)

// TestCheckTextShowsThePreflightSummary: the summary is the first line of
// the preflight's part of the text, whether the gate passes or fails.
func TestCheckTextShowsThePreflightSummary(t *testing.T) {
	p := &checkPreflight{Summary: "preflight: no hazard in 1 statement(s)", Lines: []checkPreflightLine{
		{Severity: "note", Text: "preflight: no hazard in 1 statement(s)"}, {Severity: "note", Text: "r1: ALTER TABLE accounts ADD COLUMN note text"}}}
	for _, r := range []checkResult{
		{Environment: "qa", OK: true, Preflight: p},
		{Environment: "qa", Findings: []string{"the database is behind: 1 revision(s) pending (r1)"}, Preflight: p},
	} {
		text := r.text()
		head := strings.Index(text, "preflight: no hazard in 1 statement(s)")
		if head < 0 || !strings.Contains(text[head:], "r1: ALTER TABLE accounts ADD COLUMN note text") {
			t.Errorf("ok %v:\n%s", r.OK, text)
		}
	}
	// A verdict without lines (JSON written by hand) is not a crash.
	_ = checkResult{Environment: "qa", Preflight: &checkPreflight{Summary: "preflight: x"}}.text()
}
