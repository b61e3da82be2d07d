package dbpane

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/textinput"

	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/frame"
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
// The filter is typed in a text input (pastes, wide characters, editing).
type sessionView struct {
	input  textinput.Model
	sortBy sortKey
	desc   bool
	cursor int
}

func newSessionView() sessionView {
	in := textinput.New()
	in.Prompt = ""
	st := in.Styles()
	st.Cursor.Blink = false // a blinking cursor would redraw the console twice a second
	in.SetStyles(st)
	return sessionView{input: in, sortBy: sortXact, desc: true}
}

// visible filters and sorts sessions.
func (v *sessionView) visible(all []sources.DBSession) []sources.DBSession {
	f := strings.ToLower(v.input.Value())
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

// columns of the session list: a header and a width in cells (0: the rest).
var columns = [...]struct {
	head  string
	width int
	right bool
}{{"PID", 7, true}, {"USER", 10, false}, {"APPLICATION", 14, false}, {"STATE", 19, false}, {"WAIT", 20, false},
	{"XACT", 7, true}, {"QUERY", 7, true}, {"QUERY TEXT", 0, false}}

// sessionFields is one session as the list shows it, a field per column.
func sessionFields(s sources.DBSession) []string {
	return []string{strconv.Itoa(s.PID), s.User, s.Application, s.State, s.WaitEvent, age(s.XactAge), age(s.QueryAge), frame.OneLine(s.Query)}
}

// level is what a session's line says by its colour.
type level int

const (
	working level = iota
	idle
	idleInTx
	blocked
)

// sessionLevel judges a session: blocked or waiting on a lock, idle in a
// transaction, idle, or working.
func sessionLevel(s sources.DBSession) level {
	switch {
	case len(s.BlockedBy) > 0 || strings.HasPrefix(s.WaitEvent, "Lock:"):
		return blocked
	case strings.HasPrefix(s.State, "idle in transaction"):
		return idleInTx
	case s.State == "idle":
		return idle
	}
	return working
}

// paintOf is the colour of a level, chosen apart from the judging.
func paintOf(st *theme.Styles, l level) theme.Paint {
	switch l {
	case blocked:
		return st.Crit
	case idleInTx:
		return st.Warn
	case idle:
		return st.Muted
	}
	return st.Text
}

// row lays fields out in the columns, measured in cells (wide characters
// take two), in w cells.
func row(fields []string, w int) string {
	var b strings.Builder
	for i, c := range columns {
		if i > 0 {
			b.WriteString(" ")
		}
		if i == len(columns)-1 {
			b.WriteString(" " + fields[i])
			break
		}
		f := frame.Fit(fields[i], c.width)
		if c.right {
			f = frame.FitRight(fields[i], c.width)
		}
		b.WriteString(f)
	}
	return frame.Fit(b.String(), w)
}

// render draws the list in h lines: a status line, a header, rows, the keys.
func (v *sessionView) render(st *theme.Styles, all []sources.DBSession, w, h int, hints Hints) []string {
	if h < 3 {
		return nil
	}
	rows := v.visible(all)
	dir := "↑"
	if v.desc {
		dir = "↓"
	}
	status := fmt.Sprintf("sessions %d of %d · sort %s %s", len(rows), len(all), sortNames[v.sortBy], dir)
	if v.input.Value() != "" || v.input.Focused() {
		status += " · filter: "
		if v.input.Focused() {
			status += v.input.View()
		} else {
			status += v.input.Value()
		}
	}
	out := []string{st.Faint.Render(strings.Repeat("─", w)), st.Accent.Render(frame.Fit(status, w))}
	heads := make([]string, len(columns))
	for i, c := range columns {
		heads[i] = c.head
	}
	out = append(out, st.Muted.Render(row(heads, w)))
	n := h - len(out) - 1
	if v.cursor > len(rows)-1 {
		v.cursor = max(len(rows)-1, 0)
	}
	start := 0
	if v.cursor >= n && n > 0 {
		start = v.cursor - n + 1
	}
	for i := start; i < len(rows) && i < start+n; i++ {
		p := paintOf(st, sessionLevel(rows[i]))
		if i == v.cursor {
			p = st.Selected
		}
		out = append(out, p.Render(row(sessionFields(rows[i]), w)))
	}
	for len(out) < h-1 {
		out = append(out, "")
	}
	hint := hints.Browse
	if v.input.Focused() {
		hint = hints.Typing
	}
	return append(out, st.Muted.Render(frame.Fit(hint, w)))
}

func age(s float64) string {
	if s <= 0 {
		return ""
	}
	return units.Span(units.FromSeconds(s))
}
