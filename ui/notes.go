package ui

import (
	"context"
	"math"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/internal/notes"
	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/ui/binding"
)

// noteBindings are the responders' timeline keys: a note typed, a figure
// pinned. Both mark every time axis and the report's timeline.
func noteBindings() []Binding {
	main := []binding.Scope{binding.Main}
	return []Binding{
		{Spec: binding.Spec{Name: "note", Keys: []string{"n"}, Scopes: main, Help: "add a note to the timeline", Group: "Data"},
			Handler: (*Model).openNote, Disabled: (*Model).noNotes},
		{Spec: binding.Spec{Name: "pin", Keys: []string{"*"}, Scopes: main, Help: "pin the figure under the cursor", Group: "Data"},
			Handler: (*Model).pin, Disabled: (*Model).noPin},
	}
}

// noteScreen is a note being typed: enter keeps it, esc drops it. The
// note is of the time cursor's instant when there is one, else of when it
// is written.
type noteScreen struct {
	input textinput.Model
	at    time.Time
}

func newNoteScreen(at time.Time) *noteScreen {
	in := textinput.New()
	in.Prompt = "› "
	in.CharLimit = notes.MaxText
	in.Placeholder = "what you saw or did"
	st := in.Styles()
	st.Cursor.Blink = false // a blinking cursor would redraw the console twice a second
	in.SetStyles(st)
	in.Focus()
	return &noteScreen{input: in, at: at}
}

func (*noteScreen) scope(*Model) binding.Scope       { return binding.Typing }
func (*noteScreen) escape(*Model) (tea.Cmd, bool)    { return nil, false }
func (*noteScreen) update(tea.Msg) (tea.Cmd, bool)   { return nil, false }
func (*noteScreen) close(*Model) tea.Cmd             { return nil }
func (n *noteScreen) resize(w, _ int)                { n.input.SetWidth(max(min(w-12, 100), 10)) }
func (n *noteScreen) paste(msg tea.PasteMsg) tea.Cmd { return n.typed(msg) }

func (n *noteScreen) typeKey(_ *Model, k tea.KeyPressMsg) tea.Cmd { return n.typed(k) }

func (n *noteScreen) typed(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	n.input, cmd = n.input.Update(msg)
	return cmd
}

func (n *noteScreen) draw(m *Model, under string) string {
	st := m.deps.Styles
	when := "now"
	if !n.at.IsZero() {
		when = "at " + n.at.UTC().Format("15:04:05") + " UTC (the cursor)"
	}
	body := st.Accent.Render("Note for "+m.env.Name+", "+when) + "\n\n" + n.input.View() + "\n\n" +
		st.Muted.Render(m.keys.hint("select", "close")+" · kept beside the audit log, with your name")
	return m.compose(under, m.box(body))
}

// choose keeps the note typed.
func (n *noteScreen) choose(m *Model) tea.Cmd {
	text, at := n.input.Value(), n.at
	return tea.Batch(m.pop(), m.addNote(notes.Entry{Kind: notes.Note, Text: text, At: at}))
}

// noNotes says why notes cannot be kept here.
func (m *Model) noNotes() string {
	switch {
	case m.deps.AddNote == nil:
		return "notes are not available here"
	case m.envErr != "":
		return "this environment did not open"
	}
	return ""
}

// openNote opens the note's input, of the cursor's instant if any.
func (m *Model) openNote(tea.KeyPressMsg) tea.Cmd {
	m.push(newNoteScreen(m.timeline.Cursor))
	return nil
}

// noPin says why the figure under the cursor cannot be pinned.
func (m *Model) noPin() string {
	if why := m.noNotes(); why != "" {
		return why
	}
	if m.focus >= len(m.charts) {
		return "focus a metric pane: its figure at the cursor (or now) is pinned"
	}
	if _, _, why := m.pinned(); why != "" {
		return why
	}
	return ""
}

// pinned is the focused metric pane's figure at the cursor (or its value
// now) in words, and its instant; or why there is none.
func (m *Model) pinned() (text string, at time.Time, why string) {
	p := m.charts[m.focus]
	if !p.Poll.HasLast {
		return "", time.Time{}, "the pane has no figure yet"
	}
	r, spec := p.Poll.Last, p.Spec()
	// The value now is of the instant it was read: a failing source's
	// last figure is not the figure of now.
	value, at := r.Value, r.Window.End
	if at.IsZero() {
		at = m.timeline.End(m.deps.Now())
	}
	c := m.timeline.Cursor
	if !c.IsZero() && r.Window.Step > 0 && len(r.Points) > 0 {
		i := int(math.Round(float64(c.Sub(r.Window.Start())) / float64(r.Window.Step)))
		i = min(max(i, 0), len(r.Points)-1)
		value, at = r.Points[i], r.Window.Start().Add(time.Duration(i)*r.Window.Step)
	}
	if math.IsNaN(value) {
		return "", time.Time{}, "no data there to pin"
	}
	text = spec.Title + " " + units.Format(value, spec.Unit)
	if c.IsZero() && p.Poll.Stale(m.deps.Now(), m.deps.Refresh) {
		text += " (last read " + at.UTC().Format("15:04:05") + " UTC)"
	}
	if f := m.narrow.String(); f != "" {
		text += " (" + f + ")"
	}
	return text, at, ""
}

// pin keeps the figure under the cursor.
func (m *Model) pin(tea.KeyPressMsg) tea.Cmd {
	text, at, why := m.pinned()
	if why != "" {
		m.flash = why
		return nil
	}
	return m.addNote(notes.Entry{Kind: notes.Pin, Text: text, At: at})
}

// noteSaved is the end of a note's or pin's write.
type noteSaved struct {
	env   string
	entry notes.Entry
	err   error
}

// addNote writes e for the current environment, off the UI goroutine.
func (m *Model) addNote(e notes.Entry) tea.Cmd {
	e.Environment, e.Time = m.env.Name, m.deps.Now()
	add := m.deps.AddNote
	return func() tea.Msg {
		kept, err := add(context.Background(), e)
		return noteSaved{env: e.Environment, entry: kept, err: err}
	}
}

// noteSaved marks the kept note at once (the marks' next read has it too)
// and says so.
func (m *Model) noteSaved(msg noteSaved) tea.Cmd {
	if msg.err != nil {
		return m.setNotice("⚠ " + msg.entry.Kind + " not kept: " + m.env.Scrubber.Error(msg.err))
	}
	if msg.env != m.env.Name {
		return m.setNotice(msg.entry.Kind + " kept in " + msg.env)
	}
	m.changes.Add(notes.Marks([]notes.Entry{msg.entry})...)
	m.noteChanges()
	return m.setNotice(msg.entry.Kind + " kept: " + msg.entry.Text)
}
