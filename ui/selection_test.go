package ui

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/ui/actionpane"
)

// TestRunbookCommandReadsTheSelection: a command using $PID is disabled
// on the main screen, saying what selects a session (footer and help);
// zoomed on the Postgres pane it is planned on the session under the
// cursor at the press, with the environment and the chart window.
func TestRunbookCommandReadsTheSelection(t *testing.T) {
	h := newHarness(t, healthy(), nil, false)
	var got []map[string]string
	h.m.deps.Actions = func(string) []actionpane.Action {
		return []actionpane.Action{{Name: "inspect", Key: "i", Guard: actionpane.Confirm, Vars: []string{"PID", "ENV", "START", "END"},
			With: func(values map[string]string) func(context.Context) (actionpane.Preview, error) {
				got = append(got, values)
				return func(context.Context) (actionpane.Preview, error) {
					return actionpane.Preview{Head: []string{"inspect pid " + values["PID"]}}, nil
				}
			}}}
	}
	h.m.openEnv("qa")
	h.size(160, 48)
	h.advance(0)
	h.key("i")
	if s := h.screen(); len(got) != 0 || !strings.Contains(s, "inspect: $PID needs a Postgres session") {
		t.Fatalf("pressed with no session:\n%s", s)
	}
	h.size(200, 90) // room for the help's reasons
	h.key("?")
	if s := h.screen(); !strings.Contains(s, "i  inspect: $PID needs a Postgres session") {
		t.Errorf("the help does not say why:\n%s", s)
	}
	h.key("esc")
	h.size(160, 48)
	for !h.m.focused(h.m.dbPane) {
		h.key("tab")
	}
	h.key("enter")
	h.advance(h.m.deps.Refresh)
	sel, ok := h.m.dbPane.Selected()
	if !ok {
		t.Fatal("no session selected in the drill-down")
	}
	h.key("i")
	if len(got) != 1 || got[0]["PID"] != strconv.Itoa(sel.PID) || got[0]["ENV"] != "qa" {
		t.Fatalf("planned on %v, want pid %d in qa", got, sel.PID)
	}
	end := h.m.deps.Now().UTC().Truncate(time.Second)
	if got[0]["END"] != end.Format(time.RFC3339) || got[0]["START"] != end.Add(-h.m.timeline.Window).Format(time.RFC3339) {
		t.Errorf("window %s..%s, want ..%s", got[0]["START"], got[0]["END"], end.Format(time.RFC3339))
	}
	if s := h.screen(); !strings.Contains(s, "inspect pid "+strconv.Itoa(sel.PID)) {
		t.Errorf("the question:\n%s", s)
	}
}
