package pane

import (
	"github.com/opsdeck/opsdeck/ui/frame"
	"github.com/opsdeck/opsdeck/ui/theme"
)

// OverlayHead is how a list overlay (the breakdown, the traced requests)
// starts: its status line, "reading…" while a read is out, a faint note,
// the last read's error, and before the first answer "connecting…" and the
// keys.
type OverlayHead struct {
	Status  string
	Loading bool
	Note    string // "" for none
	Err     string // the last read's error, scrubbed; "" for none
	Has     bool   // an answer has come
	Hints   string
}

// Lines are the head's lines, each w cells; done says the overlay has
// nothing more to show (no answer yet).
func (h OverlayHead) Lines(st *theme.Styles, w int) (lines []string, done bool) {
	add := func(p theme.Paint, s string) { lines = append(lines, p.Render(frame.Fit(s, w))) }
	status := h.Status
	if h.Loading {
		status += " · reading…"
	}
	add(st.Muted, status)
	if h.Note != "" {
		add(st.Faint, h.Note)
	}
	if h.Err != "" {
		for _, l := range frame.WrapN("⚠ "+h.Err, w, 3) {
			add(st.Error, l)
		}
	}
	if !h.Has {
		if h.Err == "" {
			add(st.Muted, Connecting)
		}
		add(st.Muted, h.Hints)
		return lines, true
	}
	return lines, false
}
