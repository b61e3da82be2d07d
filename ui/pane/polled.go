package pane

import (
	"context"

	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/ui/frame"
	"github.com/opsdeck/opsdeck/ui/poll"
	"github.com/opsdeck/opsdeck/ui/theme"
)

// Connecting is what every pane says before its source's first answer.
const Connecting = "connecting…"

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
	// Hold, when set and not "", is the badge of a pane held still (the
	// metric panes while the timeline is paused): its polling ticks are
	// dropped and no age moves.
	Hold func() string
	// Shared is a version of state the pane shares with others (the
	// timeline): a change redraws it.
	Shared func() int
	// NewFetch is called on the UI goroutine and returns the work for the
	// fetch goroutine: copy what it needs, never read the pane from it.
	NewFetch func() func(context.Context) (T, error)
	// Summary renders good data (dimmed when stale) in w cells, at most h lines.
	Summary func(st *theme.Styles, v T, w, h int, stale bool) []string
	// Merge, when set, makes the data kept from the last good data and a
	// fetch's answer, on the UI goroutine: what a fetch reuses from the
	// last answer (a chart between its steps) need not travel through it,
	// nor be made safe again.
	Merge func(last, got T) T

	w, h    int
	version int
	memo    frame.Memo
}

func (p *Polled[T]) ID() string     { return p.Poll.ID }
func (p *Polled[T]) Title() string  { return p.Name }
func (p *Polled[T]) Start() tea.Cmd { return p.Fetch() }
func (p *Polled[T]) Failing() bool  { return p.Poll.Err != nil }
func (p *Polled[T]) Loaded() bool   { return !p.Configured || p.Poll.HasLast || p.Poll.Err != nil }
func (p *Polled[T]) Ticking() bool  { return p.held() == "" && Ticking(p.Ctx, &p.Poll) }

// InFlight reports whether a fetch is out: the root holds its frame while
// a refresh's answers are still coming (ui's frame hold).
func (p *Polled[T]) InFlight() bool { return p.Poll.InFlight() }

func (p *Polled[T]) held() string {
	if p.Hold == nil {
		return ""
	}
	return p.Hold()
}

// SetSize sets the outer size.
func (p *Polled[T]) SetSize(w, h int) tea.Cmd {
	p.w, p.h = w, h
	p.Changed()
	return nil
}

// Size is the outer size.
func (p *Polled[T]) Size() (w, h int) { return p.w, p.h }

// Version counts changes of what the pane shows (for a pane's own memo key).
func (p *Polled[T]) Version() int { return p.version }

// Memo is the pane's memoised frame, for a pane that draws itself.
func (p *Polled[T]) Memo() *frame.Memo { return &p.memo }

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
	if _, tick := msg.(poll.Tick); tick {
		if p.held() != "" || p.Ctx.away() {
			return nil // held or off screen: the root refreshes when it lets go
		}
		// A tick only starts a fetch, which no pane shows: the frame
		// stays the memo's, once per pane and refresh.
		return p.Poll.Update(msg, p.Ctx.Scheduler(), p.Fetch)
	}
	p.Changed()
	if r, ok := msg.(poll.Result[T]); ok && p.Merge != nil && r.Err == nil && p.Poll.HasLast {
		r.Value = p.Merge(p.Poll.Last, r.Value)
		msg = r
	}
	return p.Poll.Update(msg, p.Ctx.Scheduler(), p.Fetch)
}

// View renders the box; body replaces the standard body when not nil.
func (p *Polled[T]) View(focused bool) []string {
	k := frame.MemoKey{W: p.w, H: p.h, Focused: focused, Version: p.version}
	if p.Shared != nil {
		k.Shared = p.Shared()
	}
	if p.Ticking() {
		k.Second = p.Ctx.Now().Unix()
	}
	return p.memo.Get(k, func() []string {
		info := Info(p.Ctx, p.Configured, &p.Poll)
		if h := p.held(); h != "" && p.Configured {
			info = p.Ctx.Styles.Accent.Render(h)
		}
		box := frame.Box{Title: p.Name, Info: info, Focused: focused}
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
		// The failure's words are what is read first: in a tall pane, as
		// many lines as they take, up to half of it.
		n := 1
		if ih >= 10 {
			n = ih / 2
		}
		lines = ErrorLines(p.Ctx, p.Short, p.Scrubber.Error(p.Poll.Err), &p.Poll, iw, n)
	}
	if !p.Poll.HasLast {
		if p.Poll.Err == nil {
			return []string{st.Muted.Render(Connecting), st.Faint.Render("to " + p.Target)}
		}
		return append(lines, st.Faint.Render("to "+p.Target))
	}
	return append(lines, p.Summary(st, p.Poll.Last, iw, ih-len(lines), p.Poll.Err != nil)...)
}
