// Package actionpane is the console's side of actions: the key press, the
// guard's question (y/N, or the environment's name typed), and the output of
// the run, streamed line by line with its elapsed time and exit status. The
// actions themselves (processes, the reset, the audit log) are behind the
// Action functions, built outside the UI.
package actionpane

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/ui/frame"
	"github.com/opsdeck/opsdeck/ui/theme"
)

// Guard is what an action needs before it runs.
type Guard int

const (
	Refused Guard = iota
	TypeName
	Confirm
	None
)

// Line is one line of output, or the end of a run.
type Line struct {
	Text   string
	Stderr bool
	Done   bool
	Exit   int
	Err    error
}

// Action is one key's action in the current environment.
type Action struct {
	Name, Key string
	Guard     Guard
	Reason    string // why it is refused
	// Preview says what will happen (the reset's blast radius); the token
	// it returns is handed to Run, which must act on exactly that.
	Preview func(ctx context.Context) (text string, token any, err error)
	// Run starts the action (audited); lines arrive on the channel, the last
	// one Done, then it closes. Cancel stops it.
	Run func(ctx context.Context, token any, confirmation string) (lines <-chan Line, cancel func(), err error)
	// Refreshes says the panes should re-read their sources when it ends (migrate).
	Refreshes bool
}

type phase int

const (
	idle phase = iota
	previewing
	confirming
	running
	finished
)

// maxLines bounds the output kept on screen.
const maxLines = 1000

// Model is the action overlay.
type Model struct {
	env     string
	base    context.Context
	now     func() time.Time
	actions []Action

	phase   phase
	current *Action
	preview string
	token   any
	typed   string
	lines   []Line
	started time.Time
	ended   time.Time
	done    Line
	cancel  func()
	ch      <-chan Line
	flash   string // a one-line answer: refused, already running
	gen     int    // discards messages of an earlier run
	keys    Keys
}

// Keys are the overlay's remappable keys. The answer to the y/N question
// stays y: a confirmation must read the same in every tool.
type Keys struct {
	Cancel, Close key.Binding
}

// DefaultKeys are x to cancel a run and esc to close.
func DefaultKeys() Keys {
	return Keys{Cancel: key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "cancel")),
		Close: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "close"))}
}

// New builds the overlay for environment env.
func New(env string, base context.Context, now func() time.Time, actions []Action, keys Keys) *Model {
	return &Model{env: env, base: base, now: now, actions: actions, keys: keys}
}

// Actions lists the environment's actions (for the help screen).
func (m *Model) Actions() []Action { return m.actions }

// Active reports whether the overlay is up (it then takes the keys).
func (m *Model) Active() bool { return m.phase != idle }

// Flash is a one-line message for the footer ("" for none).
func (m *Model) Flash() string { return m.flash }

// Running reports whether an action runs (the clock must tick for its elapsed time).
func (m *Model) Running() bool { return m.phase == running }

type previewMsg struct {
	gen   int
	text  string
	token any
	err   error
}

type lineMsg struct {
	gen  int
	line Line
	ok   bool
}

// Msg reports whether msg belongs to this overlay.
func Msg(msg tea.Msg) bool {
	switch msg.(type) {
	case previewMsg, lineMsg:
		return true
	}
	return false
}

// Press handles an action key from the main screen; handled is false when
// no action has that key.
func (m *Model) Press(key string) (tea.Cmd, bool) {
	var a *Action
	for i := range m.actions {
		if m.actions[i].Key == key {
			a = &m.actions[i]
		}
	}
	if a == nil {
		return nil, false
	}
	m.flash = ""
	if m.phase == running {
		m.flash = fmt.Sprintf("%s is running (%s): one action at a time", m.current.Name, m.elapsed())
		return nil, true
	}
	if a.Guard == Refused {
		m.flash = a.Name + " refused: " + a.Reason
		return nil, true
	}
	m.gen++
	m.current, m.typed, m.lines, m.token, m.preview = a, "", nil, nil, ""
	m.phase = previewing
	gen, preview, base := m.gen, a.Preview, m.base
	return func() tea.Msg {
		text, token, err := preview(base)
		return previewMsg{gen: gen, text: text, token: token, err: err}
	}, true
}

// Update handles the overlay's messages.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case previewMsg:
		if msg.gen != m.gen || m.phase != previewing {
			return nil
		}
		if msg.err != nil {
			m.phase, m.flash = idle, m.current.Name+": "+msg.err.Error()
			return nil
		}
		m.preview, m.token = msg.text, msg.token
		if m.current.Guard == None {
			return m.start("no confirmation (disposable environment)")
		}
		m.phase = confirming
	case lineMsg:
		if msg.gen != m.gen {
			return nil
		}
		if !msg.ok || msg.line.Done {
			m.phase, m.ended, m.cancel = finished, m.now(), nil
			if msg.ok {
				m.done = msg.line
			}
			return nil
		}
		m.lines = append(m.lines, msg.line)
		if len(m.lines) > maxLines {
			m.lines = m.lines[len(m.lines)-maxLines:]
		}
		return m.next(msg.gen)
	}
	return nil
}

func (m *Model) start(confirmation string) tea.Cmd {
	ch, cancel, err := m.current.Run(m.base, m.token, confirmation)
	if err != nil {
		m.phase, m.done, m.ended = finished, Line{Done: true, Exit: -1, Err: err}, m.now()
		return nil
	}
	m.phase, m.cancel, m.started, m.ch = running, cancel, m.now(), ch
	return m.next(m.gen)
}

// next waits for the run's next line (the realtime pattern: one Cmd per event).
func (m *Model) next(gen int) tea.Cmd {
	ch := m.ch
	return func() tea.Msg {
		l, ok := <-ch
		return lineMsg{gen: gen, line: l, ok: ok}
	}
}

// Key handles a key while the overlay is up. RefreshAll is true when the
// panes should re-read their sources (the overlay closed after a migration).
func (m *Model) Key(k tea.KeyPressMsg) (cmd tea.Cmd, refreshAll bool) {
	s := k.String()
	switch m.phase {
	case previewing:
		if key.Matches(k, m.keys.Close) {
			m.phase = idle
		}
	case confirming:
		if m.current.Guard == TypeName {
			switch {
			case key.Matches(k, m.keys.Close):
				m.phase = idle
			case s == "enter":
				if m.typed == m.env {
					return m.start("environment name typed"), false
				}
				m.flash, m.phase = "name did not match: "+m.current.Name+" not run", idle
			case s == "backspace":
				if r := []rune(m.typed); len(r) > 0 {
					m.typed = string(r[:len(r)-1])
				}
			default:
				m.typed += k.Key().Text
			}
			return nil, false
		}
		if s == "y" || s == "Y" {
			return m.start("confirmed y"), false
		}
		m.phase, m.flash = idle, m.current.Name+" not run"
	case running:
		if key.Matches(k, m.keys.Cancel) && m.cancel != nil {
			m.cancel()
			m.flash = "cancelling " + m.current.Name + "…"
		}
	case finished:
		if key.Matches(k, m.keys.Close) || s == "enter" || s == "q" {
			m.phase = idle
			return nil, m.current.Refreshes
		}
	}
	return nil, false
}

func (m *Model) elapsed() string {
	end := m.now()
	if m.phase == finished {
		end = m.ended
	}
	return end.Sub(m.started).Round(time.Second).String()
}

// View draws the overlay box, w x h at most.
func (m *Model) View(st *theme.Styles, w, h int) []string {
	iw := max(w-4, 10)
	var body []string
	add := func(p theme.Paint, text string) {
		for _, l := range frame.Wrap(text, iw) {
			body = append(body, p.Render(l))
		}
	}
	a := m.current
	title := a.Name + " · " + m.env
	switch m.phase {
	case previewing:
		add(st.Muted, "reading what "+a.Name+" would do…")
	case confirming:
		add(st.Text, m.preview)
		body = append(body, "")
		if a.Guard == TypeName {
			add(st.Crit, "⚠ "+m.env+" is protected. Type its name to run "+a.Name+", "+m.keys.Close.Help().Key+" to cancel:")
			body = append(body, st.Value.Render("> "+m.typed+"▏"))
		} else {
			add(st.Warn, "Run it? y to run, anything else cancels [y/N]")
		}
	case running, finished:
		status := st.Muted.Render("running " + m.elapsed() + " · " + m.keys.Cancel.Help().Key + " cancels")
		if m.phase == finished {
			switch {
			case m.done.Err != nil:
				status = st.Crit.Render(fmt.Sprintf("✖ %v after %s", m.done.Err, m.elapsed()))
			case m.done.Exit == 0:
				status = st.OK.Render("✔ done in " + m.elapsed())
			default:
				status = st.Crit.Render(fmt.Sprintf("✖ exit %d after %s", m.done.Exit, m.elapsed()))
			}
			status += st.Muted.Render(" · " + m.keys.Close.Help().Key + " closes")
		}
		body = append(body, status, st.Faint.Render(strings.Repeat("─", iw)))
		room := max(h-2-len(body), 1)
		shown := m.lines
		if len(shown) > room {
			shown = shown[len(shown)-room:]
		}
		for _, l := range shown {
			p := st.Text
			if l.Stderr {
				p = st.Muted
			}
			body = append(body, p.Render(frame.Fit(l.Text, iw)))
		}
	}
	if len(body) > h-2 {
		body = body[len(body)-(h-2):]
	}
	return frame.Box{Title: title, Focused: true}.Render(st, w, len(body)+2, body)
}
