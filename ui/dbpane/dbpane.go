package dbpane

import (
	"context"
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/frame"
	"github.com/opsdeck/opsdeck/ui/pane"
	"github.com/opsdeck/opsdeck/ui/poll"
	"github.com/opsdeck/opsdeck/ui/theme"
)

// Hints are the drill-down's key hints, written by the root from its
// bindings (so that they name the keys as remapped).
type Hints struct {
	Browse, Typing string
	// Locks and Statements are the lock tree's and the statements view's.
	Locks, Statements string
}

// Options configure the pane.
type Options struct {
	Source   sources.Database // nil when not configured
	Problem  string           // why Source is nil
	Target   string
	Scrubber *redact.Scrubber
	Hints    Hints
	// Thresholds colour the connections and the longest transaction and query.
	Thresholds sources.DBThresholds
}

// Model is the Postgres pane.
type Model struct {
	pane.Polled[sources.DBState]
	hints    Hints
	th       sources.DBThresholds
	zoomed   bool
	sessions sessionView
	// view is what the zoomed pane lists; the lock tree and the statements
	// keep their own cursors.
	view                   view
	treeCursor, stmtCursor int
}

// New builds the pane.
func New(ctx *pane.Context, o Options) *Model {
	m := &Model{hints: o.Hints, th: o.Thresholds, sessions: newSessionView()}
	m.Polled = pane.Polled[sources.DBState]{
		Ctx: ctx, Poll: poll.State[sources.DBState]{ID: ctx.ID("postgres")}, Name: "Postgres", Short: "postgres",
		Configured: o.Source != nil, Problem: o.Problem, Target: o.Target, Scrubber: o.Scrubber,
		NewFetch: func() func(context.Context) (sources.DBState, error) {
			src, req := o.Source, sources.DBRequest{Sessions: m.zoomed, Statements: m.zoomed && m.view == viewStatements}
			return func(ctx context.Context) (sources.DBState, error) { return src.Poll(ctx, req) }
		},
		Summary: m.summary,
	}
	return m
}

// SetZoomed switches the session list on; it needs a fetch with sessions.
func (m *Model) SetZoomed(z bool) tea.Cmd {
	if z == m.zoomed {
		return nil
	}
	m.zoomed = z
	m.sessions.input.Blur()
	m.Changed()
	if z && m.Configured && m.Poll.RefreshNow() {
		return m.Fetch()
	}
	return nil
}

// NextView turns the zoomed pane to its next list: sessions, the lock
// tree, the statements. The statements are read only while they show, so
// turning to them fetches.
func (m *Model) NextView() tea.Cmd {
	m.view = (m.view + 1) % viewCount
	m.sessions.input.Blur()
	m.Changed()
	if m.view == viewStatements && m.Configured && m.Poll.RefreshNow() {
		return m.Fetch()
	}
	return nil
}

// ListName names the zoomed pane's list.
func (m *Model) ListName() string { return viewNames[m.view] }

// Selected is the session under the cursor of the zoomed list: the
// session list's or the lock tree's.
func (m *Model) Selected() (sources.DBSession, bool) {
	if !m.zoomed || !m.Poll.HasLast {
		return sources.DBSession{}, false
	}
	switch m.view {
	case viewSessions:
		rows := m.sessions.visible(m.Poll.Last.Sessions)
		if m.sessions.cursor < len(rows) {
			return rows[m.sessions.cursor], true
		}
	case viewLocks:
		rows := flatten(sources.LockTree(m.Poll.Last.Blocked, m.Poll.Last.Blockers))
		if m.treeCursor < len(rows) {
			return rows[m.treeCursor].node.Session, true
		}
	}
	return sources.DBSession{}, false
}

// State is the last good state (for tests and the report).
func (m *Model) State() (sources.DBState, bool) { return m.Poll.Last, m.Poll.HasLast }

// summary is the findings, and when zoomed the sessions below a few of them.
func (m *Model) summary(st *theme.Styles, s sources.DBState, w, h int, stale bool) []string {
	roots := sources.LockTree(s.Blocked, s.Blockers) // the summary's worst blocker and the zoomed tree
	lines := summaryLines(st, s, roots, m.th, w, stale, m.Ctx.Now())
	if !m.zoomed {
		return lines
	}
	keep := min(len(lines), max(h/3, 4))
	lines = lines[:keep]
	switch m.view {
	case viewLocks:
		rows := flatten(roots)
		m.treeCursor = min(m.treeCursor, max(len(rows)-1, 0))
		return append(lines, renderTree(st, rows, m.treeCursor, w, h-len(lines), m.hints.Locks)...)
	case viewStatements:
		if s.Statements != nil {
			m.stmtCursor = min(m.stmtCursor, max(len(s.Statements.Top)-1, 0))
		}
		return append(lines, renderStatements(st, s.Statements, m.stmtCursor, w, h-len(lines), m.hints.Statements)...)
	}
	// The lock tree, when sessions wait: above the list, at most a third.
	if len(roots) > 0 {
		tree := LockTreeLines(st, roots, w, max((h-keep)/3, 3))
		lines = append(append(lines, st.Accent.Render(frame.Fit("lock tree: who holds up whom", w))), tree...)
	}
	return append(lines, m.sessions.render(st, s.Sessions, w, h-len(lines), m.hints)...)
}

// summaryLines are the pane's findings, most urgent first: a short pane
// keeps the top ones.
func summaryLines(st *theme.Styles, s sources.DBState, roots []*sources.LockNode, th sources.DBThresholds, w int, stale bool, now time.Time) []string {
	ls := frame.NewLines(st, w, stale)
	add, dim := ls.Add, ls.Paint
	c := s.Connections

	head := fmt.Sprintf("%s %s · up %s", shortVersion(s.Version), s.Role, units.Span(now.Sub(s.StartedAt)))
	usable := max(c.Max-c.Reserved, 1)
	use := float64(c.Total) / float64(usable)
	connPaint := st.Status(th.Connections.Classify(use), st.OK)
	conn := fmt.Sprintf("%d/%d conn", c.Total, c.Max)
	if w < 44 { // narrow: the connection count must not be the part that is dropped
		ls.Raw(dim(connPaint).Render(conn) + dim(st.Text).Render(frame.Fit(" · "+head, w-len(conn))))
	} else {
		ls.Raw(frame.Spread(dim(st.Text).Render(head), dim(connPaint).Render(conn), w))
	}

	states := fmt.Sprintf("%d active · %d idle · %d idle in tx", c.Active, c.Idle, c.IdleInTransaction)
	if c.Aborted > 0 {
		states += fmt.Sprintf(" · %d aborted", c.Aborted)
	}
	if c.Waiting > 0 {
		states += fmt.Sprintf(" · %d waiting", c.Waiting)
	}
	if c.Hidden > 0 {
		states += fmt.Sprintf(" · %d hidden", c.Hidden)
	}
	statePaint := st.Muted
	if c.IdleInTransaction+c.Aborted > 0 {
		statePaint = st.Warn
	}
	add(statePaint, states)

	// The worst root blocker in one line, and the first session it holds.
	if len(roots) > 0 {
		r := roots[0]
		if len(r.Session.BlockedBy) > 0 { // its blocker was not read: the blocked session itself
			add(st.Crit, "⚠ "+waitLine(r, true))
		} else {
			add(st.Crit, "⚠ root blocker "+rootLine(r))
			if len(r.Waiting) > 0 {
				add(st.Warn, "  └ "+waitLine(r.Waiting[0], false))
			}
		}
		if more := len(s.Blocked) - min(len(r.Waiting), 1); more > 0 && len(r.Waiting) > 0 {
			add(st.Muted, fmt.Sprintf("  … %d more blocked (zoom: the lock tree)", more))
		}
	}
	if t := s.LongestTransaction; t != nil {
		p := st.Status(th.TransactionAge.Classify(t.XactAge), st.Text)
		what := "longest tx"
		if q := s.LongestQuery; q != nil && q.PID == t.PID {
			what = "longest query and tx"
		}
		add(p, fmt.Sprintf("%s %s pid %d %s (%s): %s", what, units.Span(units.FromSeconds(t.XactAge)), t.PID, t.User, t.State, frame.OneLine(t.Query)))
	}
	if q := s.LongestQuery; q != nil && (s.LongestTransaction == nil || q.PID != s.LongestTransaction.PID) {
		p := st.Status(th.QueryAge.Classify(q.QueryAge), st.Text)
		add(p, fmt.Sprintf("longest query %s pid %d %s: %s", units.Span(units.FromSeconds(q.QueryAge)), q.PID, q.User, frame.OneLine(q.Query)))
	}
	for _, m := range s.MissingExtensions {
		add(st.Crit, "⚠ extension "+m+" is not installed")
	}
	rates := "tps – · cache "
	if r := s.Rates; r != nil {
		rates = "tps " + units.FormatShort(r.TPS, units.None) + " · cache "
		if r.CacheHitRatio != nil {
			rates += units.Format(*r.CacheHitRatio, units.Ratio)
		} else if s.CacheHitRatio != nil {
			rates += units.Format(*s.CacheHitRatio, units.Ratio)
		} else {
			rates += "–"
		}
		rates += " · deadlocks " + units.FormatShort(r.Deadlocks, units.None) + "/s · temp " + units.Format(r.TempBytes, units.Bytes) + "/s"
	} else if s.CacheHitRatio != nil {
		rates += units.Format(*s.CacheHitRatio, units.Ratio)
	} else {
		rates += "–"
	}
	ratePaint := st.Text
	if r := s.Rates; r != nil && r.Deadlocks > 0 {
		ratePaint = st.Warn
	}
	add(ratePaint, rates)

	add(st.Text, "size "+units.Format(float64(s.DatabaseSize), units.Bytes)+" · ext "+extensions(s.Extensions))
	for _, r := range s.Replication.Replicas {
		text := fmt.Sprintf("replica %s %s %s", r.Name, r.Client, r.State)
		if r.LagBytes != nil {
			text += " lag " + units.Format(float64(*r.LagBytes), units.Bytes)
		}
		if r.ReplayLag != nil {
			text += " / " + units.Format(*r.ReplayLag, units.Seconds)
		}
		p := st.Text
		if r.State != "streaming" {
			p = st.Warn
		}
		add(p, text)
	}
	if u := s.Replication.Upstream; u != nil {
		text := "replica of " + frame.Or(u.Sender, "?") + " · " + frame.Or(u.Status, "no WAL receiver")
		if u.LagBytes != nil {
			text += " · behind " + units.Format(float64(*u.LagBytes), units.Bytes)
		}
		if u.ReplayLag != nil {
			text += " / " + units.Format(*u.ReplayLag, units.Seconds)
		}
		p := st.Text
		if u.Status != "streaming" {
			p = st.Crit
		}
		add(p, text)
	}
	if b := s.Pgbouncer; b != nil {
		if b.Error != "" {
			for _, l := range frame.WrapN("pgbouncer: "+b.Error, w, 2) {
				add(st.Warn, l)
			}
		}
		for _, pl := range b.Pools {
			if pl.Database == "pgbouncer" {
				continue
			}
			p := st.Text
			if pl.ClientsWait > 0 {
				p = st.Warn
			}
			add(p, fmt.Sprintf("pool %s/%s cl %d act %d wait · sv %d act %d idle · maxwait %s",
				pl.Database, pl.User, pl.ClientsActive, pl.ClientsWait, pl.ServersActive, pl.ServersIdle, units.Format(pl.MaxWait, units.Seconds)))
		}
	}
	if len(s.Tables) > 0 {
		add(st.Muted, "largest tables (estimates)")
		for _, t := range s.Tables {
			vac := "never vacuumed"
			if t.LastAutovacuum != nil {
				vac = "vacuum " + units.Age(now.Sub(*t.LastAutovacuum)) + " ago"
			}
			add(st.Text, fmt.Sprintf("  %s %s rows %s · %s dead · %s", t.Name, units.Count(t.RowsEstimate),
				units.Format(float64(t.SizeBytes), units.Bytes), units.Count(t.DeadTuples), vac))
		}
	}
	for _, h := range s.Hidden {
		for _, l := range frame.Wrap("ⓘ "+h, w) {
			add(st.Muted, l)
		}
	}
	return ls.Out()
}

// shortVersion drops the distribution suffix: "15.8 (Debian 15.8-0+deb12u1)" -> "15.8".
func shortVersion(v string) string {
	f, _, _ := strings.Cut(v, " ")
	return "PG " + f
}

func pids(ps []int) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = fmt.Sprint(p)
	}
	return strings.Join(s, ",")
}

func extensions(es []sources.DBExtension) string {
	if len(es) == 0 {
		return "none"
	}
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Name + " " + e.Version
	}
	return strings.Join(s, ", ")
}

// The drill-down's operations, which the root's bindings call while the
// pane is zoomed.

// StartFilter starts typing a filter.
func (m *Model) StartFilter() tea.Cmd { m.Changed(); return m.sessions.input.Focus() }

// NextSort sorts by the next column, longest first for the ages.
func (m *Model) NextSort() {
	v := &m.sessions
	v.sortBy = (v.sortBy + 1) % sortCount
	v.desc = v.sortBy == sortXact || v.sortBy == sortQuery
	m.Changed()
}

// Reverse reverses the order.
func (m *Model) Reverse() { m.sessions.desc = !m.sessions.desc; m.Changed() }

// Move moves the cursor by delta rows.
func (m *Model) Move(delta int) {
	switch m.view {
	case viewLocks:
		m.treeCursor = max(m.treeCursor+delta, 0)
	case viewStatements:
		m.stmtCursor = max(m.stmtCursor+delta, 0)
	default:
		m.sessions.cursor = max(m.sessions.cursor+delta, 0)
	}
	m.Changed()
}

// ClearFilter drops the filter; it reports whether there was one (the
// close key clears it first, and unzooms only then).
func (m *Model) ClearFilter() bool {
	had := m.sessions.input.Value() != "" || m.sessions.input.Focused()
	m.sessions.input.Reset()
	m.sessions.input.Blur()
	m.sessions.cursor = 0
	m.Changed()
	return had
}

// SetFilter filters the sessions by text, as if it had been typed and kept.
func (m *Model) SetFilter(text string) {
	m.sessions.input.SetValue(text)
	m.sessions.input.Blur()
	m.sessions.cursor = 0
	m.Changed()
}

// KeepFilter ends typing and keeps what was typed.
func (m *Model) KeepFilter() { m.sessions.input.Blur(); m.Changed() }

// Type hands a key or a paste to the filter being typed.
func (m *Model) Type(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	m.sessions.input, cmd = m.sessions.input.Update(msg)
	m.sessions.cursor = 0
	m.Changed()
	return cmd
}

// SessionsState is what the drill-down shows, as fields.
type SessionsState struct {
	Sort         string
	Desc, Typing bool
	Filter       string
	Cursor       int
}

// Sessions is the drill-down's state.
func (m *Model) Sessions() SessionsState {
	v := &m.sessions
	return SessionsState{Sort: sortNames[v.sortBy], Desc: v.desc, Typing: v.input.Focused(), Filter: v.input.Value(), Cursor: v.cursor}
}

// Capturing reports whether a filter is being typed.
func (m *Model) Capturing() bool { return m.zoomed && m.sessions.input.Focused() }
