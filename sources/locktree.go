package sources

import (
	"cmp"
	"slices"
)

// LockNode is one session of a lock tree: the sessions waiting on it
// below it.
type LockNode struct {
	Session DBSession
	Waiting []*LockNode
	// Holds counts the sessions it holds up, directly or not.
	Holds int
}

// LockTree arranges the blocked sessions under the sessions they wait for:
// each root a session that waits for nothing (from blockers), or a blocked
// one whose blocker is not known; a session blocked by several hangs under
// the first one known. Roots come sorted by how many sessions they hold up,
// the most first, then by how long their transaction has been open.
func LockTree(blocked, blockers []DBSession) []*LockNode {
	nodes := map[int]*LockNode{}
	for _, s := range blockers {
		nodes[s.PID] = &LockNode{Session: s}
	}
	for _, s := range blocked {
		nodes[s.PID] = &LockNode{Session: s}
	}
	var roots []*LockNode
	parentOf := map[int]int{}
	for _, s := range blocked {
		n := nodes[s.PID]
		placed := false
		for _, by := range s.BlockedBy {
			// A wait on itself or a cycle (a deadlock Postgres has not yet
			// broken) must not make a loop of the tree.
			if p, ok := nodes[by]; ok && by != s.PID && !ancestor(parentOf, by, s.PID) {
				p.Waiting = append(p.Waiting, n)
				parentOf[s.PID] = by
				placed = true
				break
			}
		}
		if !placed {
			roots = append(roots, n)
		}
	}
	for _, s := range blockers {
		roots = append(roots, nodes[s.PID])
	}
	for _, r := range roots {
		count(r)
	}
	slices.SortStableFunc(roots, func(a, b *LockNode) int {
		return cmp.Or(cmp.Compare(b.Holds, a.Holds), cmp.Compare(b.Session.XactAge, a.Session.XactAge), cmp.Compare(a.Session.PID, b.Session.PID))
	})
	return roots
}

// ancestor reports whether pid is below of in the tree built so far (so
// that hanging of under pid would close a loop).
func ancestor(parentOf map[int]int, of, pid int) bool {
	for p, ok := parentOf[of]; ok; p, ok = parentOf[p] {
		if p == pid {
			return true
		}
	}
	return false
}

// count sets the sessions each node holds up and sorts its waiters, the
// longest waiting first.
func count(n *LockNode) int {
	n.Holds = 0
	for _, w := range n.Waiting {
		n.Holds += 1 + count(w)
	}
	slices.SortStableFunc(n.Waiting, func(a, b *LockNode) int {
		return cmp.Or(cmp.Compare(b.Session.QueryAge, a.Session.QueryAge), cmp.Compare(a.Session.PID, b.Session.PID))
	})
	return n.Holds
}
