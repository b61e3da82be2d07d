package theme

import (
	"testing"

	"github.com/opsdeck/opsdeck/sources"
)

// TestStatusPaints: a figure over a threshold takes the warning or critical
// paint; otherwise the calm paint it was given. Without colour, meaning is
// carried by bold and the words WARN/CRIT, never by colour alone.
func TestStatusPaints(t *testing.T) {
	s := New(Dark(), true)
	calm := s.Text
	for st, want := range map[sources.Status]Paint{sources.StatusWarn: s.Warn, sources.StatusCrit: s.Crit, sources.StatusOK: calm, sources.StatusNoData: calm} {
		if got := s.Status(st, calm); got != want {
			t.Errorf("Status(%s) = %+v, want %+v", st, got, want)
		}
	}
	if s.Crit.Render("x") == "x" || s.Warn.Render("x") == "x" {
		t.Errorf("without colour, critical and warning must still stand out (bold): %q %q", s.Crit.Render("x"), s.Warn.Render("x"))
	}
	if New(Dark(), false).Crit.Render("x") == New(Light(), false).Crit.Render("x") && New(Dark(), false).Text.Render("x") == New(Light(), false).Text.Render("x") {
		t.Error("the light palette paints like the dark one")
	}
}
