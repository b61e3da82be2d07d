package snapshot

import (
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/sources"
)

// TestSLOFindings: check fails on a paging pair (fast burn), warns on a
// ticket pair (slow burn) and on an objective it cannot read, and finds
// nothing in a calm one; the overview's cell is the worst objective's.
func TestSLOFindings(t *testing.T) {
	month := 30 * 24 * time.Hour
	at := func(r5m, r30m, r1h, r2h, r6h, r1d, r3d, window float64) map[time.Duration]float64 {
		return map[time.Duration]float64{5 * time.Minute: r5m, 30 * time.Minute: r30m, time.Hour: r1h, 2 * time.Hour: r2h,
			6 * time.Hour: r6h, 24 * time.Hour: r1d, 72 * time.Hour: r3d, month: window}
	}
	for _, c := range []struct {
		name   string
		ratios map[time.Duration]float64
		level  sources.Status
		text   string
	}{
		{"fast burn: 14.4x on 1h and 5m", at(0.1, 0.02, 0.08, 0.01, 0.01, 0.004, 0.002, 0.001), sources.StatusCrit, "burns its error budget fast"},
		{"6x on 6h and 30m pages too", at(0.01, 0.04, 0.01, 0.01, 0.035, 0.004, 0.002, 0.001), sources.StatusCrit, "6× 6h+30m"},
		{"slow burn: 3x on 1d and 2h", at(0.001, 0.001, 0.001, 0.02, 0.001, 0.016, 0.002, 0.001), sources.StatusWarn, "burns its error budget slowly"},
		{"calm", at(0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001), "", ""},
		{"budget spent, not burning now", at(0, 0, 0, 0, 0, 0, 0, 0.006), sources.StatusWarn, "budget spent"},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := ObjectiveOf(sources.SLO{Name: "api", Origin: "config", Objective: 0.995, Window: month, ErrorRatios: c.ratios})
			s := SLOs{configured: true, Objectives: []Objective{o}}
			f := s.Findings()
			switch {
			case c.level == "" && len(f) != 0:
				t.Errorf("findings %+v, want none", f)
			case c.level != "" && (len(f) != 1 || f[0].Level != c.level || !strings.Contains(f[0].Text, c.text)):
				t.Errorf("findings %+v, want one %s saying %q", f, c.level, c.text)
			}
			if cell := s.Cells()[0]; c.level != "" && cell.Status != c.level {
				t.Errorf("cell %+v, want %s", cell, c.level)
			}
		})
	}
	burning := ObjectiveOf(sources.SLO{Name: "origin-api/requests-availability", Objective: 0.995, Window: month,
		ErrorRatios: at(0.1, 0.02, 0.08, 0.01, 0.01, 0.004, 0.002, 0.001)})
	if cell := (SLOs{configured: true, Objectives: []Objective{burning}}).Cells()[0]; cell.Text != "SLO requests-availability 20.0×" {
		t.Errorf("cell %q: want the objective without its service, and its burn", cell.Text)
	}
	unread := SLOs{configured: true, Objectives: []Objective{ObjectiveOf(sources.SLO{Name: "api", Problem: "query rejected"})}}
	if f := unread.Findings(); len(f) != 1 || f[0].Level != sources.StatusWarn || !strings.Contains(f[0].Text, "query rejected") {
		t.Errorf("an unreadable objective: %+v", f)
	}
}
