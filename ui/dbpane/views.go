package dbpane

import (
	"fmt"
	"strings"

	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/frame"
	"github.com/opsdeck/opsdeck/ui/theme"
)

// view is what the zoomed pane lists below its findings.
type view int

const (
	viewSessions view = iota
	viewLocks
	viewStatements
	viewCount
)

var viewNames = [...]string{"sessions", "lock tree", "statements"}

// treeRow is one line of the lock tree as a list: the session and how it
// is drawn.
type treeRow struct {
	node   *sources.LockNode
	depth  int
	orphan bool // blocked by a session the poll did not read
}

// flatten lays the tree out in the order it is drawn.
func flatten(roots []*sources.LockNode) []treeRow {
	var out []treeRow
	var walk func(n *sources.LockNode, depth int)
	walk = func(n *sources.LockNode, depth int) {
		out = append(out, treeRow{node: n, depth: depth, orphan: depth == 0 && len(n.Session.BlockedBy) > 0})
		for _, c := range n.Waiting {
			walk(c, depth+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
	return out
}

// treeLine is one row of the lock tree, unpainted.
func treeLine(r treeRow) string {
	switch {
	case r.orphan:
		return "⚠ " + waitLine(r.node, true)
	case r.depth == 0:
		return "⚠ " + rootLine(r.node)
	}
	return strings.Repeat("  ", min(r.depth-1, 8)) + "└ " + waitLine(r.node, false)
}

// treePaint is a row's colour: roots critical, waiters warned.
func treePaint(st *theme.Styles, r treeRow) theme.Paint {
	if r.depth == 0 {
		return st.Crit
	}
	return st.Warn
}

// window is the first row to show so that cursor stays in n rows.
func window(cursor, n int) int {
	if cursor >= n && n > 0 {
		return cursor - n + 1
	}
	return 0
}

// renderTree draws the lock tree as a list with a cursor, in h lines.
func renderTree(st *theme.Styles, rows []treeRow, cursor, w, h int, hint string) []string {
	if h < 3 {
		return nil
	}
	out := []string{st.Faint.Render(strings.Repeat("─", w)),
		st.Accent.Render(frame.Fit(fmt.Sprintf("lock tree · %d session(s) · who holds up whom, the worst first", len(rows)), w))}
	if len(rows) == 0 {
		out = append(out, st.Muted.Render(frame.Fit("no session waits on a lock", w)))
	}
	n := h - len(out) - 1
	for i := window(cursor, n); i < len(rows) && len(out) < h-1; i++ {
		p := treePaint(st, rows[i])
		if i == cursor {
			p = st.Selected
		}
		out = append(out, p.Render(frame.Fit(treeLine(rows[i]), w)))
	}
	for len(out) < h-1 {
		out = append(out, "")
	}
	return append(out, st.Muted.Render(frame.Fit(hint, w)))
}

// statementColumns: a header, a width in cells, right-aligned.
var statementColumns = [...]struct {
	head  string
	width int
}{{"CALLS/S", 8}, {"MEAN", 8}, {"TIME/S", 8}, {"ROWS/CALL", 9}, {"USER", 10}}

// renderStatements draws the statements view in h lines: the busiest
// statements between the last two reads, or why there are none.
func renderStatements(st *theme.Styles, s *sources.DBStatements, cursor, w, h int, hint string) []string {
	if h < 3 {
		return nil
	}
	out := []string{st.Faint.Render(strings.Repeat("─", w))}
	switch {
	case s == nil || (s.Problem == "" && s.Seconds == 0):
		out = append(out, st.Accent.Render(frame.Fit("statements · reading pg_stat_statements (rates need two reads)…", w)))
	case s.Problem != "":
		out = append(out, st.Accent.Render(frame.Fit("statements", w)))
		for _, l := range frame.Wrap(s.Problem, w) {
			out = append(out, st.Warn.Render(frame.Fit(l, w)))
		}
	default:
		out = append(out, st.Accent.Render(frame.Fit(fmt.Sprintf("statements over the last %s · %d of %d entries called · by time spent",
			units.Format(s.Seconds, units.Seconds), len(s.Top), s.Entries), w)))
		var head strings.Builder
		for i, c := range statementColumns {
			if i == len(statementColumns)-1 {
				head.WriteString(frame.Fit(c.head, c.width) + " ")
			} else {
				head.WriteString(frame.FitRight(c.head, c.width) + " ")
			}
		}
		out = append(out, st.Muted.Render(frame.Fit(head.String()+" QUERY", w)))
		if len(s.Top) == 0 {
			out = append(out, st.Muted.Render(frame.Fit("no statement was called in the interval", w)))
		}
		n := h - len(out) - 1
		for i := window(cursor, n); i < len(s.Top) && len(out) < h-1; i++ {
			p := st.Text
			if i == cursor {
				p = st.Selected
			}
			out = append(out, p.Render(frame.Fit(statementRow(s.Top[i]), w)))
		}
	}
	for len(out) < h-1 {
		out = append(out, "")
	}
	return append(out[:min(len(out), h-1)], st.Muted.Render(frame.Fit(hint, w)))
}

// statementRow is one statement in the columns.
func statementRow(s sources.DBStatement) string {
	fields := []string{units.FormatShort(s.CallsPerSec, units.None), ms(s.MeanMS), ms(s.LoadMSPerSec),
		units.FormatShort(s.RowsPerCall, units.None), s.User}
	var b strings.Builder
	for i, c := range statementColumns {
		f := frame.FitRight(fields[i], c.width)
		if i == len(fields)-1 {
			f = frame.Fit(fields[i], c.width)
		}
		b.WriteString(f + " ")
	}
	return b.String() + " " + frame.OneLine(s.Query)
}

// ms is a duration given in milliseconds, in the console's units.
func ms(v float64) string { return units.Format(v/1000, units.Seconds) }
