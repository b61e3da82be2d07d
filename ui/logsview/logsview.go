package logsview

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/internal/safetext"
	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/pane"
	"github.com/opsdeck/opsdeck/ui/poll"
)

// The view's bounds. MaxLines lines are kept, and at most MaxBytes of their
// text (a backend sending lines of 64 KiB fills that with 128 of them):
// under a flood the oldest go first.
const (
	MaxLines = 2000
	MaxBytes = 8 << 20
	// Limit is how many lines one read asks for (the newest of them are
	// sent): the first read of a range, and each read while following.
	Limit = 1000
)

// Jump is what the view is opened on: a trace's lines, a moment's, a
// route's, a task's, or the stream's newest.
type Jump struct {
	// What names it in the title: "trace 4bf92f…", "14:03:10 ± 15s".
	What string
	// Filter narrows the lines, in the backend's query language ("" none).
	Filter string
	// Start and End bound the lines read; zero: the chart window up to now.
	Start, End time.Time
	// Follow reads the newest lines every refresh.
	Follow bool
}

// Options are what the view reads from.
type Options struct {
	Source sources.Logs
	// Stream is the environment's query for the application's lines
	// (logs.query): the backend narrows every read to it itself, and the
	// view shows it before the filters.
	Stream   string
	Scrubber *redact.Scrubber
	// Hints are the view's keys as bound, for its last line.
	Hints string
}

// Model is the logs view.
type Model struct {
	ctx  *pane.Context
	o    Options
	jump Jump

	filter string // typed with the filter key, kept with enter
	input  textinput.Model

	lines  ring
	newest time.Time       // the newest line's instant
	edge   map[string]bool // the lines of that instant, by key
	cursor int             // the selected line
	pinned bool            // the cursor stays on the newest line

	follow bool
	st     state
	// expanded is the selected line opened whole; scroll its first line shown.
	expanded *entry
	scroll   int
	laid     struct {
		of    *entry
		w     int
		lines []styled
	}
	w, h int
}

// state is the reads' state: the polling pattern (a generation that drops
// stale answers, one read at a time, the last error beside the lines kept).
type state struct {
	gen         int
	inflight    bool
	reading     bool // a first read of the range is out
	has         bool
	lastOK      time.Time
	err         error
	since       time.Time // the first failure of the current run
	full        bool      // the last read brought as many lines as it asked for
	capped      bool      // the first read did: older lines of the range were not read
	first, last time.Time // the range read: the first read's start, the last read's end
}

// New opens the view on j; Start reads.
func New(ctx *pane.Context, o Options, j Jump) *Model {
	in := textinput.New()
	in.Prompt = ""
	in.CharLimit = 2000
	// The view draws its own cursor: no blink timer runs while typing.
	in.SetVirtualCursor(false)
	return &Model{ctx: ctx, o: o, jump: j, follow: j.Follow, pinned: true, input: in,
		lines: newRing(MaxLines, MaxBytes), edge: map[string]bool{}}
}

// read is a read's answer; it carries its view and generation so that a
// closed view's or a replaced query's answer is dropped.
type read struct {
	owner *Model
	gen   int
	lines []entry
	err   error
	at    time.Time
	fresh bool // the whole range: what was kept is replaced
	full  bool
}

// tick asks a following view to read its newest lines.
type tick struct {
	owner *Model
	gen   int
}

// Msg reports whether msg is one of the view's.
func Msg(msg tea.Msg) bool {
	switch msg.(type) {
	case read, tick:
		return true
	}
	return false
}

// Query is what the backend is asked, beyond its stream: what the view was
// opened on and the typed filter, both.
func (m *Model) Query() string { return And(m.jump.Filter, m.filter) }

// And joins filters so that a line must match each ("" ones left out);
// each is parenthesised, so that an OR in one stays inside it.
func And(filters ...string) string {
	var parts []string
	for _, f := range filters {
		if f = strings.TrimSpace(f); f != "" {
			parts = append(parts, "("+f+")")
		}
	}
	if len(parts) == 1 {
		return strings.TrimSuffix(strings.TrimPrefix(parts[0], "("), ")")
	}
	return strings.Join(parts, " ")
}

// Start reads the range.
func (m *Model) Start() tea.Cmd { return m.reread() }

// reread reads the whole range again (the refresh key), the lines kept
// replaced when it answers; an answer still out is dropped.
func (m *Model) reread() tea.Cmd {
	m.st.gen++
	m.st.reading = true
	return m.fetch(true)
}

// requery reads the lines of another query: those kept are another's, and
// go at once (a failing read must not leave them under the new title).
func (m *Model) requery() tea.Cmd {
	m.lines.reset()
	clear(m.edge)
	m.newest, m.cursor, m.expanded, m.pinned = time.Time{}, 0, nil, true
	m.st = state{gen: m.st.gen}
	return m.reread()
}

// span is the range a first read covers at now.
func (m *Model) span(now time.Time) (start, end time.Time) {
	start, end = m.jump.Start, m.jump.End
	if start.IsZero() {
		start = m.ctx.Time.End(now).Add(-m.ctx.Time.Window)
	}
	if end.IsZero() || m.follow {
		end = now
	}
	return start, end
}

// fetch reads the range (fresh) or, following, what came since the newest
// line kept. The closure gets copies: it runs on another goroutine.
func (m *Model) fetch(fresh bool) tea.Cmd {
	if m.o.Source == nil {
		return nil
	}
	m.st.inflight = true
	now := m.ctx.Now()
	q := sources.LogQuery{Filter: m.Query(), Limit: Limit}
	q.Start, q.End = m.span(now)
	if !fresh && !m.newest.IsZero() {
		// From the newest line's instant on: that line comes again, and the
		// key drops it; one that shared the instant but came later stays.
		q.Start = m.newest
	}
	if fresh {
		m.st.first = q.Start
	}
	m.st.last = q.End
	owner, gen, src, base, clock := m, m.st.gen, m.o.Source, m.ctx.Base, m.ctx.Now
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(base, pane.FetchGuard)
		defer cancel()
		got, err := src.Lines(ctx, q)
		out := make([]entry, 0, min(len(got), Limit))
		// The newest kept when a backend sends more than it was asked for.
		for _, l := range got[max(len(got)-Limit, 0):] {
			out = append(out, entryOf(l))
		}
		return read{owner: owner, gen: gen, lines: out, err: safetext.Error(err), at: clock(), fresh: fresh, full: len(got) >= q.Limit}
	}
}

// Update takes the view's reads and ticks.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case read:
		if msg.owner != m || msg.gen != m.st.gen {
			return nil
		}
		m.st.inflight = false
		if msg.err != nil {
			if m.st.err == nil {
				m.st.since = msg.at
			}
			m.st.err = msg.err
		} else {
			m.st.reading, m.st.err, m.st.has, m.st.lastOK, m.st.full = false, nil, true, msg.at, msg.full
			if msg.fresh {
				m.st.capped = msg.full
			}
			m.keep(msg.lines, msg.fresh, msg.full)
		}
		if m.follow || m.st.err != nil {
			// Following, the next read; failing, the retry (every refresh,
			// as every source is retried).
			var p poll.State[struct{}] // its clock-aligned delay
			return m.ctx.After(p.Delay(m.ctx.Now(), m.ctx.Refresh), tick{owner: m, gen: m.st.gen})
		}
	case tick:
		if msg.owner == m && msg.gen == m.st.gen && (m.follow || m.st.err != nil) && !m.st.inflight {
			return m.fetch(m.st.reading)
		}
	}
	return nil
}

// keep adds a read's lines, oldest first, newest last. A read that came
// back full may have left lines out between the last read and its own:
// the list says so where they would be.
func (m *Model) keep(got []entry, fresh, full bool) {
	if fresh {
		m.lines.reset()
		m.newest, m.cursor, m.expanded = time.Time{}, 0, nil
		clear(m.edge)
	}
	if full && !fresh && len(got) > 0 && m.lines.len() > 0 {
		m.push(entry{gap: true, size: 64})
	}
	before, prev := m.newest, m.edge
	next := map[string]bool{}
	for i := range got {
		e := &got[i]
		switch {
		case e.line.Time.Before(before):
			continue // older than the lines kept: already read
		case e.line.Time.Equal(before) && prev[e.key()]:
			continue // the newest line kept, read again
		}
		if e.line.Time.After(m.newest) {
			m.newest = e.line.Time
			clear(next)
		}
		next[e.key()] = true
		m.push(*e)
	}
	if !m.newest.Equal(before) {
		m.edge = next
	} else {
		for k := range next {
			m.edge[k] = true
		}
	}
	if m.pinned {
		m.cursor = max(m.lines.len()-1, 0)
	}
}

func (m *Model) push(e entry) {
	dropped := m.lines.push(e)
	m.cursor = max(m.cursor-dropped, 0)
}

// Refresh reads the range again.
func (m *Model) Refresh() tea.Cmd { return m.reread() }

// ToggleFollow starts or stops reading the newest lines every refresh.
func (m *Model) ToggleFollow() tea.Cmd {
	m.follow = !m.follow
	if !m.follow || m.st.inflight {
		return nil // a read out schedules the next one if following
	}
	m.pinned = true
	m.cursor = max(m.lines.len()-1, 0)
	return m.fetch(m.st.reading || !m.st.has)
}

// Following reports whether the view reads the newest lines.
func (m *Model) Following() bool { return m.follow }

// Move moves the selected line (a scroll, in an expanded line).
func (m *Model) Move(delta int) {
	if m.expanded != nil {
		m.scroll = max(m.scroll+delta, 0) // View clamps it to the text
		return
	}
	n := m.lines.len()
	m.cursor = min(max(m.cursor+delta, 0), max(n-1, 0))
	m.pinned = m.cursor >= n-1
}

// Selected is the selected line (false on none, or on a gap's notice).
func (m *Model) Selected() (sources.LogLine, bool) {
	if m.cursor >= m.lines.len() {
		return sources.LogLine{}, false
	}
	e := m.lines.at(m.cursor)
	return e.line, !e.gap
}

// TraceID is the selected line's trace id, "" when it has none.
func (m *Model) TraceID() string {
	if m.expanded != nil {
		return m.expanded.line.TraceID
	}
	l, _ := m.Selected()
	return l.TraceID
}

// Expand opens the selected line whole; false when there is none.
func (m *Model) Expand() bool {
	if _, ok := m.Selected(); !ok {
		return false
	}
	e := *m.lines.at(m.cursor)
	m.expanded, m.scroll = &e, 0
	return true
}

// Expanded reports whether a line is open whole.
func (m *Model) Expanded() bool { return m.expanded != nil }

// Back closes what is open inside the view: the filter being typed, an
// expanded line; false when nothing was (esc then closes the view).
func (m *Model) Back() bool {
	switch {
	case m.input.Focused():
		m.input.Blur()
		m.input.SetValue(m.filter)
		return true
	case m.expanded != nil:
		m.expanded, m.laid.of, m.laid.lines = nil, nil, nil
		return true
	}
	return false
}

// StartFilter begins typing a filter, the one in force to edit.
func (m *Model) StartFilter() tea.Cmd {
	m.input.SetValue(m.filter)
	m.input.CursorEnd()
	return m.input.Focus()
}

// Typing reports whether a filter is being typed.
func (m *Model) Typing() bool { return m.input.Focused() }

// Type hands a key or a paste to the filter being typed.
func (m *Model) Type(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	return cmd
}

// KeepFilter ends typing: the lines of the filter typed are read.
func (m *Model) KeepFilter() tea.Cmd {
	m.input.Blur()
	f := strings.TrimSpace(m.input.Value())
	if f == m.filter {
		return nil
	}
	m.filter = f
	return m.requery()
}

// Filter is the typed filter in force.
func (m *Model) Filter() string { return m.filter }

// SetSize sets the view's outer size (as the trace list's).
func (m *Model) SetSize(w, h int) { m.w, m.h = w, h }

// Title says what the view shows.
func (m *Model) Title() string {
	t := "Logs"
	if m.jump.What != "" {
		t += " · " + m.jump.What
	}
	if m.filter != "" {
		t += " · " + safetext.String(m.filter)
	}
	return t
}

// status is the view's first line: how many lines, over what, whether it
// follows.
func (m *Model) status(now time.Time) string {
	var parts []string
	n := m.lines.len()
	switch {
	case !m.st.has:
	case n == 0:
		parts = append(parts, "no lines")
	case n == 1:
		parts = append(parts, "1 line")
	case m.st.capped:
		parts = append(parts, fmt.Sprintf("%d lines, the newest of more", n))
	default:
		parts = append(parts, fmt.Sprintf("%d lines", n))
	}
	if m.lines.droppedTotal > 0 {
		parts = append(parts, fmt.Sprintf("%d older dropped (%d kept at most)", m.lines.droppedTotal, MaxLines))
	}
	start, end := m.st.first, m.st.last
	if start.IsZero() {
		start, end = m.span(now)
	}
	if m.follow {
		parts = append(parts, "since "+start.Format("15:04:05")+", following")
	} else {
		parts = append(parts, start.Format("15:04:05")+" – "+end.Format("15:04:05"))
	}
	return strings.Join(parts, " · ")
}

// errorLine is the failing backend in words, with the age of the lines
// kept (the polling pattern's wording).
func (m *Model) errorLine(now time.Time) string {
	msg := m.o.Scrubber.Error(m.st.err)
	if m.st.has {
		return fmt.Sprintf("⚠ logs: %s (last ok %s ago; since %s)", msg, units.Age(now.Sub(m.st.lastOK)), m.st.since.Format("15:04:05"))
	}
	return fmt.Sprintf("⚠ logs: %s (since %s)", msg, m.st.since.Format("15:04:05"))
}
