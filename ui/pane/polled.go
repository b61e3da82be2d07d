package pane

import (
	"context"

	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/ui/frame"
	"github.com/opsdeck/opsdeck/ui/poll"
	"github.com/opsdeck/opsdeck/ui/theme"
)

// Polled is what a pane over one polled source shares: the poll state
// machine, its size, the memoised frame, the status badge, and the lines for
// "not configured", "connecting" and a failing source. A pane embeds it and
// supplies its fetch and its summary.
type Polled[T any] struct {
	Ctx   *Context
	Poll  poll.State[T]
	Name  string // the box title
	Short string // the source in error lines: "postgres"
	// Configured is false when there is no source; Problem says why.
	Configured bool
	Problem    string
	Target     string
	Scrubber   *redact.Scrubber
	// Loading is shown before the first answer ("connecting…" by default),
	// above Where+Target ("to " by default).
	Loading, Where string
	// NewFetch is called on the UI goroutine and returns the work for the
	// fetch goroutine: copy what it needs, never read the pane from it.
	NewFetch func() func(context.Context) (T, error)
	// Summary renders good data (dimmed when stale) in w cells, at most h lines.
	Summary func(st *theme.Styles, v T, w, h int, stale bool) []string

	w, h    int
	version int
	memo    frame.Memo
}

func (p *Polled[T]) ID() string     { return p.Poll.ID }
func (p *Polled[T]) Title() string  { return p.Name }
func (p *Polled[T]) Start() tea.Cmd { return p.Fetch() }
func (p *Polled[T]) Failing() bool  { return p.Poll.Err != nil }
func (p *Polled[T]) Loaded() bool   { return !p.Configured || p.Poll.HasLast || p.Poll.Err != nil }
func (p *Polled[T]) Ticking() bool  { return Ticking(p.Ctx, &p.Poll) }

// SetSize sets the outer size.
func (p *Polled[T]) SetSize(w, h int) tea.Cmd {
	p.w, p.h = w, h
	p.Changed()
	return nil
}

// Size is the outer size.
func (p *Polled[T]) Size() (w, h int) { return p.w, p.h }

// Changed invalidates the memoised frame (the pane's own state changed).
func (p *Polled[T]) Changed() { p.version++ }

// Fetch starts a fetch now (nothing when not configured).
func (p *Polled[T]) Fetch() tea.Cmd {
	if !p.Configured || p.NewFetch == nil {
		return nil
	}
	return p.Poll.Fetch(p.Ctx.Base, FetchGuard, p.Ctx.Now, p.NewFetch())
}

// Update handles poll results, ticks and refreshes.
func (p *Polled[T]) Update(msg tea.Msg) tea.Cmd {
	p.Changed()
	return p.Poll.Update(msg, p.Ctx.Scheduler(), p.Fetch)
}

// View renders the box; body replaces the standard body when not nil.
func (p *Polled[T]) View(focused bool) []string {
	k := frame.MemoKey{W: p.w, H: p.h, Focused: focused, Version: p.version}
	if p.Ticking() {
		k.Second = p.Ctx.Now().Unix()
	}
	return p.memo.Get(k, func() []string {
		box := frame.Box{Title: p.Name, Info: Info(p.Ctx, p.Configured, &p.Poll), Focused: focused}
		return box.Render(p.Ctx.Styles, p.w, p.h, p.Body(frame.Inner(p.w), p.h-2))
	})
}

// Body is the standard body in iw x ih cells: what is wrong first, then the
// summary of the last good data.
func (p *Polled[T]) Body(iw, ih int) []string {
	st := p.Ctx.Styles
	if iw < 1 || ih < 1 {
		return nil
	}
	if !p.Configured {
		lines := []string{st.Muted.Render("not configured")}
		for _, l := range frame.Wrap(p.Problem, iw) {
			lines = append(lines, st.Muted.Render(l))
		}
		return lines
	}
	var lines []string
	if p.Poll.Err != nil {
		n := 1
		if ih >= 10 {
			n = 3
		}
		lines = ErrorLines(p.Ctx, p.Short, p.Scrubber.Error(p.Poll.Err), &p.Poll, iw, n)
	}
	if !p.Poll.HasLast {
		loading, where := p.Loading, p.Where
		if loading == "" {
			loading, where = "connecting…", "to "
		}
		if p.Poll.Err == nil {
			return []string{st.Muted.Render(loading), st.Faint.Render(where + p.Target)}
		}
		return append(lines, st.Faint.Render(where+p.Target))
	}
	return append(lines, p.Summary(st, p.Poll.Last, iw, ih-len(lines), p.Poll.Err != nil)...)
}
