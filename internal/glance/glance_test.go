package glance

import (
	"testing"

	"github.com/opsdeck/opsdeck/internal/snapshot"
	"github.com/opsdeck/opsdeck/sources"
)

// TestLevel: a row is as bad as the worst of its signals and of its parts'
// cells as read; an unreadable signal only warns.
func TestLevel(t *testing.T) {
	ok := snapshot.Cell{Text: "fine", Status: sources.StatusOK}
	for _, c := range []struct {
		name string
		row  Row
		want sources.Status
	}{
		{"healthy", Row{Signals: []Signal{{Status: sources.StatusOK}}, Parts: []Part{NewPart("postgres", true, "", ok)}}, sources.StatusOK},
		{"a critical signal", Row{Signals: []Signal{{Status: sources.StatusCrit}}}, sources.StatusCrit},
		{"a signal that cannot be read", Row{Signals: []Signal{{Status: sources.StatusError, Err: "down"}}}, sources.StatusWarn},
		{"a part's worst cell", Row{Parts: []Part{NewPart("celery", true, "", ok, snapshot.Cell{Text: "1 gone", Status: sources.StatusCrit})}}, sources.StatusCrit},
		{"a muted cell", Row{Parts: []Part{NewPart("celery", false, "", snapshot.Cell{Text: "Celery –"})}}, sources.StatusOK},
	} {
		if got := c.row.Level(); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}
