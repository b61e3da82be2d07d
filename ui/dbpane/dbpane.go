package dbpane

import (
	"context"
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

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
	if !m.zoomed {
		return summaryLines(st, s, roots, m.th, w, h, stale, m.Ctx.Now())
	}
	keep := max(h/3, 4)
	lines := summaryLines(st, s, roots, m.th, w, keep, stale, m.Ctx.Now())
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

// summaryLines are the pane's findings in at most h lines, most urgent
// first (a short pane keeps the top ones), each line with its figure before
// its label (a cut line keeps its number).
func summaryLines(st *theme.Styles, s sources.DBState, roots []*sources.LockNode, th sources.DBThresholds, w, h int, stale bool, now time.Time) []string {
	ls := frame.NewLines(st, w, stale)
	headLine(ls, st, s, th, now)
	connectionLine(ls, st, s.Connections)
	blockerLines(ls, st, s, roots)
	longestLines(ls, st, s, th)
	for _, m := range s.MissingExtensions {
		ls.Add(frame.Critical, st.Crit, "⚠ "+m+": extension not installed")
	}
	rateLine(ls, st, s)
	ls.Add(frame.Ordinary, st.Text, units.Format(float64(s.DatabaseSize), units.Bytes)+" database · ext "+extensions(s.Extensions))
	replicationLines(ls, st, s.Replication)
	pgbouncerLines(ls, st, s.Pgbouncer)
	tableLines(ls, st, s.Tables, now)
	for _, h := range s.Hidden {
		for i, l := range frame.Wrap("ⓘ "+h, w) {
			if i == 0 {
				ls.Add(frame.Ordinary, st.Muted, l)
			} else {
				ls.More(st.Muted, l)
			}
		}
	}
	return ls.Top(h)
}

// headLine is the connections against the maximum, the version, the role
// and the uptime; the connection count comes first where room is short,
// at the right end otherwise.
func headLine(ls *frame.Lines, st *theme.Styles, s sources.DBState, th sources.DBThresholds, now time.Time) {
	c, w, dim := s.Connections, ls.Width(), ls.Paint
	head := fmt.Sprintf("%s %s · up %s", shortVersion(s.Version), s.Role, units.Span(now.Sub(s.StartedAt)))
	status := th.Connections.Classify(float64(c.Total) / float64(max(c.Max-c.Reserved, 1)))
	connPaint := st.Status(status, st.OK)
	conn := frame.Mark(frame.LevelOf(status)) + fmt.Sprintf("%d/%d conn", c.Total, c.Max)
	if w < 44 || ansi.StringWidth(head)+1+ansi.StringWidth(conn) > w { // the count must not be the part dropped
		ls.Raw(frame.LevelOf(status), dim(connPaint).Render(conn)+dim(st.Text).Render(frame.Fit(" · "+head, w-ansi.StringWidth(conn))))
		return
	}
	ls.Raw(frame.LevelOf(status), frame.Spread(dim(st.Text).Render(head), dim(connPaint).Render(conn), w))
}

// connectionLine counts the sessions by state; idle or aborted
// transactions are a warning.
func connectionLine(ls *frame.Lines, st *theme.Styles, c sources.DBConnections) {
	states := fmt.Sprintf("%d active · %d idle · %d idle in tx", c.Active, c.Idle, c.IdleInTransaction)
	stuck := c.IdleInTransaction+c.Aborted > 0
	if stuck { // the transactions left open come first
		states = fmt.Sprintf("⚠ %d idle in tx · %d active · %d idle", c.IdleInTransaction, c.Active, c.Idle)
	}
	if c.Aborted > 0 {
		states += fmt.Sprintf(" · %d aborted", c.Aborted)
	}
	if c.Waiting > 0 {
		states += fmt.Sprintf(" · %d waiting", c.Waiting)
	}
	if c.Hidden > 0 {
		states += fmt.Sprintf(" · %d hidden", c.Hidden)
	}
	if stuck {
		ls.Add(frame.Warning, st.Warn, states)
		return
	}
	ls.Add(frame.Ordinary, st.Muted, states)
}

// blockerLines are the worst root blocker in one line and the first
// session it holds up, or a blocked session whose blocker was not read.
func blockerLines(ls *frame.Lines, st *theme.Styles, s sources.DBState, roots []*sources.LockNode) {
	if len(roots) == 0 {
		return
	}
	r := roots[0]
	if len(r.Session.BlockedBy) > 0 {
		ls.Add(frame.Critical, st.Crit, "⚠ "+waitSummary(r, true))
		return
	}
	x := r.Session
	ls.Add(frame.Critical, st.Crit, fmt.Sprintf("⚠ %d held up by pid %d · tx %s %s · %s: %s", r.Holds, x.PID, age(x.XactAge), x.State, who(x), frame.OneLine(x.Query)))
	if len(r.Waiting) == 0 {
		return
	}
	ls.More(st.Warn, "  └ "+waitSummary(r.Waiting[0], false))
	if more := len(s.Blocked) - 1; more > 0 {
		ls.More(st.Muted, fmt.Sprintf("  … %d more blocked (zoom: the lock tree)", more))
	}
}

// longestLines are the longest transaction and the longest query (one line
// when they are the same session), judged by the configured ages.
func longestLines(ls *frame.Lines, st *theme.Styles, s sources.DBState, th sources.DBThresholds) {
	t, q := s.LongestTransaction, s.LongestQuery
	if t != nil {
		status := th.TransactionAge.Classify(t.XactAge)
		what := "longest tx"
		if q != nil && q.PID == t.PID {
			what = "longest query and tx"
		}
		ls.Add(frame.LevelOf(status), st.Status(status, st.Text), fmt.Sprintf("%s%s %s · pid %d %s (%s): %s",
			frame.Mark(frame.LevelOf(status)), units.Span(units.FromSeconds(t.XactAge)), what, t.PID, t.User, t.State, frame.OneLine(t.Query)))
	}
	if q != nil && (t == nil || q.PID != t.PID) {
		status := th.QueryAge.Classify(q.QueryAge)
		ls.Add(frame.LevelOf(status), st.Status(status, st.Text), fmt.Sprintf("%s%s longest query · pid %d %s: %s",
			frame.Mark(frame.LevelOf(status)), units.Span(units.FromSeconds(q.QueryAge)), q.PID, q.User, frame.OneLine(q.Query)))
	}
}

// rateLine is transactions per second, the cache hit ratio, deadlocks and
// temporary files; deadlocks come first, as a warning, when there are any.
func rateLine(ls *frame.Lines, st *theme.Styles, s sources.DBState) {
	hit := s.CacheHitRatio
	if r := s.Rates; r != nil && r.CacheHitRatio != nil {
		hit = r.CacheHitRatio
	}
	cache := "– cache"
	if hit != nil {
		cache = units.Format(*hit, units.Ratio) + " cache"
	}
	r := s.Rates
	if r == nil {
		ls.Add(frame.Ordinary, st.Text, "– tps · "+cache)
		return
	}
	tps := units.FormatShort(r.TPS, units.None) + " tps"
	deadlocks := units.FormatShort(r.Deadlocks, units.None) + "/s deadlocks"
	temp := units.Format(r.TempBytes, units.Bytes) + "/s temp"
	if r.Deadlocks > 0 {
		ls.Add(frame.Warning, st.Warn, "⚠ "+deadlocks+" · "+tps+" · "+cache+" · "+temp)
		return
	}
	ls.Add(frame.Ordinary, st.Text, tps+" · "+cache+" · "+deadlocks+" · "+temp)
}

// replicationLines are the replicas of a primary, or the upstream of a
// replica, their lag first.
func replicationLines(ls *frame.Lines, st *theme.Styles, rp sources.DBReplication) {
	for _, r := range rp.Replicas {
		text := fmt.Sprintf("replica %s %s %s", r.Name, r.Client, r.State)
		if lag := lagText(r.LagBytes, r.ReplayLag); lag != "" {
			text = lag + " lag · " + text
		}
		if r.State != "streaming" {
			ls.Add(frame.Warning, st.Warn, "⚠ "+text)
			continue
		}
		ls.Add(frame.Ordinary, st.Text, text)
	}
	u := rp.Upstream
	if u == nil {
		return
	}
	text := "replica of " + frame.Or(u.Sender, "?") + " · " + frame.Or(u.Status, "no WAL receiver")
	if lag := lagText(u.LagBytes, u.ReplayLag); lag != "" {
		text = lag + " behind · " + text
	}
	if u.Status != "streaming" {
		ls.Add(frame.Critical, st.Crit, "⚠ "+text)
		return
	}
	ls.Add(frame.Ordinary, st.Text, text)
}

// lagText is a replica's lag in bytes and in time, what is known of them.
func lagText(b *int64, replay *float64) string {
	var parts []string
	if b != nil {
		parts = append(parts, units.Format(float64(*b), units.Bytes))
	}
	if replay != nil {
		parts = append(parts, units.Format(*replay, units.Seconds))
	}
	return strings.Join(parts, " / ")
}

// pgbouncerLines are pgbouncer's pools, clients waiting first, and why it
// could not be read.
func pgbouncerLines(ls *frame.Lines, st *theme.Styles, b *sources.Pgbouncer) {
	if b == nil {
		return
	}
	if b.Error != "" {
		for i, l := range frame.WrapN("⚠ pgbouncer: "+b.Error, ls.Width(), 2) {
			if i == 0 {
				ls.Add(frame.Warning, st.Warn, l)
			} else {
				ls.More(st.Warn, l)
			}
		}
	}
	for _, pl := range b.Pools {
		if pl.Database == "pgbouncer" {
			continue
		}
		text := fmt.Sprintf("%d waiting · %d active · pool %s/%s · %d/%d servers busy · %s maxwait", pl.ClientsWait, pl.ClientsActive,
			pl.Database, pl.User, pl.ServersActive, pl.ServersActive+pl.ServersIdle, units.Format(pl.MaxWait, units.Seconds))
		if pl.ClientsWait > 0 {
			ls.Add(frame.Warning, st.Warn, "⚠ "+text)
			continue
		}
		ls.Add(frame.Ordinary, st.Text, text)
	}
}

// tableLines are the largest tables, their size first, and when each was
// last vacuumed.
func tableLines(ls *frame.Lines, st *theme.Styles, tables []sources.DBTable, now time.Time) {
	if len(tables) == 0 {
		return
	}
	ls.Add(frame.Ordinary, st.Muted, "largest tables (estimates)")
	for _, t := range tables {
		vac := "never vacuumed"
		if t.LastAutovacuum != nil {
			vac = "vacuum " + units.Age(now.Sub(*t.LastAutovacuum)) + " ago"
		}
		ls.More(st.Text, fmt.Sprintf("  %s %s · %s rows · %s dead · %s", units.Format(float64(t.SizeBytes), units.Bytes), t.Name,
			units.Count(t.RowsEstimate), units.Count(t.DeadTuples), vac))
	}
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
