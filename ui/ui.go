package ui

import (
	"cmp"
	"context"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/opsdeck/opsdeck/internal/cmdvars"
	"github.com/opsdeck/opsdeck/internal/notes"
	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/actionpane"
	"github.com/opsdeck/opsdeck/ui/alertstrip"
	"github.com/opsdeck/opsdeck/ui/binding"
	"github.com/opsdeck/opsdeck/ui/cachepane"
	"github.com/opsdeck/opsdeck/ui/celerypane"
	"github.com/opsdeck/opsdeck/ui/changes"
	"github.com/opsdeck/opsdeck/ui/dbpane"
	"github.com/opsdeck/opsdeck/ui/driftpane"
	"github.com/opsdeck/opsdeck/ui/frame"
	"github.com/opsdeck/opsdeck/ui/logstrip"
	"github.com/opsdeck/opsdeck/ui/metricpane"
	"github.com/opsdeck/opsdeck/ui/pane"
	"github.com/opsdeck/opsdeck/ui/poll"
	"github.com/opsdeck/opsdeck/ui/slopane"
	"github.com/opsdeck/opsdeck/ui/theme"
)

// CheckAction is the action the drift pane's run_check key starts.
const CheckAction = "alembic-check"

// EnvChoice is an environment as the picker lists it.
type EnvChoice struct {
	Name                            string
	Protected, Readonly, Disposable bool
}

// Deps is everything the console needs from outside: built by main from the
// configuration, never read from globals.
type Deps struct {
	Environments []EnvChoice
	Initial      string
	// Open connects to an environment's sources (no I/O until polled).
	Open    func(name string) (*sources.Environment, error)
	Refresh time.Duration
	Window  time.Duration
	Now     func() time.Time
	Styles  *theme.Styles
	// Bindings are the keys of each binding as configured (config.Bindings);
	// a binding missing here keeps its default keys.
	Bindings map[string][]string
	// After schedules a delayed message; nil means real timers (tea.Tick).
	After    func(d time.Duration, msg tea.Msg) tea.Cmd
	Version  string
	Warnings []string // configuration warnings, shown in the footer
	// Notices are shown in the footer at start (runs an earlier opsdeck
	// left without an end).
	Notices []string
	// ConfigSource is the file the configuration came from, shown in the
	// header: which file is in force decides what is protected.
	ConfigSource string
	// Actions are an environment's action keys (nil: none).
	Actions func(env string) []actionpane.Action
	// AuditMarks are env's runs in the audit log, as marks (nil: none).
	AuditMarks func(ctx context.Context, env string) ([]sources.Mark, error)
	// AddNote keeps a responder's note or pin (audited), returning it as
	// kept; NoteMarks reads env's as marks. Nil: no notes here.
	AddNote   func(ctx context.Context, e notes.Entry) (notes.Entry, error)
	NoteMarks func(ctx context.Context, env string) ([]sources.Mark, error)
	// Report writes the Markdown incident report of env and returns where
	// (nil: the report key says it is not available).
	Report func(ctx context.Context, env *sources.Environment) (path string, err error)
	// Silences are an environment's silence actions (nil: none).
	Silences func(env string) SilenceActions
	// Signal is the action that cancels (or terminates) backend pid in
	// environment env, never one of own (the console's own connections);
	// nil: none.
	Signal func(env string, pid int, terminate bool, own []int) actionpane.Action
	// Mode, when set, hears which screen is up: the overview (every
	// environment's clients, little CPU) or a console (one environment,
	// every pane live). The program tunes its collector to each.
	Mode func(overview bool)
	// Celery is the action on env's Celery: kind purge (arg: a queue),
	// revoke or terminate (arg: a running task's id) or retry (a failed
	// task's id). Nil where the console has none.
	Celery func(env, kind, arg string) actionpane.Action
	// Overview opens the console on the overview of every environment;
	// OverviewRefresh is how often the overview reads each (default 10 s).
	Overview        bool
	OverviewRefresh time.Duration
}

// SilenceActions make the alerts view's actions in one environment, each
// guarded, confirmed and audited as the action keys are.
type SilenceActions struct {
	// Make is silence s of am; group holds the fingerprints of the alerts
	// of the selected alert's group (the preview tells matches in it from
	// matches beyond it).
	Make func(am sources.Alerting, s sources.Silence, group []string) actionpane.Action
	// Ack is Make for the acknowledge key: a short silence of one alert.
	Ack func(am sources.Alerting, s sources.Silence, group []string) actionpane.Action
	// Expire ends silence s of am now.
	Expire func(am sources.Alerting, s sources.Silence) actionpane.Action
	// Who is a silence's creator: user@host.
	Who string
	// Refused says why no silence may be made or expired here ("" when
	// they may).
	Refused string
}

// Model is the root model.
type Model struct {
	deps     Deps
	bindings []Binding
	keys     keymap

	env    *sources.Environment
	envErr string
	cancel context.CancelFunc
	epoch  int // bumped on every environment switch; part of every pane ID

	paneContext *pane.Context
	timeline    *pane.Timeline      // shared by every environment visited
	panes       []pane.Pane         // focus order: metric panes first
	charts      []*metricpane.Model // the metric panes, first in panes
	alerts      *alertstrip.Model
	changes     *changes.Model // what the charts mark on their time axis
	// action is the action overlay (a question, a run's output): a layer over
	// every screen, as an action outlives the screen that started it.
	action *actionpane.Model
	// stack is the screens, the console (or the overview) at the bottom;
	// the top one has the keys.
	stack    []screen
	composed composed // the last overlay frame
	hold     frameHold
	shown    string // the frame Render last handed out
	frame    string // the last frame without overlay, and what it was built from
	frameBuf []byte // where frames are composed
	// headerLine and footerLine measure the header's and footer's parts
	// only when they changed.
	headerLine, footerLine frame.SpreadMemo
	headerRight            rightPick
	frameKey               frameKey
	viewsBuf               [][]string
	boxed                  struct{ content, out string }
	silences               SilenceActions
	narrow                 sources.Narrowing // the metric panes read one value of a label (none: every value)
	byID                   map[string]pane.Pane
	// The panes with a drill-down of their own.
	dbPane     *dbpane.Model
	celeryPane *celerypane.Model // nil where no Celery is configured
	strip      *logstrip.Model   // the log volume under the charts; nil without a log backend
	driftPane  *driftpane.Model

	focus   int
	pages   []page // the metric panes' pages, from layout()
	page    int    // the page shown
	w, h    int
	started bool

	rowsCache []row // the body's layout, from layout()

	// flash says why the last key did nothing; the next key clears it.
	flash string
	// notice is a one-line message in the footer (a report written) until noticeUntil.
	notice      string
	noticeUntil time.Time
	reporting   bool
}

// reportDone is the outcome of writing a report.
type reportDone struct {
	path string
	err  error
}

// noticeFor is how long a footer notice stays.
const noticeFor = 15 * time.Second

// clockTick re-renders once a second so ages and the clock move.
type clockTick struct{}

// New builds the console for deps.Initial.
func New(deps Deps) *Model {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Styles == nil {
		deps.Styles = theme.New(theme.Dark(), false)
	}
	if deps.After == nil {
		deps.After = pane.Schedule
	}
	m := &Model{deps: deps, bindings: Bindings(), keys: newKeymap(deps.Bindings), timeline: pane.NewTimeline(deps.Window)}
	m.openEnv(deps.Initial)
	if deps.Overview {
		m.stack = []screen{&overviewScreen{model: m.newOverview()}}
	}
	m.modeChanged()
	return m
}

// Environment is the environment being watched.
func (m *Model) Environment() *sources.Environment { return m.env }

func (m *Model) openEnv(name string) {
	if m.cancel != nil {
		m.cancel()
	}
	if m.env != nil && m.env.Close != nil {
		m.env.Close()
	}
	m.epoch++
	m.resetStack()
	m.narrow = sources.Narrowing{} // another environment's labels may differ
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	m.paneContext = &pane.Context{Styles: m.deps.Styles, Now: m.deps.Now, Refresh: m.deps.Refresh, Time: m.timeline, Base: ctx, After: m.deps.After, Epoch: m.epoch,
		Away: m.overviewUp,
		Celery: func() string {
			if m.celeryPane == nil || m.celeryPane.Answer() == "" {
				return ""
			}
			return "the Celery pane finds " + m.celeryPane.Answer()
		}}
	env, err := m.deps.Open(name)
	m.envErr = ""
	if err != nil {
		m.envErr = err.Error()
		env = &sources.Environment{Name: name}
	}
	m.env = env
	var acts []actionpane.Action
	if m.deps.Actions != nil && err == nil {
		acts = m.deps.Actions(name)
	}
	m.silences = SilenceActions{}
	if m.deps.Silences != nil && err == nil {
		m.silences = m.deps.Silences(name)
	}
	km := m.keys
	m.action = actionpane.New(name, ctx, m.deps.Now, acts, actionpane.Bindings{Cancel: km["cancel"], Close: km["close"], Select: km["select"],
		Up: km["up"], Down: km["down"], PageUp: km["page_up"], PageDown: km["page_down"], Interrupt: km["interrupt"]})
	m.action.SetSelection(m.selection, cmdvars.Missing)
	m.buildPanes()
}

func (m *Model) buildPanes() {
	env, c := m.env, m.paneContext
	m.panes = m.panes[:0]
	m.charts = m.metricPanes()
	for _, p := range m.charts {
		m.panes = append(m.panes, p)
	}
	check := "" // the drift pane offers the migration check only where there is one
	if m.action.Has(CheckAction) {
		check = CheckAction
	}
	km := m.keys
	m.dbPane = dbpane.New(c, dbpane.Options{Source: env.Database.Source, Thresholds: env.DBThresholds, Problem: cmp.Or(env.Database.Problem, m.envErr),
		Target: env.Database.Target, Scrubber: env.Scrubber,
		Hints: dbpane.Hints{Browse: km.hint("filter", "sort", "reverse", "cancel_query", "terminate_session", "db_view") + " · " + km.key("close") + " back",
			Typing:     "type to filter · " + km.key("select") + " keep · " + km.key("close") + " clear",
			Locks:      km.hint("up", "down", "cancel_query", "terminate_session", "db_view") + " · " + km.key("close") + " back",
			Statements: km.hint("up", "down", "db_view") + " · " + km.key("close") + " back"}})
	m.driftPane = driftpane.New(c, driftpane.Options{Source: env.Migrations.Source, Drift: env.Drift.Source, Check: check,
		Hints:   driftpane.Hints{Zoom: km.key("zoom"), Check: km.key("run_check")},
		Problem: cmp.Or(m.envErr, "no Alembic project and no schema reference: set alembic.dir (or ALEMBIC_DIR) and schema_reference"),
		Target:  env.Migrations.Target, Scrubber: env.Scrubber})
	m.panes = append(m.panes, m.dbPane,
		cachepane.New(c, cachepane.Options{Source: env.Cache.Source, Problem: cmp.Or(env.Cache.Problem, m.envErr),
			Target: env.Cache.Target, Scrubber: env.Scrubber, QueueThresholds: env.QueueThresholds, MemoryThresholds: env.MemoryThresholds}),
		m.driftPane)
	m.celeryPane = nil
	if env.Celery.Source != nil { // a pane only where there is a Celery to show
		m.celeryPane = celerypane.New(c, celerypane.Options{Source: env.Celery.Source, Target: env.Celery.Target, Scrubber: env.Scrubber,
			QueueThresholds: env.QueueThresholds,
			Hint:            km.hint("up", "down", "celery_purge", "celery_revoke", "celery_terminate", "celery_retry") + " · " + km.key("close") + " back"})
		m.panes = append(m.panes, m.celeryPane)
	}
	if env.SLOs.Source != nil {
		m.panes = append(m.panes, slopane.New(c, slopane.Options{Source: env.SLOs.Source, Target: env.SLOs.Target, Scrubber: env.Scrubber}))
	}
	m.alerts = alertstrip.New(c, env.Metrics.Source, env.Alerting.Source, env.Scrubber)
	m.strip = m.newStrip()
	co := changes.Options{Scrubber: env.Scrubber, Deploys: env.Deploys}
	if src, ok := env.Metrics.Source.(sources.Changes); ok {
		co.Source = src
	}
	if read, name := m.deps.AuditMarks, env.Name; read != nil && m.envErr == "" {
		co.Audit = func(ctx context.Context) ([]sources.Mark, error) { return read(ctx, name) }
	}
	if read, name := m.deps.NoteMarks, env.Name; read != nil && m.envErr == "" {
		co.Notes = func(ctx context.Context) ([]sources.Mark, error) { return read(ctx, name) }
	}
	m.changes = changes.New(c, co)
	m.timeline.SetMarks(nil, "") // another environment's changes are not this one's
	m.route()
	if m.focus >= len(m.panes) {
		m.focus = 0
	}
	m.started = false
}

// metricPanes are a pane per signal, each read for the focus (every value
// of the breakdown's label, or one).
func (m *Model) metricPanes() []*metricpane.Model {
	env, c := m.env, m.paneContext
	source := "prometheus"
	if _, direct := env.Metrics.Source.(sources.Sampler); direct {
		source = "/metrics"
	}
	var out []*metricpane.Model
	for _, spec := range env.Signals {
		spec, err := sources.Narrowed(spec, m.narrow)
		if err != nil {
			m.flash = err.Error()
		}
		out = append(out, metricpane.New(c, metricpane.Options{
			Spec: spec, Source: env.Metrics.Source, Problem: cmp.Or(env.Metrics.Problem, m.envErr),
			Target: env.Metrics.Target, Scrubber: env.Scrubber, SourceName: source, Narrowing: m.narrow.String(),
		}))
	}
	return out
}

// route maps pane IDs to panes, for the results each pane's fetches bring.
func (m *Model) route() {
	m.byID = map[string]pane.Pane{m.alerts.ID(): m.alerts, m.changes.ID(): m.changes}
	for _, p := range m.panes {
		m.byID[p.ID()] = p
	}
	if m.strip != nil {
		m.byID[m.strip.ID()] = m.strip
	}
}

// setNarrow narrows every metric pane to f (the zero Narrowing: every value):
// the metric panes are made again for it and read their whole window anew.
func (m *Model) setNarrow(f sources.Narrowing) tea.Cmd {
	m.narrow = f
	m.charts = m.metricPanes()
	for i, p := range m.charts {
		m.panes[i] = p
	}
	m.strip = m.newStrip()
	m.route()
	cmds := []tea.Cmd{m.layout(), m.stripDo(nil)}
	for _, p := range m.charts {
		cmds = append(cmds, p.Start())
	}
	return tea.Batch(cmds...)
}

// Init starts the clock; polling starts with the first window size, so that
// the first fetch already asks for as many points as the charts can draw.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{m.tickClock()}
	if o, ok := m.top().(*overviewScreen); ok && o.model != nil {
		cmds = append(cmds, o.model.Start())
	}
	if len(m.deps.Notices) > 0 {
		cmds = append(cmds, m.setNotice("⚠ "+strings.Join(m.deps.Notices, " · ")))
	}
	return tea.Batch(cmds...)
}

// tickClock schedules the next redraw of the clock: every second while some
// pane shows a moving age (a failing or late source), else at the next minute.
func (m *Model) tickClock() tea.Cmd {
	now := m.deps.Now()
	d := now.Truncate(time.Minute).Add(time.Minute).Sub(now)
	if m.ticking() {
		d = now.Truncate(time.Second).Add(time.Second).Sub(now)
	}
	return m.deps.After(d, clockTick{})
}

// ticking reports whether anything on screen changes every second.
func (m *Model) ticking() bool {
	if o, ok := m.top().(*overviewScreen); ok && o.model != nil {
		return o.model.Ticking()
	}
	for _, p := range append([]pane.Pane{m.alerts}, m.panes...) {
		if p.Ticking() {
			return true
		}
	}
	return m.action.Running()
}

func (m *Model) start() tea.Cmd {
	if m.started || m.w == 0 || m.overviewUp() {
		return nil // the overview shown first: the panes start when it closes
	}
	m.started = true
	cmds := []tea.Cmd{m.alerts.Start(), m.changes.Start(), m.stripDo(nil)}
	for _, p := range m.panes {
		cmds = append(cmds, p.Start())
	}
	return tea.Batch(cmds...)
}

// update handles a message: keys and sizes here, pane messages routed by
// ID (Update, in hold.go, holds the frame around it).
func (m *Model) update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
		resized := m.layout()
		if !m.started {
			return m, m.start()
		}
		return m, resized
	case tea.KeyPressMsg:
		return m, m.handleKey(msg)
	case tea.PasteMsg:
		if m.scope() == binding.Typing && !m.action.Active() {
			if l, ok := m.top().(*logsScreen); ok {
				return m, l.model.Type(msg)
			}
			if n, ok := m.top().(*noteScreen); ok {
				return m, n.paste(msg)
			}
			return m, m.dbPane.Type(msg)
		}
		return m, nil
	case clockTick:
		return m, m.tickClock()
	case noticeExpired:
		if m.notice != "" && !m.deps.Now().Before(m.noticeUntil) {
			m.notice = ""
		}
		return m, nil
	case reportDone:
		m.reporting = false
		if msg.err != nil {
			return m, m.setNotice("⚠ report: " + m.env.Scrubber.Error(msg.err))
		}
		return m, m.setNotice("report written to " + msg.path)
	case noteSaved:
		return m, m.noteSaved(msg)
	case pane.RunAction:
		cmd, _ := m.action.PressName(msg.Name)
		return m, cmd
	case pane.Routed:
		p, ok := m.byID[msg.PaneID()]
		if !ok {
			return m, nil // a result from an environment we left: dropped
		}
		cmd := p.Update(msg)
		if p == m.changes || p == pane.Pane(m.driftPane) {
			m.noteChanges()
		}
		return m, cmd
	}
	for i := len(m.stack) - 1; i >= 0; i-- {
		if cmd, ok := m.stack[i].update(msg); ok {
			return m, cmd
		}
	}
	// A result of a screen closed or replaced before its answer came falls
	// through here: dropped.
	if actionpane.Msg(msg) {
		cmd := m.action.Update(msg)
		if m.action.QuitNow() {
			return m, m.quit()
		}
		return m, cmd
	}
	return m, nil
}

// noteChanges passes the database's revision to the gatherer of changes (a
// migration is a revision that moved between two polls) and the marks to
// the charts.
func (m *Model) noteChanges() {
	if rev, ok := m.driftPane.Revision(); ok {
		m.changes.Observe(rev, m.deps.Now())
	}
	m.timeline.SetMarks(m.changes.Marks(), m.changes.Problem())
}

// setZoom zooms the focused pane in (a screen pushed) or out (popped).
func (m *Model) setZoom(z bool) tea.Cmd {
	switch _, top := m.top().(zoomScreen); {
	case z && !m.zoomed():
		m.push(zoomScreen{})
		return m.zoomChanged(true)
	case !z && top:
		return m.pop()
	}
	return nil
}

// zoomChanged lays the body out for the zoom; a pane with a drill-down is told.
func (m *Model) zoomChanged(z bool) tea.Cmd {
	cmds := []tea.Cmd{m.layout()}
	if zp, ok := m.panes[m.focus].(pane.Zoomer); ok {
		cmds = append(cmds, zp.SetZoomed(z))
	}
	return tea.Batch(cmds...)
}

// moveFocus moves focus by delta (mod the pane count); a zoomed view follows it.
func (m *Model) moveFocus(delta int) tea.Cmd {
	var cmds []tea.Cmd
	zoomed := m.zoomed()
	if zp, ok := m.panes[m.focus].(pane.Zoomer); ok && zoomed {
		cmds = append(cmds, zp.SetZoomed(false))
	}
	m.focus = (m.focus + delta) % len(m.panes)
	if zp, ok := m.panes[m.focus].(pane.Zoomer); ok && zoomed {
		cmds = append(cmds, zp.SetZoomed(true))
	}
	return tea.Batch(append(cmds, m.layout())...)
}

// refreshMetrics fetches the metric panes again (the timeline changed).
func (m *Model) refreshMetrics() tea.Cmd {
	var cmds []tea.Cmd
	for _, p := range m.charts {
		cmds = append(cmds, p.Update(poll.Refresh{}))
	}
	return tea.Batch(append(cmds, m.changes.Update(poll.Refresh{}), m.stripDo(poll.Refresh{}))...)
}

// cursorGrid is the chart grid of the focused metric pane (or the first):
// the cursor steps one of its points, landing on a point of every pane the
// same width.
func (m *Model) cursorGrid() (origin time.Time, step time.Duration) {
	if len(m.charts) > 0 {
		p := m.charts[0]
		if m.focus < len(m.charts) {
			p = m.charts[m.focus]
		}
		if origin, step = p.Grid(); step > 0 {
			return origin, step
		}
	}
	return time.Time{}, m.timeline.Window / 60
}

// zoomWindow makes the chart window shorter (-1) or longer (+1).
func (m *Model) zoomWindow(delta int) tea.Cmd {
	if !m.timeline.Zoom(delta) {
		m.flash = "the chart window is at its limit (" + units.Span(m.timeline.Window) + ")"
		return nil
	}
	return m.refreshMetrics()
}

// moveCursor steps the time cursor by one chart point (pausing first).
func (m *Model) moveCursor(dir int) tea.Cmd {
	origin, step := m.cursorGrid()
	m.timeline.MoveCursor(m.deps.Now(), time.Duration(dir)*step, origin)
	return nil
}

// writeReport writes the Markdown report in the background; one at a time.
func (m *Model) writeReport() tea.Cmd {
	if m.deps.Report == nil {
		return m.setNotice("reports are not available here")
	}
	if m.reporting {
		return nil
	}
	m.reporting = true
	// The report reads what the panes read: the focus included.
	env := *m.env
	env.Narrowing, env.Signals, env.Marks, env.MarksWindow = m.narrow, nil, m.timeline.Marks, m.timeline.Window
	for _, p := range m.charts {
		env.Signals = append(env.Signals, p.Spec())
	}
	report, base := m.deps.Report, m.paneContext.Base
	return tea.Batch(m.setNotice("writing the report…"), func() tea.Msg {
		ctx, cancel := context.WithTimeout(base, pane.FetchGuard)
		defer cancel()
		path, err := report(ctx, &env)
		return reportDone{path: path, err: err}
	})
}

// noticeExpired clears the footer notice once its time is up.
type noticeExpired struct{}

func (m *Model) setNotice(s string) tea.Cmd {
	m.notice, m.noticeUntil = s, m.deps.Now().Add(noticeFor)
	return m.deps.After(noticeFor, noticeExpired{})
}

// broadcastRefresh is the one message every pane receives.
func (m *Model) broadcastRefresh() tea.Cmd {
	cmds := []tea.Cmd{m.alerts.Update(poll.Refresh{}), m.stripDo(poll.Refresh{})}
	for _, p := range m.panes {
		cmds = append(cmds, p.Update(poll.Refresh{}))
	}
	return tea.Batch(cmds...)
}

func (m *Model) currentEnvIndex() int {
	for i, e := range m.deps.Environments {
		if e.Name == m.env.Name {
			return i
		}
	}
	return 0
}

func (m *Model) quit() tea.Cmd {
	for _, s := range m.stack {
		if o, ok := s.(*overviewScreen); ok {
			o.close(m)
		}
	}
	if m.cancel != nil {
		m.cancel()
	}
	if m.env != nil && m.env.Close != nil {
		m.env.Close()
		m.env.Close = nil
	}
	return tea.Quit
}

// Loaded reports whether every pane has its first data (or error): the
// first complete frame.
func (m *Model) Loaded() bool {
	if !m.started || !m.alerts.Loaded() {
		return false
	}
	for _, p := range m.panes {
		if !p.Loaded() {
			return false
		}
	}
	return true
}

// TraceOverlay is the trace list's (or open trace's) key in PaneTexts.
const TraceOverlay = "trace list"

// AlertsOverlay is the alerts view's key in PaneTexts.
const AlertsOverlay = "alerts view"

// OverviewScreen is the overview's key in PaneTexts.
const OverviewScreen = "overview"

// LogsView is PaneTexts' key for the logs view, when it is open.
const LogsView = "logs view"

// PaneTexts is each pane's text as drawn, by title, without colour (and the
// trace list's, while open): what a fault test reads to know what one pane
// says, which the screen interleaves with its neighbours' lines.
func (m *Model) PaneTexts() map[string]string {
	out := make(map[string]string, len(m.panes)+1)
	out[m.alerts.Title()] = ansi.Strip(strings.Join(m.alerts.View(false), "\n"))
	for _, p := range m.panes {
		out[p.Title()] = ansi.Strip(strings.Join(p.View(false), "\n"))
	}
	if t, ok := find[*tracesScreen](m); ok {
		out[TraceOverlay] = ansi.Strip(strings.Join(t.model.View(m.paneContext.Styles), "\n"))
	}
	if a, ok := find[*alertsScreen](m); ok {
		out[AlertsOverlay] = ansi.Strip(strings.Join(a.model.View(m.paneContext.Styles), "\n"))
	}
	if o, ok := find[*overviewScreen](m); ok && o.model != nil {
		out[OverviewScreen] = ansi.Strip(strings.Join(o.model.View(), "\n"))
	}
	if l, ok := find[*logsScreen](m); ok {
		out[LogsView] = ansi.Strip(strings.Join(l.model.View(m.paneContext.Styles), "\n"))
	}
	return out
}

// failing counts panes whose source is failing, for the header.
func (m *Model) failing() int {
	n := 0
	for _, p := range append([]pane.Pane{m.alerts}, m.panes...) {
		if p.Failing() {
			n++
		}
	}
	return n
}
