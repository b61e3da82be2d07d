package dbpane

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/frame"
	"github.com/opsdeck/opsdeck/ui/pane"
	"github.com/opsdeck/opsdeck/ui/theme"
)

type sortKey int

const (
	sortXact sortKey = iota
	sortQuery
	sortPID
	sortUser
	sortState
	sortApp
	sortCount
)

var sortNames = [...]string{"transaction age", "query age", "pid", "user", "state", "application"}

// sessionView is the drill-down's state: what to show of the session list.
type sessionView struct {
	filter    string
	filtering bool
	sortBy    sortKey
	desc      bool
	cursor    int
}

// visible filters and sorts sessions.
func (v *sessionView) visible(all []sources.DBSession) []sources.DBSession {
	f := strings.ToLower(v.filter)
	out := make([]sources.DBSession, 0, len(all))
	for _, s := range all {
		if f == "" || strings.Contains(strings.ToLower(strings.Join([]string{strconv.Itoa(s.PID), s.User, s.Database,
			s.Application, s.Client, s.State, s.WaitEvent, s.Query}, "\x00")), f) {
			out = append(out, s)
		}
	}
	cmp := func(a, b sources.DBSession) int {
		switch v.sortBy {
		case sortXact:
			return cmp.Compare(a.XactAge, b.XactAge)
		case sortQuery:
			return cmp.Compare(a.QueryAge, b.QueryAge)
		case sortUser:
			return strings.Compare(a.User, b.User)
		case sortState:
			return strings.Compare(a.State, b.State)
		case sortApp:
			return strings.Compare(a.Application, b.Application)
		}
		return a.PID - b.PID
	}
	slices.SortStableFunc(out, func(a, b sources.DBSession) int {
		c := cmp(a, b)
		if c == 0 {
			c = a.PID - b.PID
			if v.desc {
				c = -c
			}
		}
		if v.desc {
			return -c
		}
		return c
	})
	return out
}

// render draws the list in h lines: a status line, a header, rows, the keys.
func (v *sessionView) render(st *theme.Styles, all []sources.DBSession, w, h int, keys Keys) []string {
	if h < 3 {
		return nil
	}
	rows := v.visible(all)
	dir := "↑"
	if v.desc {
		dir = "↓"
	}
	status := fmt.Sprintf("sessions %d of %d · sort %s %s", len(rows), len(all), sortNames[v.sortBy], dir)
	if v.filter != "" || v.filtering {
		status += " · filter: " + v.filter
		if v.filtering {
			status += "▏"
		}
	}
	out := []string{st.Faint.Render(strings.Repeat("─", w)), st.Accent.Render(frame.Fit(status, w))}
	out = append(out, st.Muted.Render(frame.Fit(fmt.Sprintf("%7s %-10s %-14s %-19s %-20s %7s %7s  %s", "PID", "USER", "APPLICATION", "STATE", "WAIT", "XACT", "QUERY", "QUERY TEXT"), w)))
	n := h - len(out) - 1
	if v.cursor > len(rows)-1 {
		v.cursor = max(len(rows)-1, 0)
	}
	start := 0
	if v.cursor >= n && n > 0 {
		start = v.cursor - n + 1
	}
	for i := start; i < len(rows) && i < start+n; i++ {
		s := rows[i]
		line := fmt.Sprintf("%7d %-10s %-14s %-19s %-20s %7s %7s  %s", s.PID, cut(s.User, 10), cut(s.Application, 14), cut(s.State, 19),
			cut(s.WaitEvent, 20), age(s.XactAge), age(s.QueryAge), frame.OneLine(s.Query))
		p := st.Text
		switch {
		case len(s.BlockedBy) > 0 || s.WaitEvent != "" && strings.HasPrefix(s.WaitEvent, "Lock:"):
			p = st.Crit
		case strings.HasPrefix(s.State, "idle in transaction"):
			p = st.Warn
		case s.State == "idle":
			p = st.Muted
		}
		line = frame.Fit(line, w)
		if i == v.cursor {
			p = st.Selected
		}
		out = append(out, p.Render(line))
	}
	for len(out) < h-1 {
		out = append(out, "")
	}
	hint := pane.HelpLine(keys.Filter, keys.Sort, keys.Reverse, keys.Up, keys.Down) + " · esc back"
	if v.filtering {
		hint = "type to filter · enter keep · esc clear"
	}
	return append(out, st.Muted.Render(frame.Fit(hint, w)))
}

func age(s float64) string {
	if s <= 0 {
		return ""
	}
	return units.Span(seconds(s))
}

func cut(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
