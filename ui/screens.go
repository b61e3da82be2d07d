package ui

import (
	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/ui/alertsview"
	"github.com/opsdeck/opsdeck/ui/binding"
	"github.com/opsdeck/opsdeck/ui/breakdown"
	"github.com/opsdeck/opsdeck/ui/overview"
	"github.com/opsdeck/opsdeck/ui/traces"
)

// screen is one layer of the console's stack. At the bottom is the console
// (one environment's panes) or the overview of every environment; over it
// whatever was opened since: a zoomed pane, a breakdown, the trace list,
// the alerts view, the help, the environment picker. The top screen has
// the keys: its scope picks the bindings that act (see Bindings), and esc
// asks it first.
type screen interface {
	// scope is where keys go while the screen is on top.
	scope(m *Model) binding.Scope
	// escape handles esc inside the screen (an open trace back to its
	// list, a filter cleared) and reports whether it did; when it did not,
	// esc pops the screen.
	escape(m *Model) (tea.Cmd, bool)
	// update takes a result of the screen's own fetches; ok is false when
	// msg is not one of its kind.
	update(msg tea.Msg) (cmd tea.Cmd, ok bool)
	// draw is the screen over the frame under it (the console's frame).
	draw(m *Model, under string) string
	// resize fits the screen to the terminal's size.
	resize(w, h int)
	// close ends what the screen runs; the stack no longer holds it.
	close(m *Model) tea.Cmd
}

// Optional parts of a screen, for the bindings that act on several screens
// alike ("up" moves in whichever list is on top).
type (
	refresher interface{ refresh(m *Model) tea.Cmd }
	mover     interface {
		move(m *Model, delta int) bool
	}
	chooser interface{ choose(m *Model) tea.Cmd }
	typist  interface {
		typeKey(m *Model, k tea.KeyPressMsg) tea.Cmd
	}
)

// top is the screen that has the keys.
func (m *Model) top() screen { return m.stack[len(m.stack)-1] }

// push opens s over the screens there are.
func (m *Model) push(s screen) {
	m.stack = append(m.stack, s)
	s.resize(m.w, m.h)
}

// pop closes the top screen and uncovers the one under it; the last screen
// stays.
func (m *Model) pop() tea.Cmd {
	if len(m.stack) < 2 {
		return nil
	}
	s := m.top()
	m.stack[len(m.stack)-1] = nil
	m.stack = m.stack[:len(m.stack)-1]
	return tea.Batch(s.close(m), m.uncovered(s))
}

// uncovered wakes the screen under gone: a dormant overview reads every
// environment again; the console uncovered by the overview reads its
// sources at once.
func (m *Model) uncovered(gone screen) tea.Cmd {
	switch t := m.top().(type) {
	case *overviewScreen:
		if t.model != nil {
			return nil
		}
		t.model = m.newOverview()
		m.modeChanged()
		return t.model.Start()
	default:
		if _, was := gone.(*overviewScreen); !was {
			return nil
		}
		m.modeChanged()
		if !m.started {
			return m.start()
		}
		return m.broadcastRefresh()
	}
}

// find is the topmost screen of type T on the stack.
func find[T screen](m *Model) (T, bool) {
	for i := len(m.stack) - 1; i >= 0; i-- {
		if s, ok := m.stack[i].(T); ok {
			return s, true
		}
	}
	var zero T
	return zero, false
}

// resetStack closes every screen over the base (an environment switch):
// what remains is the console, over the overview when that was the base.
func (m *Model) resetStack() {
	for len(m.stack) > 0 {
		s := m.stack[len(m.stack)-1]
		if _, base := s.(*overviewScreen); base && len(m.stack) == 1 {
			if ov := s.(*overviewScreen); ov.model != nil {
				ov.model.Close()
				ov.model = nil // dormant under the console
			}
			break
		}
		m.stack = m.stack[:len(m.stack)-1]
		s.close(m)
	}
	m.stack = append(m.stack, consoleScreen{})
}

// zoomed reports whether the focused pane fills the body.
func (m *Model) zoomed() bool {
	_, ok := find[zoomScreen](m)
	return ok
}

// overviewUp reports whether the overview is shown (and reading).
func (m *Model) overviewUp() bool {
	o, ok := m.top().(*overviewScreen)
	return ok && o.model != nil
}

// consoleScreen is one environment's panes: the Model's own state.
type consoleScreen struct{}

func (consoleScreen) scope(*Model) binding.Scope { return binding.Main }

// escape clears the time cursor, then the narrowed label; when neither is
// set, esc pops the console (back to the overview under it, if any).
func (consoleScreen) escape(m *Model) (tea.Cmd, bool) {
	if !m.timeline.Cursor.IsZero() {
		m.timeline.ClearCursor() // the cursor goes first; pause stays
		return nil, true
	}
	if m.narrow.Label != "" {
		return m.clearNarrow(), true
	}
	return nil, false
}

func (consoleScreen) update(tea.Msg) (tea.Cmd, bool)     { return nil, false }
func (consoleScreen) draw(_ *Model, under string) string { return under }
func (consoleScreen) resize(int, int)                    {}
func (consoleScreen) close(*Model) tea.Cmd               { return nil }
func (consoleScreen) refresh(m *Model) tea.Cmd           { return m.broadcastRefresh() }

// zoomScreen is the focused pane over the whole body, with its drill-down.
type zoomScreen struct{}

func (zoomScreen) scope(m *Model) binding.Scope {
	switch {
	case m.focused(m.dbPane) && m.dbPane.Capturing():
		return binding.Typing
	case m.focused(m.dbPane):
		return binding.Postgres
	case m.focused(m.driftPane):
		return binding.Drift
	case m.celeryPane != nil && m.focused(m.celeryPane):
		return binding.Celery
	}
	return binding.Main
}

// escape clears the Postgres filter before it unzooms, and the time cursor
// as on the main screen.
func (zoomScreen) escape(m *Model) (tea.Cmd, bool) {
	if m.focused(m.dbPane) && (m.dbPane.Capturing() || m.dbPane.ClearFilter()) {
		m.dbPane.ClearFilter()
		return nil, true
	}
	if !m.timeline.Cursor.IsZero() {
		m.timeline.ClearCursor()
		return nil, true
	}
	return nil, false
}

func (zoomScreen) update(tea.Msg) (tea.Cmd, bool)     { return nil, false }
func (zoomScreen) draw(_ *Model, under string) string { return under }
func (zoomScreen) resize(int, int)                    {}
func (zoomScreen) close(m *Model) tea.Cmd             { return m.zoomChanged(false) }
func (zoomScreen) refresh(m *Model) tea.Cmd           { return m.broadcastRefresh() }

func (zoomScreen) move(m *Model, delta int) bool {
	switch {
	case m.focused(m.dbPane):
		m.dbPane.Move(delta)
	case m.celeryPane != nil && m.focused(m.celeryPane):
		m.celeryPane.Move(delta)
	default:
		return false
	}
	return true
}

// choose keeps the typed filter.
func (zoomScreen) choose(m *Model) tea.Cmd {
	if m.focused(m.dbPane) {
		m.dbPane.KeepFilter()
	}
	return nil
}

func (zoomScreen) typeKey(m *Model, k tea.KeyPressMsg) tea.Cmd { return m.dbPane.Type(k) }

// overviewScreen is every environment at a glance. Under a console opened
// from it, it is dormant (model nil: nothing read) until uncovered.
type overviewScreen struct{ model *overview.Model }

func (*overviewScreen) scope(*Model) binding.Scope { return binding.Overview }

// escape at the bottom of the stack swaps the overview for the console of
// the environment it had; over a console, esc pops it.
func (o *overviewScreen) escape(m *Model) (tea.Cmd, bool) {
	if len(m.stack) > 1 {
		return nil, false
	}
	return m.leaveOverview(""), true
}

func (o *overviewScreen) update(msg tea.Msg) (tea.Cmd, bool) {
	if o.model == nil || !overview.Msg(msg) {
		return nil, false
	}
	return o.model.Update(msg), true
}

// draw is the overview, or what is under it while it is dormant (closed,
// reading nothing: the console was opened from it).
func (o *overviewScreen) draw(m *Model, under string) string {
	if o.model == nil {
		return under
	}
	return m.overviewFrame(o.model)
}

func (o *overviewScreen) resize(w, h int) {
	if o.model != nil {
		o.model.SetSize(w, max(h-2, 1))
	}
}

func (o *overviewScreen) close(m *Model) tea.Cmd {
	if o.model != nil {
		o.model.Close()
		o.model = nil
	}
	return nil
}

func (o *overviewScreen) refresh(*Model) tea.Cmd    { return o.model.Refresh() }
func (o *overviewScreen) move(_ *Model, d int) bool { o.model.Move(d); return true }

// choose opens the selected environment's console over the overview.
func (o *overviewScreen) choose(m *Model) tea.Cmd { return m.leaveOverview(o.model.Selected()) }

// breakdownScreen is a metric pane's signal split by a label.
type breakdownScreen struct{ model *breakdown.Model }

func (*breakdownScreen) scope(*Model) binding.Scope      { return binding.Breakdown }
func (*breakdownScreen) escape(*Model) (tea.Cmd, bool)   { return nil, false }
func (b *breakdownScreen) resize(w, h int)               { b.model.SetSize(min(w-4, 120), h-6) }
func (*breakdownScreen) close(*Model) tea.Cmd            { return nil }
func (b *breakdownScreen) refresh(*Model) tea.Cmd        { return b.model.Fetch() }
func (b *breakdownScreen) move(_ *Model, delta int) bool { b.model.Move(delta); return true }
func (b *breakdownScreen) update(msg tea.Msg) (tea.Cmd, bool) {
	if !breakdown.Msg(msg) {
		return nil, false
	}
	return b.model.Update(msg), true
}

func (b *breakdownScreen) draw(m *Model, under string) string {
	st := m.deps.Styles
	return m.compose(under, m.box(titled(st, b.model.Title(), b.model.View(st))))
}

// choose narrows the metric panes to the selected value.
func (b *breakdownScreen) choose(m *Model) tea.Cmd { return m.narrowTo(b.model) }

// tracesScreen is a metric pane's traced requests, or one trace opened.
type tracesScreen struct{ model *traces.Model }

func (*tracesScreen) scope(*Model) binding.Scope { return binding.Traces }

// escape goes back from an open trace to the list.
func (t *tracesScreen) escape(*Model) (tea.Cmd, bool) { return nil, t.model.Back() }
func (t *tracesScreen) resize(w, h int)               { t.model.SetSize(min(w-4, 140), h-6) }
func (*tracesScreen) close(*Model) tea.Cmd            { return nil }
func (t *tracesScreen) refresh(*Model) tea.Cmd        { return t.model.Fetch() }
func (t *tracesScreen) move(_ *Model, d int) bool     { t.model.Move(d); return true }
func (t *tracesScreen) update(msg tea.Msg) (tea.Cmd, bool) {
	if !traces.Msg(msg) {
		return nil, false
	}
	return t.model.Update(msg), true
}

func (t *tracesScreen) draw(m *Model, under string) string {
	st := m.deps.Styles
	return m.compose(under, m.box(titled(st, t.model.Title(), t.model.View(st))))
}

// choose opens the selected trace.
func (t *tracesScreen) choose(m *Model) tea.Cmd {
	if t.model.Opened() {
		return nil // enter on a span: its attributes already show
	}
	cmd, say := t.model.Open()
	if say != "" {
		// The trace id (or its page) stays on screen to be copied.
		return m.setNotice(say)
	}
	m.layout()
	return cmd
}

// alertsScreen is Alertmanager's alerts and silences, and the silence form.
type alertsScreen struct{ model *alertsview.Model }

func (a *alertsScreen) scope(*Model) binding.Scope {
	if a.model.Form() != nil {
		return binding.Typing
	}
	return binding.Alerts
}

// escape closes the silence form (nothing was sent) before the view.
func (a *alertsScreen) escape(*Model) (tea.Cmd, bool) {
	if a.model.Form() != nil {
		a.model.CloseForm()
		return nil, true
	}
	return nil, false
}

func (a *alertsScreen) resize(w, h int)           { a.model.SetSize(min(w-4, 150), h-6) }
func (*alertsScreen) close(*Model) tea.Cmd        { return nil }
func (a *alertsScreen) move(_ *Model, d int) bool { a.model.Move(d); return true }
func (a *alertsScreen) refresh(m *Model) tea.Cmd {
	return tea.Batch(a.model.Fetch(), m.broadcastRefresh())
}

func (a *alertsScreen) update(msg tea.Msg) (tea.Cmd, bool) {
	if !alertsview.Msg(msg) {
		return nil, false
	}
	return a.model.Update(msg), true
}

func (a *alertsScreen) draw(m *Model, under string) string {
	st := m.deps.Styles
	return m.compose(under, m.box(titled(st, a.model.Title(), a.model.View(st))))
}

func (a *alertsScreen) choose(m *Model) tea.Cmd {
	if a.model.Form() == nil {
		return nil
	}
	return m.submitSilence(a.model)
}

func (a *alertsScreen) typeKey(_ *Model, k tea.KeyPressMsg) tea.Cmd {
	if f := a.model.Form(); f != nil {
		return f.Type(k)
	}
	return nil
}

// helpScreen lists every key; any key but interrupt closes it.
type helpScreen struct{}

func (helpScreen) scope(*Model) binding.Scope         { return binding.Main }
func (helpScreen) escape(*Model) (tea.Cmd, bool)      { return nil, false }
func (helpScreen) update(tea.Msg) (tea.Cmd, bool)     { return nil, false }
func (helpScreen) draw(m *Model, under string) string { return m.compose(under, m.helpBox()) }
func (helpScreen) resize(int, int)                    {}
func (helpScreen) close(*Model) tea.Cmd               { return nil }

// pickerScreen is the environment picker; cursor is the environment
// under the cursor.
type pickerScreen struct{ cursor int }

func (*pickerScreen) scope(*Model) binding.Scope     { return binding.Picker }
func (*pickerScreen) escape(*Model) (tea.Cmd, bool)  { return nil, false }
func (*pickerScreen) update(tea.Msg) (tea.Cmd, bool) { return nil, false }
func (p *pickerScreen) draw(m *Model, under string) string {
	return m.compose(under, m.envBox(p.cursor))
}
func (*pickerScreen) resize(int, int)      {}
func (*pickerScreen) close(*Model) tea.Cmd { return nil }

func (p *pickerScreen) move(m *Model, delta int) bool {
	n := len(m.deps.Environments)
	p.cursor = (p.cursor + n + delta) % n
	return true
}

// choose switches to the environment under the cursor.
func (p *pickerScreen) choose(m *Model) tea.Cmd {
	m.pop()
	name := m.deps.Environments[p.cursor].Name
	if name == m.env.Name {
		return nil
	}
	m.openEnv(name)
	m.layout()
	return m.start()
}
