package ui

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/opsdeck/opsdeck/ui/actionpane"
)

// TestCancelFromTheSessionList: c on the selected session asks (y/N,
// naming it) and then cancels exactly that pid; K terminates; without the
// drill-down the key is not the Postgres pane's.
func TestCancelFromTheSessionList(t *testing.T) {
	h := newHarness(t, healthy(), nil, false)
	type call struct {
		env       string
		pid       int
		terminate bool
	}
	var ran []call
	h.m.deps.Signal = func(env string, pid int, terminate bool) actionpane.Action {
		return actionpane.Action{Name: "cancel", Guard: actionpane.Confirm, Preview: func(context.Context) (actionpane.Preview, error) {
			return actionpane.Preview{Head: []string{fmt.Sprintf("Cancel the query of pid %d in %s", pid, env)},
				Run: func(context.Context, string) (<-chan actionpane.Line, func(), error) {
					ran = append(ran, call{env, pid, terminate})
					ch := make(chan actionpane.Line, 1)
					ch <- actionpane.Line{Done: true}
					close(ch)
					return ch, func() {}, nil
				}}, nil
		}}
	}
	h.size(160, 48)
	h.key("c") // the main screen: c is the drill-down's
	if h.m.act.Active() || len(ran) != 0 {
		t.Fatal("c acted outside the Postgres drill-down")
	}
	for !h.m.focused(h.m.dbPane) {
		h.key("tab")
	}
	h.key("enter")
	h.advance(h.m.deps.Refresh)
	sel, ok := h.m.dbPane.Selected()
	if !ok {
		t.Fatal("no session selected in the drill-down")
	}
	h.key("c")
	if s := h.screen(); !strings.Contains(s, fmt.Sprintf("Cancel the query of pid %d in qa", sel.PID)) || !strings.Contains(s, "[y/N]") {
		t.Fatalf("the question:\n%s", s)
	}
	h.key("y")
	if len(ran) != 1 || ran[0] != (call{"qa", sel.PID, false}) {
		t.Fatalf("ran %+v, want pid %d cancelled", ran, sel.PID)
	}
	h.key("esc")
	h.key("down")
	next, _ := h.m.dbPane.Selected()
	h.key("K")
	h.key("y")
	if len(ran) != 2 || ran[1] != (call{"qa", next.PID, true}) || next.PID == sel.PID {
		t.Fatalf("ran %+v, want pid %d terminated", ran, next.PID)
	}
}
