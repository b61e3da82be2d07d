package ui

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/opsdeck/opsdeck/sources"
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
	h.m.deps.Signal = fakeSignal(func(env string, pid int, terminate bool) { ran = append(ran, call{env, pid, terminate}) })
	h.size(160, 48)
	h.key("c") // the main screen: c is the drill-down's
	if h.m.action.Active() || len(ran) != 0 {
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

// TestCancelFromTheLockTree: v turns the drill-down to the lock tree, whose
// selected line is the session c cancels: the root blocker first. Then the
// statements view, read only while it is open, where c has no session.
func TestCancelFromTheLockTree(t *testing.T) {
	h := newHarness(t, healthy(), nil, false)
	st := sampleDB()
	iit := st.Sessions[1] // 4100, idle in transaction, blocks 4301
	st.Blockers = []sources.DBSession{iit}
	st.Statements = &sources.DBStatements{Seconds: 2, Entries: 31, Top: []sources.DBStatement{
		{QueryID: 7, User: "origin", Query: "UPDATE conversations SET title = $1 WHERE id = $2", Calls: 84, TotalMS: 1512, Rows: 84,
			CallsPerSec: 42, LoadMSPerSec: 756, MeanMS: 18, RowsPerCall: 1}}}
	h.db.st = st
	var ran []int
	h.m.deps.Signal = fakeSignal(func(_ string, pid int, _ bool) { ran = append(ran, pid) })
	h.size(160, 48)
	for !h.m.focused(h.m.dbPane) {
		h.key("tab")
	}
	h.key("enter")
	h.advance(h.m.deps.Refresh)
	h.key("v")
	if h.m.dbPane.ListName() != "lock tree" {
		t.Fatalf("v gave %q", h.m.dbPane.ListName())
	}
	s := h.screen()
	if !strings.Contains(s, "lock tree · 2 session(s)") || !strings.Contains(s, "⚠ pid 4100 holds up 1") || !strings.Contains(s, "└ pid 4301 waits") {
		t.Fatalf("the lock tree as a list:\n%s", s)
	}
	if sel, ok := h.m.dbPane.Selected(); !ok || sel.PID != 4100 {
		t.Fatalf("selected %+v, want the root blocker 4100", sel)
	}
	h.key("c")
	h.key("y")
	h.key("esc")
	h.key("down")
	h.key("c")
	h.key("y")
	if len(ran) != 2 || ran[0] != 4100 || ran[1] != 4301 {
		t.Fatalf("cancelled %v, want the root then its waiter", ran)
	}
	h.key("esc")
	h.key("v")
	h.advance(h.m.deps.Refresh)
	if last := h.db.reqs[len(h.db.reqs)-1]; !last.Statements || !last.Sessions {
		t.Fatalf("the statements view must ask for statements: %+v", last)
	}
	s = h.screen()
	if !strings.Contains(s, "statements over the last 2.00 s") || !strings.Contains(s, "UPDATE conversations SET title = $1") || !strings.Contains(s, "42") {
		t.Fatalf("statements view:\n%s", s)
	}
	if _, ok := h.m.dbPane.Selected(); ok {
		t.Error("a statement is not a session to cancel")
	}
	h.key("v") // back to sessions: statements no longer read
	h.advance(h.m.deps.Refresh)
	if last := h.db.reqs[len(h.db.reqs)-1]; last.Statements {
		t.Error("statements read with their view closed")
	}
}

// fakeSignal stands for Deps.Signal: a y/N question naming the pid, and a
// run that records what it was asked to do.
func fakeSignal(record func(env string, pid int, terminate bool)) func(string, int, bool, []int) actionpane.Action {
	return func(env string, pid int, terminate bool, _ []int) actionpane.Action {
		return actionpane.Action{Name: "cancel", Guard: actionpane.Confirm, Preview: func(context.Context) (actionpane.Preview, error) {
			return actionpane.Preview{Head: []string{fmt.Sprintf("Cancel the query of pid %d in %s", pid, env)},
				Run: func(context.Context, actionpane.Consent) (<-chan actionpane.Line, func(), error) {
					record(env, pid, terminate)
					ch := make(chan actionpane.Line, 1)
					ch <- actionpane.Line{Done: true}
					close(ch)
					return ch, func() {}, nil
				}}, nil
		}}
	}
}
