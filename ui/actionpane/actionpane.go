package actionpane

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/opsdeck/opsdeck/internal/safetext"
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

// Preview is what an action will do, as the confirmation shows it: the head
// (target, counts) always stays in view, the items (every table a reset
// empties, every revision a migration applies) scroll beneath it. Run does
// exactly that (audited): the plan it acts on is inside it, never handed
// through the UI; its lines arrive on the channel, the last one Done, then
// it closes; cancel stops it.
type Preview struct {
	Head  []string
	Items []string
	// Levels colour Items (a preflight's hazards): Levels[i] for Items[i],
	// Plain where missing.
	Levels []Level
	// Guard, when set, is the guard the preview found the action needs (a
	// migration whose preflight found a hazard): it replaces the action's
	// own when stricter.
	Guard *Guard
	Run   func(ctx context.Context, c Consent) (lines <-chan Line, cancel func(), err error)
}

// Consent is what the user answered the question with: the run checks it
// against the guard again, and the audit log records How.
type Consent struct {
	Yes   bool
	Typed string
	How   string
}

// Level is how an item of a preview is painted.
type Level int

const (
	Plain Level = iota
	Quiet
	Caution
	Danger
)

// stricter reports whether guard a asks more of the user than b.
func stricter(a, b Guard) bool {
	rank := map[Guard]int{None: 0, Confirm: 1, TypeName: 2, Refused: 3}
	return rank[a] > rank[b]
}

// Action is one key's action in the current environment.
type Action struct {
	Name, Key string
	Guard     Guard
	Reason    string // why it is refused
	// Preview says what will happen (the reset's blast radius) and how to
	// do exactly that.
	Preview func(ctx context.Context) (Preview, error)
	// Refreshes says the panes should re-read their sources when it ends (migrate).
	Refreshes bool
	// Vars are the selection variables a runbook command uses ($PID…);
	// With is its preview on values captured when the key is pressed.
	Vars []string
	With func(values map[string]string) func(ctx context.Context) (Preview, error)
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
	preview Preview
	scroll  int // first item of the preview's list in view
	typed   string
	lines   []Line
	started time.Time
	ended   time.Time
	done    Line
	cancel  func()
	ch      <-chan Line
	flash   string // a one-line answer: refused, already running
	gen     int    // discards messages of an earlier run
	keys    Bindings
	w, h    int // the overlay's size, from SetSize
	// selection is what the console has selected now, for the commands
	// that use it (nil: nothing); missing says why a variable has no value.
	selection func() map[string]string
	missing   func(names []string, values map[string]string) string
	// quitAsked is set by a first ctrl+c while an action runs: a second
	// one stops it and quits once it has ended (its end audited), any
	// other key keeps it running. stopping is that second press; quitNow
	// says the run it stopped has ended.
	quitAsked, stopping, quitNow bool
}

// Bindings are the overlay's keys, as the root's list has them (remapped or
// not). The answer to the y/N question stays y: a confirmation must read the
// same in every tool.
type Bindings struct {
	Cancel, Close, Select, Up, Down, PageUp, PageDown, Interrupt key.Binding
}

// New builds the overlay for environment env.
func New(env string, base context.Context, now func() time.Time, actions []Action, keys Bindings) *Model {
	return &Model{env: env, base: base, now: now, actions: actions, keys: keys}
}

// SetSelection gives the overlay what is selected now (read when a key is
// pressed, never later) and how to say which variable lacks a value.
func (m *Model) SetSelection(selection func() map[string]string, missing func(names []string, values map[string]string) string) {
	m.selection, m.missing = selection, missing
}

// Actions lists the environment's actions (for the help screen): a
// command whose variable has no value now is refused, saying why.
func (m *Model) Actions() []Action {
	out := make([]Action, len(m.actions))
	for i, a := range m.actions {
		if why := m.unbound(&a); why != "" && a.Guard != Refused {
			a.Guard, a.Reason = Refused, why
		}
		out[i] = a
	}
	return out
}

// unbound says why a's variables have no value now ("" when they all do).
func (m *Model) unbound(a *Action) string {
	if len(a.Vars) == 0 || m.missing == nil {
		return ""
	}
	return m.missing(a.Vars, m.selected())
}

func (m *Model) selected() map[string]string {
	if m.selection == nil {
		return nil
	}
	return m.selection()
}

// bind is a with its preview planned on the selection of this moment.
func (m *Model) bind(a *Action) (*Action, string) {
	if a.With == nil {
		return a, ""
	}
	values := m.selected()
	if why := m.unbound(a); why != "" {
		return nil, why
	}
	bound := *a
	bound.Preview = a.With(values)
	return &bound, ""
}

// Active reports whether the overlay is up (it then takes the keys).
func (m *Model) Active() bool { return m.phase != idle }

// Flash is a one-line message for the footer ("" for none).
func (m *Model) Flash() string { return m.flash }

// Running reports whether an action runs (the clock must tick for its elapsed time).
func (m *Model) Running() bool { return m.phase == running }

// Messages carry the overlay that asked for them: an overlay is made per
// environment, and a preview of the one left behind must never be taken for
// the next one's (both count their runs from 1).
type previewMsg struct {
	owner   *Model
	gen     int
	preview Preview
	err     error
}

type lineMsg struct {
	owner *Model
	gen   int
	line  Line
	ok    bool
}

// Msg reports whether msg belongs to this overlay.
func Msg(msg tea.Msg) bool {
	switch msg.(type) {
	case previewMsg, lineMsg:
		return true
	}
	return false
}

// Has reports whether the environment has the named action.
func (m *Model) Has(name string) bool {
	return m.find(func(a *Action) bool { return a.Name == name }) != nil
}

func (m *Model) find(match func(*Action) bool) *Action {
	for i := range m.actions {
		if match(&m.actions[i]) {
			return &m.actions[i]
		}
	}
	return nil
}

// Unavailable says why the named action's key does nothing here: the
// environment has no such action, or its guard refuses it ("" when it runs).
func (m *Model) Unavailable(name string) string {
	a := m.find(func(a *Action) bool { return a.Name == name })
	switch {
	case a == nil:
		return m.env + " has no " + name + " action (nothing is configured for it)"
	case a.Guard == Refused:
		return name + " refused: " + a.Reason
	case m.unbound(a) != "":
		return name + ": " + m.unbound(a)
	}
	return ""
}

// Typing reports whether the environment's name is being typed to confirm.
func (m *Model) Typing() bool {
	return m.phase == confirming && m.current.Guard == TypeName
}

// Press handles an action key from the main screen; handled is false when
// no action has that key.
func (m *Model) Press(key string) (tea.Cmd, bool) {
	return m.begin(m.find(func(a *Action) bool { return a.Key != "" && a.Key == key }))
}

// PressName starts the named action as its key would (for actions a pane
// starts, such as the drift pane's migration check).
func (m *Model) PressName(name string) (tea.Cmd, bool) {
	return m.begin(m.find(func(a *Action) bool { return a.Name == name }))
}

// Begin starts an action made for the moment (a silence of the alert the
// cursor is on): its preview, guard, question and audit as any other's.
func (m *Model) Begin(a Action) tea.Cmd {
	cmd, _ := m.begin(&a)
	return cmd
}

func (m *Model) begin(a *Action) (tea.Cmd, bool) {
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
	bound, why := m.bind(a)
	if bound == nil {
		m.flash = a.Name + ": " + why
		return nil, true
	}
	a = bound
	m.gen++
	m.current, m.typed, m.lines, m.preview, m.scroll = a, "", nil, Preview{}, 0
	m.phase = previewing
	owner, gen, preview, base := m, m.gen, a.Preview, m.base
	return func() tea.Msg {
		p, err := preview(base)
		return previewMsg{owner: owner, gen: gen, preview: p, err: err}
	}, true
}

// Update handles the overlay's messages.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case previewMsg:
		if msg.owner != m || msg.gen != m.gen || m.phase != previewing {
			return nil
		}
		if msg.err != nil {
			m.phase, m.flash = idle, m.current.Name+": "+safetext.String(msg.err.Error())
			return nil
		}
		// Table names and revision messages come from the database and the
		// project: shown as text.
		safetext.Value(&msg.preview)
		m.preview = msg.preview
		if g := msg.preview.Guard; g != nil && stricter(*g, m.current.Guard) {
			escalated := *m.current
			escalated.Guard = *g
			m.current = &escalated
		}
		if m.current.Guard == None {
			return m.start(Consent{How: "no confirmation (disposable environment)"})
		}
		m.phase = confirming
	case lineMsg:
		if msg.owner != m || msg.gen != m.gen {
			return nil
		}
		if !msg.ok || msg.line.Done {
			m.phase, m.ended, m.cancel = finished, m.now(), nil
			m.quitNow = m.stopping
			if !m.quitAsked {
				m.flash = ""
			}
			if msg.ok {
				m.done = msg.line
			}
			return nil
		}
		msg.line.Text = safetext.String(msg.line.Text)
		m.lines = append(m.lines, msg.line)
		if len(m.lines) > maxLines {
			m.lines = m.lines[len(m.lines)-maxLines:]
		}
		return m.next(msg.gen)
	}
	return nil
}

func (m *Model) start(c Consent) tea.Cmd {
	ch, cancel, err := m.preview.Run(m.base, c)
	if err != nil {
		m.phase, m.done, m.ended = finished, Line{Done: true, Exit: -1, Err: err}, m.now()
		return nil
	}
	m.phase, m.cancel, m.started, m.ch = running, cancel, m.now(), ch
	return m.next(m.gen)
}

// next waits for the run's next line (the realtime pattern: one Cmd per event).
func (m *Model) next(gen int) tea.Cmd {
	ch, owner := m.ch, m
	return func() tea.Msg {
		l, ok := <-ch
		return lineMsg{owner: owner, gen: gen, line: l, ok: ok}
	}
}

// AskQuit is a ctrl+c while an action runs: the first asks; the second
// stops the action, and the console quits when it has ended (QuitNow), so
// that its end is in the audit log; a third quits at once. It reports
// whether to quit now.
func (m *Model) AskQuit() bool {
	switch {
	case m.phase != running || m.stopping:
		return true
	case m.quitAsked:
		m.stopping = true
		if m.cancel != nil {
			m.cancel()
		}
		m.flash = "stopping " + m.current.Name + ", then quitting (" + m.keys.Interrupt.Help().Key + " again quits at once)"
		return false
	}
	m.quitAsked = true
	m.flash = m.current.Name + " is running: " + m.keys.Interrupt.Help().Key + " again stops it and quits; any other key keeps it running"
	return false
}

// QuitNow reports that the action a second ctrl+c stopped has ended.
func (m *Model) QuitNow() bool { return m.quitNow }

// scrollList moves the preview's list; it reports whether k was a scroll key.
func (m *Model) scrollList(k tea.KeyPressMsg) bool {
	switch {
	case key.Matches(k, m.keys.Up):
		m.scroll--
	case key.Matches(k, m.keys.Down):
		m.scroll++
	case key.Matches(k, m.keys.PageUp):
		m.scroll -= 10
	case key.Matches(k, m.keys.PageDown):
		m.scroll += 10
	default:
		return false
	}
	last := len(m.preview.Items) - 1
	if room := m.listRoom(max(m.w-4, 10), m.h); m.h > 0 && len(m.preview.Items) > room {
		last = len(m.preview.Items) - max(room-1, 1) // the last page in view
	}
	m.scroll = max(0, min(m.scroll, last))
	return true
}

// Key handles a key while the overlay is up. RefreshAll is true when the
// panes should re-read their sources (the overlay closed after a migration).
func (m *Model) Key(k tea.KeyPressMsg) (cmd tea.Cmd, refreshAll bool) {
	s := k.String()
	if m.quitAsked && !m.stopping {
		m.quitAsked, m.flash = false, ""
		return nil, false // the answer to "quit?" was no; the key does nothing else
	}
	switch m.phase {
	case previewing:
		if key.Matches(k, m.keys.Close) {
			m.phase = idle
			return nil, false
		}
		m.flash = "reading what " + m.current.Name + " would do; " + m.keys.Close.Help().Key + " cancels"
	case confirming:
		if len(m.preview.Items) > 0 && m.scrollList(k) {
			return nil, false
		}
		if m.current.Guard == TypeName {
			switch {
			case key.Matches(k, m.keys.Close):
				m.phase = idle
			case key.Matches(k, m.keys.Select):
				if m.typed == m.env {
					return m.start(Consent{Typed: m.typed, How: "environment name typed"}), false
				}
				m.flash, m.phase = "name did not match: "+m.current.Name+" not run", idle
			case s == "backspace": // editing the typed name, not a binding
				if r := []rune(m.typed); len(r) > 0 {
					m.typed = string(r[:len(r)-1])
				}
			default:
				m.typed += k.Key().Text
			}
			return nil, false
		}
		if s == "y" || s == "Y" {
			return m.start(Consent{Yes: true, How: "confirmed y"}), false
		}
		m.phase, m.flash = idle, m.current.Name+" not run"
	case running:
		switch {
		case key.Matches(k, m.keys.Cancel) && m.cancel != nil:
			m.cancel()
			m.flash = "cancelling " + m.current.Name + "…"
		case m.cancel != nil:
			m.flash = m.current.Name + " is running: " + m.keys.Cancel.Help().Key + " cancels it; one action at a time"
		}
	case finished:
		if key.Matches(k, m.keys.Close) || key.Matches(k, m.keys.Select) {
			m.phase = idle
			return nil, m.current.Refreshes
		}
		// Another action's key closes this output and starts that action.
		if a := m.find(func(a *Action) bool { return a.Key != "" && a.Key == s }); a != nil {
			refresh := m.current.Refreshes
			m.phase = idle
			cmd, _ := m.begin(a)
			return cmd, refresh
		}
		m.flash = m.keys.Close.Help().Key + " closes " + m.current.Name + "'s output"
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

// View draws the overlay box within the size SetSize gave.
func (m *Model) View(st *theme.Styles) []string {
	w, h := m.w, m.h
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
		if m.flash != "" {
			add(st.Warn, "⚠ "+m.flash)
		}
	case confirming:
		head, question := m.confirmText(iw, h)
		for _, l := range head {
			body = append(body, st.Text.Render(l))
		}
		ask := st.Warn
		if a.Guard == TypeName {
			ask = st.Crit
		}
		var q []string
		for _, l := range question {
			q = append(q, ask.Render(l))
		}
		if a.Guard == TypeName {
			q = append(q, st.Value.Render("> "+frame.Cut(m.typed, iw)+"▏"))
		}
		// The head and the question always stay in view; the list takes
		// what room is left and scrolls.
		room := m.roomLeft(h, head, question)
		body = append(body, m.listView(st, iw, room)...)
		body = append(body, "")
		body = append(body, q...)
	case running, finished:
		status := st.Muted.Render("running " + m.elapsed() + " · " + m.keys.Cancel.Help().Key + " cancels")
		if m.phase == finished {
			closes := st.Muted.Render(" · " + m.keys.Close.Help().Key + " closes")
			switch {
			case m.done.Err != nil:
				// A failure's cause is the thing to read: wrapped, cut only
				// short of frame.MaxText (saying how much it left out), so
				// that Wrap keeps the time after it.
				lines := frame.Wrap(fmt.Sprintf("✖ %s after %s", frame.Cut(m.done.Err.Error(), frame.MaxText-64), m.elapsed()), iw)
				for _, l := range lines[:len(lines)-1] {
					body = append(body, st.Crit.Render(l))
				}
				status = st.Crit.Render(lines[len(lines)-1]) + closes
			case m.done.Exit == 0:
				status = st.OK.Render("✔ done in "+m.elapsed()) + closes
			default:
				status = st.Crit.Render(fmt.Sprintf("✖ exit %d after %s", m.done.Exit, m.elapsed())) + closes
			}
		}
		body = append(body, status)
		if m.flash != "" {
			add(st.Warn, "⚠ "+m.flash)
		}
		body = append(body, st.Faint.Render(strings.Repeat("─", iw)))
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
			body = append(body, p.Render(frame.Fit(cutLine(l.Text, iw), iw)))
		}
	}
	if len(body) > h-2 {
		body = body[len(body)-(h-2):]
	}
	return frame.Box{Title: title, Focused: true}.Render(st, w, len(body)+2, body)
}

// confirmText is the confirmation's head and question, wrapped to iw for an
// overlay h lines high. The head keeps its first lines, as many as leave
// the question and a few of the list's lines in view (its last line then
// ends in "…"); each of its texts is cut to frame.MaxText by Wrap, so a
// head of megabytes costs what one of a few kilobytes does.
func (m *Model) confirmText(iw, h int) (head, question []string) {
	if m.current.Guard == TypeName {
		question = frame.Wrap("⚠ "+m.env+" is protected. Type its name to run "+m.current.Name+", "+m.keys.Close.Help().Key+" to cancel:", iw)
	} else {
		question = frame.Wrap("Run it? y to run, anything else cancels [y/N]", iw)
	}
	limit := max(m.roomLeft(h, nil, question)-min(len(m.preview.Items), minListLines), 1)
	for _, l := range m.preview.Head {
		if len(head) > limit {
			break
		}
		head = append(head, frame.Wrap(l, iw)...)
	}
	if len(head) > limit {
		head = head[:limit]
		if last := head[limit-1]; ansi.StringWidth(last) >= iw {
			head[limit-1] = ansi.Truncate(last, iw-1, "")
		}
		head[limit-1] += "…"
	}
	return head, question
}

// minListLines is how many of the list's lines a long head leaves in view.
const minListLines = 4

// listRoom is how many lines the preview's list has in an overlay w x h.
func (m *Model) listRoom(iw, h int) int {
	head, question := m.confirmText(iw, h)
	return m.roomLeft(h, head, question)
}

// roomLeft is what an overlay h lines high leaves the list beside head and
// question: its borders, the blank line above the question and the typed
// name's line take the rest.
func (m *Model) roomLeft(h int, head, question []string) int {
	room := h - 2 - len(head) - len(question) - 1
	if m.current.Guard == TypeName {
		room-- // the typed name's line
	}
	return room
}

// cutLine is an item or a line of output cut before it is measured: one
// line shows iw cells at most, and measuring text of megabytes would cost
// every frame. Two bytes a cell covers ASCII, accented letters, CJK and
// emoji; text with more (combining marks) shows less, and says so.
func cutLine(s string, iw int) string { return frame.Cut(s, 2*iw+32) }

// SetSize is the overlay's largest size, as the root lays it out: View
// draws within it, and scrolling stops where the list's last page is in view.
func (m *Model) SetSize(w, h int) { m.w, m.h = w, h }

// listView is the preview's items in room lines, from the scroll position,
// with a line saying what is above and below.
func (m *Model) listView(st *theme.Styles, iw, room int) []string {
	items := m.preview.Items
	if len(items) == 0 || room <= 0 {
		return nil
	}
	paint := func(i int) theme.Paint {
		if i < len(m.preview.Levels) {
			switch m.preview.Levels[i] {
			case Quiet:
				return st.Muted
			case Caution:
				return st.Warn
			case Danger:
				return st.Crit
			}
		}
		return st.Text
	}
	if len(items) <= room {
		out := make([]string, len(items))
		for i, it := range items {
			out[i] = paint(i).Render(frame.Fit("  "+cutLine(it, iw), iw))
		}
		return out
	}
	shown := max(room-1, 1)
	first := min(m.scroll, len(items)-shown)
	out := make([]string, 0, room)
	for i, it := range items[first : first+shown] {
		out = append(out, paint(first+i).Render(frame.Fit("  "+cutLine(it, iw), iw)))
	}
	more := fmt.Sprintf("  %d-%d of %d · %s/%s, %s/%s scroll", first+1, first+shown, len(items),
		m.keys.Up.Help().Key, m.keys.Down.Help().Key, m.keys.PageUp.Help().Key, m.keys.PageDown.Help().Key)
	return append(out, st.Muted.Render(frame.Fit(more, iw)))
}
