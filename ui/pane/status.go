package pane

import (
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/ui/frame"
	"github.com/opsdeck/opsdeck/ui/poll"
)

// Info is the top-border badge every polling pane shows: off, loading, live,
// late (age) or failing (age of the last good data).
func Info[T any](c *Context, configured bool, p *poll.State[T]) string {
	st := c.Styles
	now := c.Now()
	switch {
	case !configured:
		return st.Muted.Render("off")
	case p.Err != nil && p.HasLast:
		return st.Error.Render("⚠ " + units.Age(now.Sub(p.LastOK)) + " old")
	case p.Err != nil:
		return st.Error.Render("⚠ down")
	case !p.HasLast:
		return st.Muted.Render("…")
	case p.Stale(now, c.Refresh):
		return st.Warn.Render(units.Age(now.Sub(p.LastOK)) + " ago")
	default:
		return st.Muted.Render("live")
	}
}

// Ticking reports whether a polling pane shows an age that moves every second.
func Ticking[T any](c *Context, p *poll.State[T]) bool {
	return p.Err != nil || p.Stale(c.Now(), c.Refresh)
}

// ErrorLines is a failing source in words: with last data, how old it is;
// without, when the next attempt comes. At most n lines of width w.
func ErrorLines[T any](c *Context, source, msg string, p *poll.State[T], w, n int) []string {
	st := c.Styles
	now := c.Now()
	if p.HasLast {
		text := fmt.Sprintf("⚠ %s: %s (last ok %s ago; since %s)", source, msg, units.Age(now.Sub(p.LastOK)), p.FailingSince().Format("15:04:05"))
		return paint(st.Error.Render, frame.WrapN(text, w, n))
	}
	lines := paint(st.Error.Render, frame.WrapN(fmt.Sprintf("⚠ %s: %s (since %s)", source, msg, p.FailingSince().Format("15:04:05")), w, max(n-1, 1)))
	retry := p.Delay(now, c.Refresh).Round(time.Second)
	return append(lines, st.Muted.Render("retrying every "+units.ShortDuration(max(retry, time.Second))))
}

func paint(f func(string) string, lines []string) []string {
	for i, l := range lines {
		lines[i] = f(l)
	}
	return lines
}

// Zoomer is a pane that shows more when zoomed (and may fetch more for it).
type Zoomer interface {
	SetZoomed(zoomed bool) tea.Cmd
}
