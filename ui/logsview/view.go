package logsview

import (
	"fmt"

	"github.com/opsdeck/opsdeck/internal/safetext"

	"github.com/opsdeck/opsdeck/ui/frame"
	"github.com/opsdeck/opsdeck/ui/pane"
	"github.com/opsdeck/opsdeck/ui/theme"
)

// Column widths of the list: the time to the millisecond, the level.
const (
	timeW  = 12
	levelW = 5
)

// View draws the view: exactly h-2 lines of w-4 cells (the box and the
// title around it take the rest).
func (m *Model) View(st *theme.Styles) []string {
	iw, ih := max(m.w-4, 20), max(m.h-2, 4)
	now := m.ctx.Now()
	out := make([]string, 0, ih)
	add := func(p theme.Paint, s string) { out = append(out, p.Render(frame.Fit(s, iw))) }
	status := m.status(now)
	if m.st.inflight && m.st.reading {
		status += " · reading…"
	}
	add(st.Muted, status)
	switch {
	case m.input.Focused():
		add(st.Accent, "/ "+safetext.String(m.input.Value())+"█")
	case m.o.Stream != "" || m.Query() != "":
		add(st.Faint, "query: "+safetext.String(And(m.o.Stream, m.Query())))
	default:
		add(st.Faint, "query: every line")
	}
	if m.st.err != nil {
		for _, l := range frame.WrapN(m.errorLine(now), iw, 2) {
			add(st.Error, l)
		}
	}
	hints := m.o.Hints
	if id := m.TraceID(); id != "" && m.o.Source != nil {
		hints = "trace " + id + " · " + hints
	}
	room := ih - len(out) - 1
	switch {
	case m.expanded != nil:
		out = append(out, m.expandedRows(st, iw, room)...)
	case m.o.Source == nil:
		add(st.Muted, "no log backend")
	case !m.st.has && m.st.err == nil:
		add(st.Muted, pane.Connecting)
	case m.st.has && m.lines.len() == 0:
		add(st.Muted, "no lines match")
	default:
		out = append(out, m.rows(st, iw, room)...)
	}
	for len(out) < ih-1 {
		out = append(out, frame.Fit("", iw))
	}
	add(st.Muted, hints)
	return out[:ih]
}

// rows are the lines of the list that fit in room, the selected one among
// them; the newest last.
func (m *Model) rows(st *theme.Styles, iw, room int) []string {
	n := m.lines.len()
	room = max(room, 1)
	top := min(max(m.cursor-room+1, 0), max(n-room, 0))
	terms := Terms(m.jump.Filter + " " + m.filter)
	msgW := max(iw-timeW-levelW-2, 1)
	out := make([]string, 0, room)
	for i := top; i < min(top+room, n); i++ {
		e := m.lines.at(i)
		if e.gap {
			p := st.Warn
			if i == m.cursor {
				p = st.Selected
			}
			out = append(out, p.Render(frame.Fit(fmt.Sprintf("⋯ more lines came than one read takes (%d): some here were not read", Limit), iw)))
			continue
		}
		at, level, msg := RowFields(e)
		if i == m.cursor {
			out = append(out, st.Selected.Render(frame.Fit(at+" "+frame.Fit(level, levelW)+" "+msg, iw)))
			continue
		}
		body := st.Text
		if SeverityOf(e.line.Level) == Error {
			body = st.Error
		}
		out = append(out, st.Muted.Render(at)+" "+levelPaint(st, e.line.Level).Render(frame.Fit(level, levelW))+" "+
			Highlight(frame.Fit(msg, msgW), terms, body, st.Accent))
	}
	return out
}

// expandedRows are the open line's fields and message from the scroll
// position on, room of them; a last line says where the text continues.
func (m *Model) expandedRows(st *theme.Styles, iw, room int) []string {
	if m.laid.of != m.expanded || m.laid.w != iw {
		// Laid out once per line opened and width: a traceback of 64 KiB
		// is not wrapped again on every frame.
		m.laid.of, m.laid.w, m.laid.lines = m.expanded, iw, expandedLines(st, m.expanded, iw)
	}
	all := m.laid.lines
	room = max(room, 2)
	m.scroll = min(m.scroll, max(len(all)-room+1, 0))
	out := make([]string, 0, room)
	end := min(m.scroll+room, len(all))
	more := end < len(all)
	if more {
		end--
	}
	for _, l := range all[m.scroll:end] {
		out = append(out, l.p.Render(frame.Fit(l.s, iw)))
	}
	if more {
		out = append(out, st.Muted.Render(frame.Fit(fmt.Sprintf("↓ %d more lines (line %d–%d of %d)", len(all)-end, m.scroll+1, end, len(all)), iw)))
	}
	return out
}
