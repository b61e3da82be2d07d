package ui

import (
	"context"
	"errors"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/internal/notes"
	"github.com/opsdeck/opsdeck/sources"
)

// noteHarness is the console with a fake keeper of notes that records
// what it was given.
func noteHarness(t *testing.T) (*harness, *[]notes.Entry) {
	h := newHarness(t, healthy(), nil, false)
	var kept []notes.Entry
	h.m.deps.AddNote = func(_ context.Context, e notes.Entry) (notes.Entry, error) {
		e.User = "ana"
		e, err := notes.Check(e)
		if err == nil {
			kept = append(kept, e)
		}
		return e, err
	}
	h.m.openEnv("qa")
	h.size(160, 48)
	h.advance(0)
	return h, &kept
}

func marked(h *harness, kind sources.MarkKind) []sources.Mark {
	var out []sources.Mark
	for _, mk := range h.m.timeline.Marks {
		if mk.Kind == kind {
			out = append(out, mk)
		}
	}
	return out
}

// TestNoteTypedKeptAndMarked: n opens the note's input over the console;
// what is typed (and pasted) is kept on enter, as the user's, now, and
// marks the time axes at once; esc drops a note; an empty one is said so.
func TestNoteTypedKeptAndMarked(t *testing.T) {
	h, kept := noteHarness(t)
	h.key("n")
	if s := h.screen(); !strings.Contains(s, "Note for qa, now") {
		t.Fatalf("no note input:\n%s", s)
	}
	for _, r := range "rolled back" {
		h.send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	h.send(tea.PasteMsg{Content: " v1.4 q"}) // q typed here is text, not quit
	h.key("enter")
	if len(*kept) != 1 || (*kept)[0].Text != "rolled back v1.4 q" || (*kept)[0].Environment != "qa" || !(*kept)[0].Time.Equal(h.m.deps.Now()) {
		t.Fatalf("kept %+v", *kept)
	}
	if m := marked(h, sources.MarkNote); len(m) != 1 || m[0].Text != "note by ana: rolled back v1.4 q" {
		t.Errorf("marks %+v", h.m.timeline.Marks)
	}
	if _, open := h.m.top().(*noteScreen); open || !strings.Contains(h.screen(), "note kept: rolled back v1.4 q") {
		t.Errorf("after enter:\n%s", h.screen())
	}
	h.key("n")
	h.send(tea.KeyPressMsg{Code: 'x', Text: "x"})
	h.key("esc")
	h.key("n")
	h.key("enter")
	if len(*kept) != 1 || !strings.Contains(h.screen(), "note not kept: an empty note is not kept") {
		t.Errorf("esc or an empty note kept something: %+v\n%s", *kept, h.screen())
	}
}

// TestPinTheFigureUnderTheCursor: * pins the focused metric pane's figure
// at the cursor's instant (its value now without a cursor), marked there;
// a keeper that fails says so and marks nothing.
func TestPinTheFigureUnderTheCursor(t *testing.T) {
	h, kept := noteHarness(t)
	h.advance(h.m.deps.Refresh)
	h.send(tea.KeyPressMsg{Code: '*', Text: "*"})
	if len(*kept) != 1 || (*kept)[0].Kind != notes.Pin || !strings.HasPrefix((*kept)[0].Text, h.m.charts[0].Spec().Title+" ") {
		t.Fatalf("pinned %+v", *kept)
	}
	h.key("left")
	h.key("left")
	cursor := h.m.timeline.Cursor
	r := h.m.charts[0].Poll.Last
	h.send(tea.KeyPressMsg{Code: '*', Text: "*"})
	if len(*kept) != 2 {
		t.Fatalf("pinned %+v", *kept)
	}
	pin := (*kept)[1]
	if d := pin.At.Sub(cursor); d < -r.Window.Step || d > r.Window.Step {
		t.Errorf("pinned at %s, the cursor at %s", pin.At, cursor)
	}
	if m := marked(h, sources.MarkPin); len(m) != 2 || !m[0].At.Equal(pin.At) && !m[1].At.Equal(pin.At) {
		t.Errorf("pin marks %+v", m)
	}
	h.m.deps.AddNote = func(context.Context, notes.Entry) (notes.Entry, error) {
		return notes.Entry{Kind: notes.Pin}, errors.New("audit log: read-only file system")
	}
	h.send(tea.KeyPressMsg{Code: '*', Text: "*"})
	if s := h.screen(); !strings.Contains(s, "pin not kept: audit log: read-only file system") || len(marked(h, sources.MarkPin)) != 2 {
		t.Errorf("a failed pin:\n%s", s)
	}
}

// TestPinOfAStalePaneSaysWhen: a pane whose source fails keeps its last
// figure; pinned without a cursor, it is marked at the instant it was
// read and says so, not passed off as the figure of now.
func TestPinOfAStalePaneSaysWhen(t *testing.T) {
	src := healthy()
	h := newHarness(t, src, nil, false)
	var kept []notes.Entry
	h.m.deps.AddNote = func(_ context.Context, e notes.Entry) (notes.Entry, error) {
		e, err := notes.Check(e)
		kept = append(kept, e)
		return e, err
	}
	h.m.openEnv("qa")
	h.size(160, 48)
	h.advance(0)
	h.advance(h.m.deps.Refresh)
	p := h.m.charts[0]
	if !p.Poll.HasLast {
		t.Fatal("no reading")
	}
	readAt := p.Poll.Last.Window.End
	src.set(func(f *fakeMetrics) { f.err = errors.New("connection refused") })
	for range 10 {
		h.advance(h.m.deps.Refresh)
	}
	if p.Poll.Err == nil || !p.Poll.Stale(h.m.deps.Now(), h.m.deps.Refresh) {
		t.Fatalf("the pane is not failing: %v", p.Poll.Err)
	}
	h.send(tea.KeyPressMsg{Code: '*', Text: "*"})
	if len(kept) != 1 {
		t.Fatalf("pinned %+v", kept)
	}
	if pin := kept[0]; !pin.At.Equal(readAt) || !strings.Contains(pin.Text, "last read "+readAt.UTC().Format("15:04:05")) {
		t.Errorf("pinned %q at %s; the figure was read at %s, now is %s", pin.Text, pin.At, readAt, h.m.deps.Now())
	}
}
