package ui

import (
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/alertsview"
	"github.com/opsdeck/opsdeck/ui/binding"
	"github.com/opsdeck/opsdeck/ui/breakdown"
	"github.com/opsdeck/opsdeck/ui/celerypane"
	"github.com/opsdeck/opsdeck/ui/dbpane"
	"github.com/opsdeck/opsdeck/ui/driftpane"
	"github.com/opsdeck/opsdeck/ui/logsview"
	"github.com/opsdeck/opsdeck/ui/pane"
	"github.com/opsdeck/opsdeck/ui/traces"
)

// Binding is one key binding of the console: what it is (name, default keys,
// scopes, help) and what it does. Handler runs when one of its keys is
// pressed in one of its scopes; Disabled, when set, says why the key does
// nothing now ("" when it acts), and that reason is shown instead.
type Binding struct {
	binding.Spec
	Handler  func(m *Model, k tea.KeyPressMsg) tea.Cmd
	Disabled func(m *Model) string
}

// Bindings is the console's one list of bindings, in help order. The footer,
// the help overlay, the README's key table, the configuration's check of
// keys: and the dispatch of every key press all read it.
func Bindings() []Binding {
	main, lists := []binding.Scope{binding.Main}, []binding.Scope{binding.Picker, binding.Overlay, binding.Breakdown, binding.Traces, binding.Alerts, binding.Overview, binding.Logs}
	every := []binding.Scope{binding.Main, binding.Postgres, binding.Drift, binding.Picker, binding.Overlay, binding.Typing, binding.Breakdown, binding.Traces, binding.Alerts, binding.Overview, binding.Logs}
	list := []Binding{
		{Spec: binding.Spec{Name: "focus", Keys: []string{"tab"}, Scopes: main, Help: "focus", Group: "Navigate", Footer: true},
			Handler: func(m *Model, _ tea.KeyPressMsg) tea.Cmd { return m.moveFocus(1) }},
		{Spec: binding.Spec{Name: "focus_back", Keys: []string{"shift+tab"}, Scopes: main, Help: "focus back", Group: "Navigate"},
			Handler: func(m *Model, _ tea.KeyPressMsg) tea.Cmd { return m.moveFocus(len(m.panes) - 1) }},
		{Spec: binding.Spec{Name: "zoom", Keys: []string{"enter", "z"}, Scopes: main, Help: "zoom", Group: "Navigate", Footer: true},
			Handler: func(m *Model, _ tea.KeyPressMsg) tea.Cmd { return m.setZoom(!m.zoomed()) }},
		{Spec: binding.Spec{Name: "next_page", Keys: []string{"]"}, Scopes: main, Help: "next page of panes", Group: "Navigate", Footer: true},
			Handler: func(m *Model, _ tea.KeyPressMsg) tea.Cmd { return m.turnPage(1) }, Disabled: (*Model).onePage},
		{Spec: binding.Spec{Name: "previous_page", Keys: []string{"["}, Scopes: main, Help: "previous page of panes", Group: "Navigate"},
			Handler: func(m *Model, _ tea.KeyPressMsg) tea.Cmd { return m.turnPage(-1) }, Disabled: (*Model).onePage},
		{Spec: binding.Spec{Name: "close", Keys: []string{"esc"}, Scopes: every, Help: "unzoom / close / clear", Group: "Navigate"},
			Handler: (*Model).close},
		{Spec: binding.Spec{Name: "refresh", Keys: []string{"r"}, Scopes: []binding.Scope{binding.Main, binding.Breakdown, binding.Traces, binding.Alerts, binding.Overview, binding.Logs}, Help: "refresh", Group: "Data", Footer: true},
			Handler: func(m *Model, _ tea.KeyPressMsg) tea.Cmd {
				if r, ok := m.top().(refresher); ok {
					return r.refresh(m)
				}
				return nil
			}},
		{Spec: binding.Spec{Name: "breakdown", Keys: []string{"b"}, Scopes: main, Help: "split by a label (breakdown)", Group: "Data"},
			Handler: func(m *Model, _ tea.KeyPressMsg) tea.Cmd { return m.openBreakdown() }, Disabled: (*Model).noBreakdown},
		{Spec: binding.Spec{Name: "traces", Keys: []string{"t"}, Scopes: main, Help: "traced requests (exemplars)", Group: "Data"},
			Handler: func(m *Model, _ tea.KeyPressMsg) tea.Cmd { return m.openTraces() }, Disabled: (*Model).noTraces},
		{Spec: binding.Spec{Name: "logs", Keys: []string{"L"}, Scopes: []binding.Scope{binding.Main, binding.Traces}, Help: "logs of what is shown", Group: "Data"},
			Handler: func(m *Model, _ tea.KeyPressMsg) tea.Cmd { return m.openLogs() }, Disabled: (*Model).noLogs},
		{Spec: binding.Spec{Name: "overview", Keys: []string{"o"}, Scopes: main, Help: "overview of every environment", Group: "Data", Footer: true},
			Handler: func(m *Model, _ tea.KeyPressMsg) tea.Cmd { return m.openOverview() }},
		{Spec: binding.Spec{Name: "alerts", Keys: []string{"A"}, Scopes: main, Help: "alerts and silences", Group: "Data"},
			Handler: func(m *Model, _ tea.KeyPressMsg) tea.Cmd { return m.openAlerts() }, Disabled: (*Model).noAlertmanager},
		{Spec: binding.Spec{Name: "environment", Keys: []string{"e"}, Scopes: []binding.Scope{binding.Main, binding.Picker}, Help: "environment", Group: "Data", Footer: true},
			Handler: (*Model).environment,
			Disabled: func(m *Model) string {
				if len(m.deps.Environments) < 2 {
					return "only one environment is configured"
				}
				return ""
			}},
		{Spec: binding.Spec{Name: "pause", Keys: []string{"p", "space"}, Scopes: main, Help: "pause", Group: "Time", Footer: true},
			Handler: func(m *Model, _ tea.KeyPressMsg) tea.Cmd {
				if m.timeline.Paused {
					m.timeline.Resume()
					return m.refreshMetrics()
				}
				m.timeline.Pause(m.deps.Now())
				return nil
			}},
		{Spec: binding.Spec{Name: "report", Keys: []string{"w"}, Scopes: main, Help: "write report", Group: "Data", Footer: true},
			Handler: func(m *Model, _ tea.KeyPressMsg) tea.Cmd { return m.writeReport() },
			Disabled: func(m *Model) string {
				switch {
				case m.deps.Report == nil:
					return "reports are not available here"
				case m.reporting:
					return "a report is being written"
				}
				return ""
			}},
		{Spec: binding.Spec{Name: "window_shorter", Keys: []string{"+", "="}, Scopes: main, Help: "shorter chart window", Group: "Time"},
			Handler: func(m *Model, _ tea.KeyPressMsg) tea.Cmd { return m.zoomWindow(-1) }},
		{Spec: binding.Spec{Name: "window_longer", Keys: []string{"-"}, Scopes: main, Help: "longer chart window", Group: "Time"},
			Handler: func(m *Model, _ tea.KeyPressMsg) tea.Cmd { return m.zoomWindow(+1) }},
		{Spec: binding.Spec{Name: "compare", Keys: []string{"g"}, Scopes: main, Help: "ghost line: 1d, 7d, off", Group: "Time"},
			Handler: func(m *Model, _ tea.KeyPressMsg) tea.Cmd {
				m.timeline.CycleCompare()
				return m.refreshMetrics()
			},
			Disabled: func(m *Model) string {
				if m.env.Metrics.Source == nil {
					return "no metrics source to compare with the past"
				}
				return ""
			}},
		{Spec: binding.Spec{Name: "cursor_left", Keys: []string{"left", "h"}, Scopes: main, Help: "cursor back in time", Group: "Time"},
			Handler: func(m *Model, _ tea.KeyPressMsg) tea.Cmd { return m.moveCursor(-1) }, Disabled: noMetrics},
		{Spec: binding.Spec{Name: "cursor_right", Keys: []string{"right", "l"}, Scopes: main, Help: "cursor forward", Group: "Time"},
			Handler: func(m *Model, _ tea.KeyPressMsg) tea.Cmd { return m.moveCursor(+1) }, Disabled: noMetrics},
		{Spec: binding.Spec{Name: "help", Keys: []string{"?"}, Scopes: main, Help: "help", Group: "Console", Footer: true},
			Handler: func(m *Model, _ tea.KeyPressMsg) tea.Cmd { m.push(helpScreen{}); return nil }},
		{Spec: binding.Spec{Name: "quit", Keys: []string{"q"}, Scopes: []binding.Scope{binding.Main, binding.Overview}, Help: "quit", Group: "Console", Footer: true},
			Handler: func(m *Model, _ tea.KeyPressMsg) tea.Cmd { return m.quit() }},
		{Spec: binding.Spec{Name: "interrupt", Keys: []string{"ctrl+c"}, Scopes: every, Help: "quit from anywhere", Group: "Console"},
			Handler: (*Model).interrupt},
		{Spec: binding.Spec{Name: "migrate", Keys: []string{"m"}, Scopes: main, Help: "migrate", Group: "Actions", Single: true},
			Handler:  func(m *Model, _ tea.KeyPressMsg) tea.Cmd { cmd, _ := m.action.PressName("migrate"); return cmd },
			Disabled: func(m *Model) string { return m.action.Unavailable("migrate") }},
		{Spec: binding.Spec{Name: "reset", Keys: []string{"R"}, Scopes: main, Help: "reset", Group: "Actions", Single: true},
			Handler:  func(m *Model, _ tea.KeyPressMsg) tea.Cmd { cmd, _ := m.action.PressName("reset"); return cmd },
			Disabled: func(m *Model) string { return m.action.Unavailable("reset") }},
		{Spec: binding.Spec{Name: "cancel", Keys: []string{"x"}, Scopes: []binding.Scope{binding.Overlay}, Help: "cancel a running action", Group: "Actions"},
			Handler: (*Model).overlayKey},
	}
	list = append(list, noteBindings()...)
	console := consoleKeys()
	list = gather(list, dbpane.Bindings(), func(m *Model) *dbpane.Model { return m.dbPane }, console)
	list = gather(list, celerypane.Bindings(), func(m *Model) *celerypane.Model { return m.celeryPane }, console)
	list = gather(list, driftpane.Bindings(), func(m *Model) *driftpane.Model { return m.driftPane }, console)
	list = gather(list, breakdown.Bindings(), (*Model).breakdownView, console)
	list = gather(list, traces.Bindings(), (*Model).tracesView, console)
	list = gather(list, alertsview.Bindings(), (*Model).alertsView, console)
	list = gather(list, logsview.Bindings(), (*Model).logsView, console)
	return append(list, []Binding{
		{Spec: binding.Spec{Name: "up", Keys: []string{"up", "k"}, Scopes: append([]binding.Scope{binding.Postgres, binding.Celery}, lists...), Help: "up", Group: "In lists"},
			Handler: func(m *Model, k tea.KeyPressMsg) tea.Cmd { return m.listMove(k, -1) }},
		{Spec: binding.Spec{Name: "down", Keys: []string{"down", "j"}, Scopes: append([]binding.Scope{binding.Postgres, binding.Celery}, lists...), Help: "down", Group: "In lists"},
			Handler: func(m *Model, k tea.KeyPressMsg) tea.Cmd { return m.listMove(k, +1) }},
		{Spec: binding.Spec{Name: "page_up", Keys: []string{"pgup"}, Scopes: []binding.Scope{binding.Overlay, binding.Logs}, Help: "ten up", Group: "In lists"},
			Handler: func(m *Model, k tea.KeyPressMsg) tea.Cmd { return m.listMove(k, -10) }},
		{Spec: binding.Spec{Name: "page_down", Keys: []string{"pgdown"}, Scopes: []binding.Scope{binding.Overlay, binding.Logs}, Help: "ten down", Group: "In lists"},
			Handler: func(m *Model, k tea.KeyPressMsg) tea.Cmd { return m.listMove(k, +10) }},
		{Spec: binding.Spec{Name: "select", Keys: []string{"enter"}, Scopes: []binding.Scope{binding.Picker, binding.Overlay, binding.Typing, binding.Breakdown, binding.Traces, binding.Overview, binding.Logs}, Help: "choose / keep / open", Group: "In lists"},
			Handler: (*Model).choose},
	}...)
}

// consoleKeys are the handlers the console supplies for the keys panes and
// views declare without one (pane.Key's Do nil): what acts beyond the pane
// or view, through the console's actions, notices and screens.
func consoleKeys() map[string]Binding {
	return map[string]Binding{
		"cancel_query":      {Handler: func(m *Model, _ tea.KeyPressMsg) tea.Cmd { return m.signal(false) }, Disabled: (*Model).noSignal},
		"terminate_session": {Handler: func(m *Model, _ tea.KeyPressMsg) tea.Cmd { return m.signal(true) }, Disabled: (*Model).noSignal},
		"celery_purge":      celeryKey("purge"),
		"celery_revoke":     celeryKey("revoke"),
		"celery_terminate":  celeryKey("terminate"),
		"celery_retry":      celeryKey("retry"),
		"run_check": {Handler: func(m *Model, _ tea.KeyPressMsg) tea.Cmd {
			cmd, _ := m.action.PressName(m.driftPane.Check())
			return cmd
		},
			Disabled: func(m *Model) string {
				if m.driftPane.Check() == "" {
					return "this environment has no migration check (alembic.check_command)"
				}
				return m.action.Unavailable(m.driftPane.Check())
			}},
		"copy_trace":     {Handler: (*Model).copyTrace},
		"find_statement": {Handler: (*Model).findStatement},
		"silence":        {Disabled: (*Model).noSilence},
		"acknowledge":    {Handler: (*Model).acknowledge, Disabled: (*Model).noAck},
		"expire":         {Handler: (*Model).expireSilence, Disabled: (*Model).noExpire},
		"logs_trace":     {Handler: (*Model).openLogTrace},
	}
}

func celeryKey(kind string) Binding {
	return Binding{Handler: func(m *Model, _ tea.KeyPressMsg) tea.Cmd { return m.celery(kind) },
		Disabled: func(m *Model) string { return m.noCelery(kind) }}
}

// gather appends the keys a pane or view declares to list, each acting on
// the pane or view that of finds; a key declared again (sort, in the
// Postgres pane and the breakdown) joins the first declaration's scopes and
// acts on whichever is up.
func gather[T any](list []Binding, keys []pane.Key[T], of func(*Model) T, console map[string]Binding) []Binding {
	for _, k := range keys {
		b := Binding{Spec: k.Spec, Handler: console[k.Name].Handler, Disabled: console[k.Name].Disabled}
		if do := k.Do; do != nil {
			b.Handler = func(m *Model, key tea.KeyPressMsg) tea.Cmd { return do(of(m), key) }
		}
		if why := k.Disabled; why != nil && b.Disabled == nil {
			b.Disabled = func(m *Model) string { return why(of(m)) }
		}
		i := slices.IndexFunc(list, func(e Binding) bool { return e.Name == k.Name })
		if i < 0 {
			list = append(list, b)
			continue
		}
		list[i] = joined(list[i], b)
	}
	return list
}

// joined is one binding of two declarations of it in different scopes: each
// acts in its own.
func joined(first, then Binding) Binding {
	out := first
	out.Scopes = append(slices.Clone(first.Scopes), then.Scopes...)
	mine := func(m *Model) bool { return slices.Contains(then.Scopes, m.scope()) }
	out.Handler = func(m *Model, k tea.KeyPressMsg) tea.Cmd {
		if mine(m) {
			return then.Handler(m, k)
		}
		return first.Handler(m, k)
	}
	if first.Disabled != nil || then.Disabled != nil {
		out.Disabled = func(m *Model) string {
			d := first.Disabled
			if mine(m) {
				d = then.Disabled
			}
			if d == nil {
				return ""
			}
			return d(m)
		}
	}
	return out
}

// Specs are the bindings without their handlers: what the configuration
// checks keys: against.
func Specs() []binding.Spec {
	bs := Bindings()
	out := make([]binding.Spec, len(bs))
	for i, b := range bs {
		out[i] = b.Spec
	}
	return out
}

func noMetrics(m *Model) string {
	if len(m.charts) == 0 {
		return "there are no metric panes"
	}
	return ""
}

// keymap is the bindings with their keys as resolved (defaults and the
// configuration's keys:), as bubbles key.Bindings for matching and help.
type keymap map[string]key.Binding

func newKeymap(resolved map[string][]string) keymap {
	km := keymap{}
	for _, b := range Bindings() {
		ks := resolved[b.Name]
		if len(ks) == 0 {
			ks = b.Keys
		}
		km[b.Name] = key.NewBinding(key.WithKeys(ks...), key.WithHelp(binding.Display(ks), b.Help))
	}
	return km
}

// key is a binding's shown key ("esc", "↑/k").
func (km keymap) key(name string) string { return km[name].Help().Key }

// hint is "key desc · key desc" for the named bindings, as bound.
func (km keymap) hint(names ...string) string {
	parts := make([]string, 0, len(names))
	for _, n := range names {
		parts = append(parts, km[n].Help().Key+" "+km[n].Help().Desc)
	}
	return strings.Join(parts, " · ")
}

// scope is where keys go now: the action overlay's, while it is up, else
// the top screen's.
func (m *Model) scope() binding.Scope {
	switch {
	case m.action.Typing():
		return binding.Typing
	case m.action.Active():
		return binding.Overlay
	}
	return m.top().scope(m)
}

// inScope reports whether scope s takes b: a zoomed pane takes its own
// bindings and the main screen's.
func inScope(b Binding, s binding.Scope) bool {
	for _, x := range b.Scopes {
		if x == s || (x == binding.Main && (s == binding.Postgres || s == binding.Drift || s == binding.Celery)) {
			return true
		}
	}
	return false
}

// handleKey is the one dispatch of key presses: the first binding of the
// current scope with the key acts, or says why it does not.
func (m *Model) handleKey(k tea.KeyPressMsg) tea.Cmd {
	m.flash = ""
	s := m.scope()
	if _, help := m.top().(helpScreen); help && s == binding.Main {
		if key.Matches(k, m.keys["interrupt"]) {
			return m.interrupt(k)
		}
		return m.pop() // any other key closes help
	}
	// A zoomed pane's own bindings come before the main screen's.
	for _, own := range []bool{true, false} {
		for _, b := range m.bindings {
			if !inScope(b, s) || own != slices.Contains(b.Scopes, s) || !key.Matches(k, m.keys[b.Name]) {
				continue
			}
			if b.Disabled != nil {
				if why := b.Disabled(m); why != "" {
					m.flash = m.keys.key(b.Name) + ": " + why
					return nil
				}
			}
			return b.Handler(m, k)
		}
	}
	switch s {
	case binding.Typing:
		if m.action.Typing() {
			return m.overlayKey(k)
		}
		if t, ok := m.top().(typist); ok {
			return t.typeKey(m, k)
		}
		return nil
	case binding.Overlay:
		return m.overlayKey(k) // answers, action keys, and the overlay's "why not"
	case binding.Picker:
		m.flash = k.String() + " does nothing here: " + m.keys.hint("select", "close")
		return nil
	case binding.Breakdown, binding.Logs:
		// A runbook command's key reads the row or the line selected here.
		if cmd, ok := m.action.Press(k.String()); ok {
			return cmd
		}
	}
	switch s {
	case binding.Breakdown:
		m.flash = k.String() + " does nothing here: " + m.keys.hint("next_label", "sort", "close")
		return nil
	case binding.Alerts:
		m.flash = k.String() + " does nothing here: " + m.keys.hint("alerts_tab", "silence", "acknowledge", "expire", "close")
		return nil
	case binding.Logs:
		m.flash = k.String() + " does nothing here: " + m.keys.hint("logs_follow", "logs_filter", "logs_trace", "close")
		return nil
	}
	cmd, _ := m.action.Press(k.String()) // a runbook command's key
	return cmd
}

// overlayKey hands a key to the action overlay; it re-reads every source
// when the output of a migration closes.
func (m *Model) overlayKey(k tea.KeyPressMsg) tea.Cmd {
	cmd, refresh := m.action.Key(k)
	if refresh {
		return tea.Batch(cmd, m.broadcastRefresh())
	}
	return cmd
}

// close answers the action overlay while it is up; else the top screen
// handles esc itself (an open trace, a filter, the time cursor) or is
// popped.
func (m *Model) close(k tea.KeyPressMsg) tea.Cmd {
	if m.action.Active() {
		return m.overlayKey(k)
	}
	if cmd, done := m.top().escape(m); done {
		return cmd
	}
	return m.pop()
}

// choose answers the action overlay while it is up; else the top screen
// chooses what is selected in it (an environment, a value to focus on, a
// trace, a typed filter).
func (m *Model) choose(k tea.KeyPressMsg) tea.Cmd {
	if !m.action.Active() {
		if c, ok := m.top().(chooser); ok {
			return c.choose(m)
		}
	}
	return m.overlayKey(k)
}

// narrowTo focuses the metric panes on the value selected in the breakdown,
// which closes.
func (m *Model) narrowTo(b *breakdown.Model) tea.Cmd {
	label, row, ok := b.Selected()
	if !ok {
		m.flash = "nothing to focus on yet"
		return nil
	}
	if _, direct := m.env.Metrics.Source.(sources.Sampler); direct {
		// Its panes read the endpoint's totals, not a query a matcher narrows.
		m.flash = "a focus needs Prometheus: direct /metrics mode reads the whole endpoint (the breakdown shows each value)"
		return nil
	}
	return tea.Batch(m.pop(), m.setNarrow(sources.Narrowing{Label: label, Value: row.Value}))
}

// clearNarrow reads every value of the label again.
func (m *Model) clearNarrow() tea.Cmd { return m.setNarrow(sources.Narrowing{}) }

// listMove moves in the list on top; the action overlay scrolls.
func (m *Model) listMove(k tea.KeyPressMsg, delta int) tea.Cmd {
	if s := m.scope(); s != binding.Overlay && s != binding.Typing {
		if mv, ok := m.top().(mover); ok && mv.move(m, delta) {
			return nil
		}
	}
	return m.overlayKey(k)
}

// environment opens the picker, or moves down in it.
func (m *Model) environment(k tea.KeyPressMsg) tea.Cmd {
	if _, open := m.top().(*pickerScreen); open {
		return m.listMove(k, +1)
	}
	m.push(&pickerScreen{cursor: m.currentEnvIndex()})
	return nil
}

// interrupt quits from anywhere; while an action runs it asks first.
func (m *Model) interrupt(tea.KeyPressMsg) tea.Cmd {
	if m.action.Running() && !m.action.AskQuit() {
		return nil
	}
	return m.quit()
}

// focused reports whether p has the focus.
func (m *Model) focused(p pane.Pane) bool { return m.panes[m.focus] == p }

// noBreakdown says why the focused pane cannot be split.
func (m *Model) noBreakdown() string {
	if m.focus >= len(m.charts) {
		return "focus a metric pane to split it by a label"
	}
	if _, ok := m.env.Metrics.Source.(sources.Splitter); !ok {
		return "this metrics source cannot split a signal by a label"
	}
	return ""
}

// copyTrace puts the open trace's link on the terminal's clipboard.
func (m *Model) copyTrace(tea.KeyPressMsg) tea.Cmd {
	link, ok := m.tracesView().Link()
	if !ok {
		m.flash = "no trace to copy here"
		return nil
	}
	// OSC 52: the terminal's clipboard, over ssh too, where the terminal
	// supports it.
	return tea.Batch(tea.SetClipboard(link), m.setNotice("copied "+link+" (OSC 52: if the terminal allows it)"))
}

// statementFilter is how much of a statement the sessions are filtered by:
// enough to tell queries apart, short of what the application may vary.
const statementFilter = 48

// findStatement shows the Postgres sessions running the selected span's
// statement: the trace closed, the drill-down filtered by its beginning.
func (m *Model) findStatement(tea.KeyPressMsg) tea.Cmd {
	st, _ := m.tracesView().Statement()
	if r := []rune(st); len(r) > statementFilter {
		st = string(r[:statementFilter])
	}
	cmds := []tea.Cmd{m.pop()} // the trace list
	if m.zoomed() {
		cmds = append(cmds, m.setZoom(false))
	}
	for i, p := range m.panes {
		if p == pane.Pane(m.dbPane) {
			m.focus = i
		}
	}
	m.dbPane.SetFilter(st)
	return tea.Batch(append(cmds, m.setZoom(true), m.setNotice("sessions running: "+st))...)
}

// noTraces says why the focused pane has no exemplar list.
func (m *Model) noTraces() string {
	if m.focus >= len(m.charts) {
		return "focus a metric pane to list its traced requests"
	}
	if _, ok := m.env.Metrics.Source.(sources.Exemplars); !ok {
		return "exemplars need Prometheus: direct /metrics mode reads none"
	}
	return ""
}

// openTraces lists the focused metric pane's exemplars.
func (m *Model) openTraces() tea.Cmd {
	src, _ := m.env.Metrics.Source.(sources.Exemplars)
	t := traces.New(m.paneContext, src, m.charts[m.focus].Spec(), m.env.Scrubber, m.keys.hint("up", "down", "select", "copy_trace", "refresh", "close"),
		m.env.Traces.Source, m.env.TraceUI, m.env.TraceService)
	m.push(&tracesScreen{model: t})
	m.layout()
	return t.Fetch()
}

// openBreakdown splits the focused metric pane's signal.
func (m *Model) openBreakdown() tea.Cmd {
	src, _ := m.env.Metrics.Source.(sources.Splitter)
	km := m.keys
	b := breakdown.New(m.paneContext, src, m.charts[m.focus].Spec(), m.env.Scrubber,
		km.hint("next_label", "sort", "up", "down", "select", "refresh", "close"))
	m.push(&breakdownScreen{model: b})
	m.layout()
	return b.Fetch()
}

// breakdownView is the open breakdown (its keys act only while it is on
// top), nil when none is.
func (m *Model) breakdownView() *breakdown.Model {
	if b, ok := find[*breakdownScreen](m); ok {
		return b.model
	}
	return nil
}

// tracesView is the open trace list, nil when none is; a nil list answers
// that it has nothing selected (the help asks it while it is closed).
func (m *Model) tracesView() *traces.Model {
	if t, ok := find[*tracesScreen](m); ok {
		return t.model
	}
	return nil
}
