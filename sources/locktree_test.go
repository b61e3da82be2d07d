package sources

import "testing"

func TestLockTree(t *testing.T) {
	a := DBSession{PID: 1, XactAge: 300}
	b := DBSession{PID: 2, BlockedBy: []int{1}, QueryAge: 20}
	c := DBSession{PID: 3, BlockedBy: []int{2}, QueryAge: 10}
	d := DBSession{PID: 4, BlockedBy: []int{2, 1}, QueryAge: 15}
	e := DBSession{PID: 5, XactAge: 900}
	f := DBSession{PID: 6, BlockedBy: []int{5}}
	g := DBSession{PID: 7, BlockedBy: []int{99}} // its blocker not read
	roots := LockTree([]DBSession{b, c, d, f, g}, []DBSession{a, e})
	if len(roots) != 3 || roots[0].Session.PID != 1 || roots[0].Holds != 3 || roots[1].Session.PID != 5 || roots[1].Holds != 1 || roots[2].Session.PID != 7 {
		t.Fatalf("roots: %+v", roots)
	}
	two := roots[0].Waiting[0]
	if two.Session.PID != 2 || two.Holds != 2 || len(two.Waiting) != 2 || two.Waiting[0].Session.PID != 4 || two.Waiting[1].Session.PID != 3 {
		t.Errorf("pid 2's waiters, the longest waiting first: %+v", two)
	}
	// A deadlock not yet broken: each waits for the other; no loop.
	x := DBSession{PID: 10, BlockedBy: []int{11}}
	y := DBSession{PID: 11, BlockedBy: []int{10}}
	roots = LockTree([]DBSession{x, y}, nil)
	if len(roots) != 1 || roots[0].Holds != 1 {
		t.Errorf("a cycle: %+v", roots)
	}
}
