package ui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/pane"
	"github.com/opsdeck/opsdeck/ui/poll"
)

// refreshing is a refresh caught in the middle: every pane's tick delivered,
// each fetch run but its answer not yet handed to the model.
type refreshing struct {
	answers []pane.Routed // the answers, the request rate's first
	due     []scheduled   // the frame hold's timers
}

// tick advances the clock to the next refresh and delivers every pane's
// tick, as the program does when they fire together.
func (h *harness) tick() *refreshing {
	h.t.Helper()
	h.now = h.now.Add(2 * time.Second)
	r := &refreshing{}
	pending := h.timers
	h.timers = nil
	var msgs []tea.Msg
	for _, s := range pending {
		if _, ok := s.msg.(poll.Tick); !ok {
			h.timers = append(h.timers, s)
			continue
		}
		_, cmd := h.m.Update(s.msg)
		msgs = append(msgs, expand(cmd)...)
	}
	for _, msg := range msgs {
		switch msg := msg.(type) {
		case scheduled:
			r.due = append(r.due, msg)
		case pane.Routed:
			if strings.Contains(msg.PaneID(), sources.RPS) {
				r.answers = append([]pane.Routed{msg}, r.answers...)
			} else {
				r.answers = append(r.answers, msg)
			}
		default:
			h.t.Fatalf("a tick brought %T", msg)
		}
	}
	if len(r.answers) < 3 {
		h.t.Fatalf("%d fetches in flight, want every pane's", len(r.answers))
	}
	return r
}

// expand runs cmd and returns the messages it brings, batches opened.
func expand(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	switch msg := cmd().(type) {
	case nil:
		return nil
	case tea.BatchMsg:
		var out []tea.Msg
		for _, c := range msg {
			out = append(out, expand(c)...)
		}
		return out
	default:
		return []tea.Msg{msg}
	}
}

// answer hands one answer to the model (the timers it sets are kept).
func (h *harness) answer(msg tea.Msg) {
	_, cmd := h.m.Update(msg)
	for _, m := range expand(cmd) {
		if s, ok := m.(scheduled); ok {
			h.timers = append(h.timers, s)
		}
	}
}

// TestRefreshIsOneFrame: while a refresh's answers come, the frame stands;
// the last answer draws them all in one new frame.
func TestRefreshIsOneFrame(t *testing.T) {
	f := healthy()
	h := newHarness(t, f, nil, false)
	h.size(160, 48)
	before := h.m.Render()
	f.set(func(f *fakeMetrics) { f.values[sources.RPS] = 50 })
	r := h.tick()
	if len(r.due) != 1 || r.due[0].d != holdFor {
		t.Fatalf("the hold's timers: %v, want one of %s", r.due, holdFor)
	}
	frames := map[string]bool{}
	for i, a := range r.answers {
		h.answer(a)
		frames[h.m.Render()] = true
		if last := i == len(r.answers)-1; !last && h.m.Render() != before {
			t.Fatalf("answer %d of %d drew a frame", i+1, len(r.answers))
		}
	}
	delete(frames, before)
	if len(frames) != 1 || !strings.Contains(h.screen(), "50.0 req/s") {
		t.Fatalf("%d new frames for one refresh; the last:\n%s", len(frames), h.screen())
	}
}

// TestHeldFrameIsBounded: a source slower than the hold does not hold the
// others' answers back longer than holdFor, and a timer of an earlier hold
// ends no later one.
func TestHeldFrameIsBounded(t *testing.T) {
	f := healthy()
	h := newHarness(t, f, nil, false)
	h.size(160, 48)
	before := h.m.Render()
	f.set(func(f *fakeMetrics) { f.values[sources.RPS] = 50 })
	r := h.tick()
	slow := r.answers[len(r.answers)-1]
	for _, a := range r.answers[:len(r.answers)-1] {
		h.answer(a)
	}
	if h.m.Render() != before {
		t.Fatal("drawn with a fetch in flight, before the hold's end")
	}
	h.answer(r.due[0].msg)
	if !strings.Contains(h.screen(), "50.0 req/s") {
		t.Fatalf("the hold's end did not draw the answers:\n%s", h.screen())
	}
	h.answer(slow)

	// The next refresh: the earlier round's timer, late, ends nothing.
	shown := h.m.Render()
	f.set(func(f *fakeMetrics) { f.values[sources.RPS] = 60 })
	r = h.tick()
	h.answer(r.answers[0])
	h.answer(frameDue{round: r.due[0].msg.(frameDue).round - 1})
	if h.m.Render() != shown {
		t.Fatal("an earlier hold's timer ended this one")
	}
}

// TestKeyIsNotHeld: a key is drawn at once, whatever is in flight.
func TestKeyIsNotHeld(t *testing.T) {
	h := newHarness(t, healthy(), nil, false)
	h.size(160, 48)
	before := ansi.Strip(h.m.Render())
	r := h.tick()
	h.answer(r.answers[0])
	h.answer(tea.KeyPressMsg{Code: tea.KeyTab})
	if ansi.Strip(h.m.Render()) == before {
		t.Fatal("the focus moved, the frame did not")
	}
}

// TestStartIsNotHeld: before every pane has its first answer, each answer
// is drawn as it comes, the others still in flight.
func TestStartIsNotHeld(t *testing.T) {
	h := newHarness(t, healthy(), nil, false)
	_, cmd := h.m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	h.m.Render() // the program draws after every message: "connecting…"
	var answers []tea.Msg
	for _, msg := range expand(cmd) {
		if r, ok := msg.(pane.Routed); ok && strings.Contains(r.PaneID(), sources.RPS) {
			answers = append([]tea.Msg{msg}, answers...)
		} else if ok {
			answers = append(answers, msg)
		}
	}
	if len(answers) < 3 {
		t.Fatalf("%d fetches at start, want every pane's", len(answers))
	}
	h.answer(answers[0])
	if !strings.Contains(h.screen(), "42.7 req/s") {
		t.Fatalf("the first answer was held at start:\n%s", h.screen())
	}
}
