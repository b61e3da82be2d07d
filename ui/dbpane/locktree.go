package dbpane

import (
	"fmt"
	"strings"

	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/frame"
	"github.com/opsdeck/opsdeck/ui/theme"
)

// rootLine is a root blocker in one line, what matters first (a narrow
// pane keeps the start): its pid, how many sessions it holds up, how long
// its transaction has been open, then who and what it runs.
func rootLine(n *sources.LockNode) string {
	s := n.Session
	return fmt.Sprintf("pid %d holds up %d · tx %s %s · %s: %s", s.PID, n.Holds, age(s.XactAge), s.State, who(s), frame.OneLine(s.Query))
}

// waitLine is a blocked session in one line: its pid, how long it has
// waited and for which lock (and, orphan, whom it waits for: a blocker the
// poll did not read), then who and what it runs.
func waitLine(n *sources.LockNode, orphan bool) string {
	return fmt.Sprintf("pid %d waits %s %s", n.Session.PID, age(n.Session.QueryAge), waitDetail(n, orphan))
}

// waitSummary is waitLine with the time waited first, for the summary: a
// cut line keeps it.
func waitSummary(n *sources.LockNode, orphan bool) string {
	return strings.TrimSpace(age(n.Session.QueryAge)+" waiting") + fmt.Sprintf(" · pid %d %s", n.Session.PID, waitDetail(n, orphan))
}

// waitDetail is what a blocked session waits for, and who and what it runs.
func waitDetail(n *sources.LockNode, orphan bool) string {
	s := n.Session
	lock := "a lock"
	if l := s.Lock; l != nil {
		lock = l.Mode
		if l.Type != "" && l.Type != "relation" { // a row's tuple, a transaction id, an advisory lock
			lock += " (" + l.Type + ")"
		}
		if l.Relation != "" {
			lock += " on " + l.Relation
		}
	}
	line := "for " + lock
	if orphan {
		line += ", blocked by " + pids(s.BlockedBy)
	}
	if n.Holds > 0 {
		line += fmt.Sprintf(", holds up %d", n.Holds)
	}
	return line + " · " + who(s) + ": " + frame.OneLine(s.Query)
}

// who is a session's application and user.
func who(s sources.DBSession) string {
	return strings.TrimSpace(frame.Or(s.Application, "?") + " " + s.User)
}

// LockTreeLines draws the lock tree, each waiting session under the one it
// waits for, in at most max lines of w cells; the roots come as LockTree
// sorted them (the one holding up most first).
func LockTreeLines(st *theme.Styles, roots []*sources.LockNode, w, max int) []string {
	rows := flatten(roots)
	var out []string
	for _, r := range rows[:min(len(rows), max)] {
		out = append(out, treePaint(st, r).Render(frame.Fit(treeLine(r), w)))
	}
	if len(rows) > len(out) && len(out) > 0 {
		out[len(out)-1] = st.Muted.Render(frame.Fit(fmt.Sprintf("… %d more in the lock tree", len(rows)-len(out)+1), w))
	}
	return out
}
