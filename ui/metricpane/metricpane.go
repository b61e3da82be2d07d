package metricpane

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/charmbracelet/x/ansi"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/chart"
	"github.com/opsdeck/opsdeck/ui/frame"
	"github.com/opsdeck/opsdeck/ui/pane"
	"github.com/opsdeck/opsdeck/ui/poll"
	"github.com/opsdeck/opsdeck/ui/theme"
)

// Model is one metric pane.
type Model struct {
	pane.Polled[sources.Reading]
	spec sources.SignalSpec
	src  sources.Metrics // nil when the environment has no Prometheus
}

// Options configure a pane.
type Options struct {
	Spec     sources.SignalSpec
	Source   sources.Metrics
	Problem  string // shown when Source is nil
	Target   string
	Scrubber *redact.Scrubber
	// SourceName names the source in error lines ("prometheus", "/metrics").
	SourceName string
	// Focus is the one value the pane reads (handler="/api/chat"), "" for
	// every value: a pane per focus, so that a read for another focus is
	// never taken for this one's.
	Focus string
}

// New builds a pane; it starts polling on Start.
func New(ctx *pane.Context, o Options) *Model {
	m := &Model{spec: o.Spec, src: o.Source}
	m.Polled = pane.Polled[sources.Reading]{
		Ctx: ctx, Poll: poll.State[sources.Reading]{ID: ctx.ID("metric:" + o.Spec.Key + "@" + o.Focus)}, Name: o.Spec.Title,
		Short: cmp.Or(o.SourceName, "prometheus"), Configured: o.Source != nil, Problem: o.Problem, Target: o.Target, Scrubber: o.Scrubber,
		NewFetch: m.newFetch,
		Summary:  m.summary,
		// Paused, the panes show the paused instant and stop polling; the
		// root refreshes them when the timeline moves.
		Hold: func() string {
			if ctx.Time.Paused {
				return "‖ " + ctx.Time.At.Format("15:04:05")
			}
			return ""
		},
		Shared: func() int { return ctx.Time.Version },
	}
	return m
}

// Spec is the signal the pane shows.
func (m *Model) Spec() sources.SignalSpec { return m.spec }

// SetSize sets the outer size, border included. A chart that became wider
// than its data refetches at once (zoom), rather than stretching old points.
func (m *Model) SetSize(w, h int) tea.Cmd {
	ow, _ := m.Size()
	m.Polled.SetSize(w, h)
	if w > ow && ow > 0 && m.Configured && m.Poll.HasLast && m.Poll.RefreshNow() {
		return m.Fetch()
	}
	return nil
}

func (m *Model) chartWidth() int { w, _ := m.Size(); return ChartWidth(w) }

// ChartWidth is the width in cells of the chart of a pane w cells wide: its
// inside, the value scale left out.
func ChartWidth(w int) int {
	iw := frame.Inner(w)
	return max(iw-scaleWidth(iw), 1)
}

// newFetch is the next read: the chart's window at the timeline's instant,
// or (between chart steps) the current value alone, keeping the chart.
func (m *Model) newFetch() func(context.Context) (sources.Reading, error) {
	// Copy what the fetch needs: the closure runs on another goroutine.
	src, spec, ctx := m.src, m.spec, m.Ctx
	// Paused, the charts and values are read at the paused instant.
	now := ctx.Time.End(ctx.Now())
	win := sources.WindowFor(now, ctx.Time.Window, chart.Columns(m.chartWidth()))
	// The chart only gains a point once per step (several polls at wide
	// windows): until then ask for the current value alone and keep the chart.
	var keep sources.Reading
	if last := m.Poll.Last; m.Poll.HasLast && m.Poll.Err == nil && last.Window.End.Equal(win.End) &&
		last.Window.Step == win.Step && len(last.Points) == win.Points() {
		keep = last
		win = sources.Window{Now: now}
	}
	return func(ctx context.Context) (sources.Reading, error) {
		r, err := src.Read(ctx, spec, win)
		if err == nil && keep.Points != nil {
			r.Points, r.Window = keep.Points, keep.Window
		}
		return r, err
	}
}

// Grid is the chart's first point and the time between points: the grid the
// cursor moves on (zero before the first chart).
func (m *Model) Grid() (start time.Time, step time.Duration) {
	w := m.Poll.Last.Window
	if w.Step <= 0 {
		return time.Time{}, 0
	}
	return w.Start(), w.Step
}

// cursorIndex is the chart point under the timeline's cursor, or -1.
func (m *Model) cursorIndex(r sources.Reading) int {
	c := m.Ctx.Time.Cursor
	if c.IsZero() || r.Window.Step <= 0 || len(r.Points) == 0 {
		return -1
	}
	i := int(math.Round(float64(c.Sub(r.Window.Start())) / float64(r.Window.Step)))
	return min(max(i, 0), len(r.Points)-1)
}

// summary is the value, its range and the chart of the last good reading
// (dimmed when stale), in iw x ih cells; zoomed, the query and thresholds.
func (m *Model) summary(st *theme.Styles, r sources.Reading, iw, ih int, stale bool) []string {
	var lines []string
	cursor := m.cursorIndex(r)
	shown := r.Value
	if cursor >= 0 {
		shown = r.Points[cursor]
	}
	status := m.spec.Thresholds.Classify(shown)
	var left string
	if cursor >= 0 {
		at := r.Window.Start().Add(time.Duration(cursor) * r.Window.Step)
		left = st.Accent.Render("▏"+at.Format("15:04:05")) + " "
		if math.IsNaN(shown) {
			left += st.NoData.Render("no data")
		} else {
			left += st.ValueFor(status).Render(units.Format(shown, m.spec.Unit)) + " " + st.ForStatus(status).Render(statusWord(status))
		}
	} else if r.HasValue() {
		value := units.Format(r.Value, m.spec.Unit)
		vp, sp := st.ValueFor(status), st.ForStatus(status)
		if stale {
			vp, sp = st.Faint, st.Faint
		}
		left = vp.Render(value) + " " + sp.Render(statusWord(status))
		if r.Series > 1 {
			left += st.Muted.Render(fmt.Sprintf(" (max of %d series)", r.Series))
		}
	} else {
		left = st.NoData.Render("no data")
	}
	right := ""
	if lo, hi, ok := m.minMax(r); ok {
		u := m.spec.Unit
		room := iw - ansi.StringWidth(left) - 1
		right = st.Muted.Render(frame.FirstFit(room,
			"min "+units.Format(lo, u)+"  max "+units.Format(hi, u),
			"↓"+units.Format(lo, u)+" ↑"+units.Format(hi, u),
			"↓"+units.FormatShort(lo, u)+" ↑"+units.FormatShort(hi, u)))
	}
	if !r.HasValue() && r.Diagnosis != "" {
		// Without a value the explanation matters most: it may use every line
		// the (empty) chart would have had.
		_, _, hasChart := r.MinMax()
		limit := ih - len(lines)
		if hasChart {
			limit = min(limit, 3)
		}
		lines = append(lines, paintLines(st.Warn, frame.WrapN("no data: "+r.Diagnosis, iw, limit))...)
		if !hasChart {
			return lines
		}
	} else {
		lines = append(lines, frame.Spread(left, right, iw))
	}
	// What the source said beside the answer (a partial result, a PromQL
	// hint): one line, every note when the pane is tall.
	if len(r.Notes) > 0 {
		if ih >= 16 {
			for _, n := range r.Notes {
				lines = append(lines, paintLines(st.Muted, frame.WrapN("ⓘ "+n, iw, 2))...)
			}
		} else {
			note := "ⓘ " + r.Notes[0]
			if len(r.Notes) > 1 {
				note = fmt.Sprintf("ⓘ %d notes: %s", len(r.Notes), r.Notes[0])
			}
			lines = append(lines, st.Muted.Render(frame.Fit(note, iw)))
		}
	}

	// Details go below the chart when the pane is tall (zoomed).
	var details []string
	if ih >= 16 {
		details = m.details(iw)
	}
	chartH := ih - len(lines) - len(details)
	if chartH > 0 {
		chartPaint := st.ForStatus(status)
		if stale || status == sources.StatusNoData {
			chartPaint = st.Faint
		}
		lo, hi, ok := r.MinMax()
		if ok {
			if m.spec.Unit != units.Bytes && lo >= 0 {
				lo = 0 // rates, ratios and latencies read best from zero
			}
			if hi == lo && hi == 0 {
				hi = 1 // all zeros: draw along the bottom
			}
			sw, cw := scaleWidth(iw), iw-scaleWidth(iw)
			timeAxis := sw > 0 && chartH >= 4
			if timeAxis {
				chartH--
			}
			col := -1 // the cursor's cell column
			if cursor >= 0 {
				col = cursor * chart.Columns(cw) / len(r.Points) / 2
			}
			for i, l := range chart.Braille(r.Points, cw, chartH, lo, hi) {
				lines = append(lines, scaleLabel(st, sw, i, chartH, lo, hi, m.spec.Unit)+markColumn(l, col, chartPaint, st.Selected))
			}
			if timeAxis {
				lines = append(lines, st.Muted.Render(strings.Repeat(" ", sw-1)+"└"+chart.TimeAxis(r.Window.Start(), r.Window.End.Sub(r.Window.Start()), cw)))
			}
		} else {
			for i := 0; i < chartH; i++ {
				lines = append(lines, "")
			}
		}
	}
	return append(lines, details...)
}

// scaleWidth is the value scale's width left of a chart iw cells wide: none
// when the pane is too narrow to spare it.
func scaleWidth(iw int) int {
	if iw < 40 {
		return 0
	}
	return 9
}

// scaleLabel is the value scale beside chart line i of h: the top, middle
// and bottom values, in the signal's unit.
func scaleLabel(st *theme.Styles, sw, i, h int, lo, hi float64, u units.Unit) string {
	if sw == 0 {
		return ""
	}
	label := ""
	switch {
	case i == 0:
		label = units.FormatShort(hi, u)
	case i == h-1:
		label = units.FormatShort(lo, u)
	case h >= 5 && i == h/2:
		label = units.FormatShort((lo+hi)/2, u)
	}
	return st.Muted.Render(frame.FitRight(label, sw-1) + "│")
}

// minMax is the range over the window, current value included (it is the
// window's newest point, newer than the chart's last step).
func (m *Model) minMax(r sources.Reading) (lo, hi float64, ok bool) {
	return sources.MinMax(append(slices.Clone(r.Points), r.Value)...)
}

func (m *Model) details(iw int) []string {
	st := m.Ctx.Styles
	var out []string
	out = append(out, st.Faint.Render(strings.Repeat("─", iw)))
	for _, l := range frame.Wrap("query: "+m.spec.Query, iw) {
		out = append(out, st.Muted.Render(l))
	}
	var th []string
	if w := m.spec.Thresholds.Warn; w != nil {
		th = append(th, "warn ≥ "+units.Format(*w, m.spec.Unit))
	}
	if c := m.spec.Thresholds.Crit; c != nil {
		th = append(th, "crit ≥ "+units.Format(*c, m.spec.Unit))
	}
	if len(th) == 0 {
		th = append(th, "no thresholds")
	}
	out = append(out, st.Muted.Render(fmt.Sprintf("%s · window %s, one point every %s · from %s · updated %s",
		strings.Join(th, " · "), units.ShortDuration(m.Ctx.Time.Window), units.ShortDuration(m.Poll.Last.Window.Step), m.Target,
		m.Poll.LastOK.Format("15:04:05"))))
	return out
}

// markColumn paints a chart line, with cell col (if any) in the cursor's
// paint: a vertical bar through every line of the chart.
func markColumn(line string, col int, paint, mark theme.Paint) string {
	r := []rune(line)
	if col < 0 || col >= len(r) {
		return paint.Render(line)
	}
	cell := string(r[col])
	if cell == " " {
		cell = "│"
	}
	return paint.Render(string(r[:col])) + mark.Render(cell) + paint.Render(string(r[col+1:]))
}

func statusWord(s sources.Status) string {
	switch s {
	case sources.StatusWarn:
		return "WARN"
	case sources.StatusCrit:
		return "CRIT"
	case sources.StatusOK:
		return "ok"
	default:
		return ""
	}
}

func paintLines(p theme.Paint, lines []string) []string {
	for i, l := range lines {
		lines[i] = p.Render(l)
	}
	return lines
}
