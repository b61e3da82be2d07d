// Package placeholder is a pane for a capability that has not landed yet. It
// says so plainly, and shows what it will read once it has.
package placeholder

import (
	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/ui/frame"
	"github.com/opsdeck/opsdeck/ui/pane"
)

// Model is a static pane.
type Model struct {
	ctx         *pane.Context
	id, title   string
	coming      string // what the pane will show, and which issue brings it
	target      string // the configured target (redacted) or ""
	unsetTarget string // what to configure when target is ""
	w, h        int
	memo        frame.Memo
}

// New builds a placeholder pane.
func New(ctx *pane.Context, id, title, coming, target, unsetTarget string) *Model {
	return &Model{ctx: ctx, id: ctx.ID(id), title: title, coming: coming, target: target, unsetTarget: unsetTarget}
}

func (m *Model) ID() string               { return m.id }
func (m *Model) Title() string            { return m.title }
func (m *Model) Start() tea.Cmd           { return nil }
func (m *Model) Update(tea.Msg) tea.Cmd   { return nil }
func (m *Model) SetSize(w, h int) tea.Cmd { m.w, m.h = w, h; return nil }
func (m *Model) Failing() bool            { return false }

// View renders the notice.
func (m *Model) View(focused bool) []string {
	return m.memo.Get(frame.MemoKey{W: m.w, H: m.h, Focused: focused}, func() []string { return m.render(focused) })
}

func (m *Model) render(focused bool) []string {
	st := m.ctx.Styles
	iw := frame.Inner(m.w)
	body := []string{st.Warn.Render("Not built yet.")}
	for _, l := range frame.Wrap(m.coming, iw) {
		body = append(body, st.Muted.Render(l))
	}
	body = append(body, "")
	if m.target != "" {
		for _, l := range frame.Wrap("configured: "+m.target, iw) {
			body = append(body, st.Faint.Render(l))
		}
	} else {
		for _, l := range frame.Wrap("not configured: "+m.unsetTarget, iw) {
			body = append(body, st.Faint.Render(l))
		}
	}
	return frame.Box{Title: m.title, Focused: focused}.Render(st, m.w, m.h, body)
}

// Loaded is always true: there is nothing to fetch.
func (m *Model) Loaded() bool { return true }

// Ticking is false: nothing here moves.
func (m *Model) Ticking() bool { return false }
