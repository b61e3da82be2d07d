package ui

import (
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/ui/pane"
)

// FrameRate is how many times a second Bubble Tea's renderer looks for a
// new frame (tea.WithFPS): it wakes up this often even when nothing
// changed, and 10 keeps a key press on screen within 100 ms at a sixth of
// the idle CPU of the default 60.
const FrameRate = 10

// holdFor bounds how long a frame is held for answers still in flight: one
// renderer frame. The panes fetch at the same instant; their answers come
// over some tens of milliseconds (up to 190 ms on a loaded machine), each
// redrawing its pane, and the renderer parses every changed frame whole
// into its cells and diffs it, a fifth of the idle CPU. Held, a refresh
// is one new frame, not one per renderer tick its answers straddle; an
// answer is shown at most holdFor later than it would have been.
const holdFor = time.Second / FrameRate

// frameHold is the state of the hold: on while fetches are in flight,
// counted so that the timer of an earlier hold ends no later one.
type frameHold struct {
	on    bool
	round int
}

// frameDue ends the hold of its round.
type frameDue struct{ round int }

// Update handles a message (update), then holds or lets go of the frame:
// once every pane has had its first answer, while a pane's fetch is in
// flight, Render hands back the frame last drawn, until the last fetch
// answers or holdFor passes; anything but the panes' polling (a key, a
// size, the clock) lets go at once.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	_, cmd := m.update(msg)
	return m, tea.Batch(cmd, m.holdAfter(msg))
}

func (m *Model) holdAfter(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case frameDue:
		if msg.round == m.hold.round {
			m.hold.on = false
		}
	case pane.Routed: // a tick starting a fetch, an answer
		// Until every pane has its first answer, each is shown as it comes:
		// the first complete frame is what the engineer waits for.
		if !m.Loaded() || !m.fetching() {
			m.hold.on = false
			return nil
		}
		if !m.hold.on {
			m.hold.on = true
			m.hold.round++
			return m.deps.After(holdFor, frameDue{m.hold.round})
		}
	default:
		m.hold.on = false
	}
	return nil
}

// fetching reports whether anything polled (every pane the root routes
// answers to) has a fetch in flight.
func (m *Model) fetching() bool {
	for _, p := range m.byID {
		if f, ok := p.(interface{ InFlight() bool }); ok && f.InFlight() {
			return true
		}
	}
	return false
}
