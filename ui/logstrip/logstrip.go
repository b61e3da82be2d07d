package logstrip

import (
	"context"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/frame"
	"github.com/opsdeck/opsdeck/ui/logsview"
	"github.com/opsdeck/opsdeck/ui/metricpane"
	"github.com/opsdeck/opsdeck/ui/pane"
	"github.com/opsdeck/opsdeck/ui/poll"
	"github.com/opsdeck/opsdeck/ui/theme"
)

// Model is the strip: a polled pane one line high and the screen's width,
// drawn under the charts' columns.
type Model struct {
	pane.Polled[Reading]
	src    sources.Logs
	filter string
	// columns are the widths of the charts above, left to right: the strip
	// repeats its cells under each, on that chart's time axis.
	columns []int
	// own is the strip's copy of the panes' context: it reads once per
	// step of its cells, not every refresh (a cell only gains a step's
	// lines), so its interval is its own.
	own     pane.Context
	refresh time.Duration // the panes' interval
}

// Reading is the volume of one read and the range it covers.
type Reading struct {
	Start, End time.Time
	Volume     []sources.LogVolume
}

// New builds the strip over src (which narrows every read to the
// application's stream itself), counting the lines of filter ("" every
// line: the charts' focus, when they have one).
func New(ctx *pane.Context, src sources.Logs, filter, target string, scrub *redact.Scrubber) *Model {
	m := &Model{src: src, filter: filter, own: *ctx, refresh: ctx.Refresh}
	m.Polled = pane.Polled[Reading]{
		// A strip per filter: a read for another focus is never this one's.
		Ctx: &m.own, Poll: poll.State[Reading]{ID: ctx.ID("logstrip@" + filter)}, Name: "Logs", Short: "logs",
		Configured: src != nil, Target: target, Scrubber: scrub,
		NewFetch: m.newFetch,
		Shared:   func() int { return ctx.Time.Version },
	}
	return m
}

// SetColumns sets the strip's width (the screen's) and the charts' widths
// above it.
func (m *Model) SetColumns(w int, columns []int) {
	m.Polled.SetSize(w, 1)
	m.columns = append(m.columns[:0], columns...)
}

// cells is how many cells the widest chart has: one step of the read each.
func (m *Model) cells() int {
	n := 1
	for _, w := range m.columns {
		n = max(n, metricpane.ChartWidth(w))
	}
	return n
}

// newFetch reads the volume of the charts' window, one step per cell. The
// closure gets copies: it runs on another goroutine.
func (m *Model) newFetch() func(context.Context) (Reading, error) {
	t := m.own.Time
	end := t.End(m.own.Now())
	start := end.Add(-t.Window)
	step := max(t.Window/time.Duration(m.cells()), time.Second)
	// Read again once a cell's step has passed (at least every refresh).
	m.own.Refresh = max(m.refresh, step)
	src, q := m.src, sources.LogQuery{Filter: m.filter, Start: start, End: end}
	return func(ctx context.Context) (Reading, error) {
		v, err := src.Volume(ctx, q, step)
		return Reading{Start: start, End: end, Volume: v}, err
	}
}

// View is the strip's one line, the screen's width: under each chart its
// cells (and the word "logs" under the value scale), or what is wrong in
// words.
func (m *Model) View(bool) []string {
	w, _ := m.Size()
	k := frame.MemoKey{W: w, H: 1, Version: m.Version(), Shared: m.Ctx.Time.Version}
	if m.Ticking() {
		k.Second = m.Ctx.Now().Unix()
	}
	return m.Memo().Get(k, func() []string { return []string{m.line(w)} })
}

func (m *Model) line(w int) string {
	st := m.Ctx.Styles
	switch p := &m.Poll; {
	case p.Err != nil:
		return frame.Fit("  "+pane.ErrorLines(m.Ctx, "logs", m.Scrubber.Error(p.Err), p, max(w-2, 1), 1)[0], w)
	case !p.HasLast:
		return frame.Fit("  "+st.Muted.Render("logs: "+pane.Connecting), w)
	}
	r := m.Poll.Last
	var b strings.Builder
	for _, cw := range m.columns {
		b.WriteString(Segment(st, r, cw))
	}
	return frame.Fit(b.String(), w)
}

// Segment is the strip under one chart of a pane w cells wide: the pane's
// border and padding blank, the word under its value scale, a cell per
// chart cell.
func Segment(st *theme.Styles, r Reading, w int) string {
	iw, cw := frame.Inner(w), metricpane.ChartWidth(w)
	sw := iw - cw
	label := ""
	if sw > 0 {
		label = st.Muted.Render(frame.FitRight("logs", sw-1) + " ")
	}
	cells := Cells(r.Volume, r.Start, r.End.Sub(r.Start), cw)
	return "  " + label + Bars(st, cells) + "  "
}

// Cell is one cell's lines: in all, and of them errors and warnings.
type Cell struct{ Total, Errors, Warnings int }

// Cells sums vols into n cells over [start, start+length): a step counts
// in the cell its time falls in.
func Cells(vols []sources.LogVolume, start time.Time, length time.Duration, n int) []Cell {
	out := make([]Cell, max(n, 0))
	if n <= 0 || length <= 0 {
		return out
	}
	for _, v := range vols {
		at := v.Time.Sub(start)
		if at < 0 || at > length {
			continue
		}
		i := min(int(int64(at)*int64(n)/int64(length)), n-1)
		for level, c := range v.ByLevel {
			out[i].Total += c
			switch logsview.SeverityOf(level) {
			case logsview.Error:
				out[i].Errors += c
			case logsview.Warning:
				out[i].Warnings += c
			}
		}
	}
	return out
}

// blocks are the heights a cell's bar takes, lowest first.
var blocks = []rune("▁▂▃▄▅▆▇█")

// Bars draws cells as one row of blocks, each as high as its count against
// the largest, an empty cell blank. A cell is in the error colour where its
// errors stand out: at least twice the window's errors per cell, or 5 % of
// its lines; in the warning colour where its warnings do; muted otherwise.
// A service logs some errors all the time (a 0.3 % error rate is an error
// line in most cells): painting every cell that has one would paint them
// all, and the burst under the error-rate spike would not stand out.
func Bars(st *theme.Styles, cells []Cell) string {
	top, lines, errs, warns := 0, 0, 0, 0
	for _, c := range cells {
		top = max(top, c.Total)
		errs += c.Errors
		warns += c.Warnings
		if c.Total > 0 {
			lines++
		}
	}
	stands := func(n, total, all int) bool { return n > 0 && (n*lines >= 2*all || n*20 >= total) }
	var b strings.Builder
	for _, c := range cells {
		if c.Total == 0 {
			b.WriteByte(' ')
			continue
		}
		h := min((c.Total*len(blocks)-1)/top, len(blocks)-1)
		p := st.Muted
		switch {
		case stands(c.Errors, c.Total, errs):
			p = st.Error
		case stands(c.Warnings, c.Total, warns):
			p = st.Warn
		}
		b.WriteString(p.Render(string(blocks[h])))
	}
	return b.String()
}
