package metricpane

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
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
	// hidden: on another page, the pane does not poll (a dashboard of
	// dozens of panels costs the page shown, as in Grafana).
	hidden bool
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
	// Narrowing is the one value the pane reads (handler="/api/chat"), ""
	// for every value: a pane per narrowing, so that a read for another
	// value is never taken for this one's.
	Narrowing string
}

// New builds a pane; it starts polling on Start.
func New(ctx *pane.Context, o Options) *Model {
	m := &Model{spec: o.Spec, src: o.Source}
	m.Polled = pane.Polled[sources.Reading]{
		Ctx: ctx, Poll: poll.State[sources.Reading]{ID: ctx.ID("metric:" + o.Spec.Key + "@" + o.Narrowing)}, Name: o.Spec.Title,
		Short: cmp.Or(o.SourceName, "prometheus"), Configured: o.Source != nil, Problem: o.Problem, Target: o.Target, Scrubber: o.Scrubber,
		NewFetch: m.newFetch,
		Summary:  m.summary,
		Merge:    mergeValue,
		// Paused, the panes show the paused instant and stop polling; the
		// root refreshes them when the timeline moves.
		Hold: func() string {
			if ctx.Time.Paused {
				return "‖ " + ctx.Time.At.Format("15:04:05")
			}
			if m.hidden {
				return "hidden"
			}
			return ""
		},
		Shared: func() int { return ctx.Time.Version },
	}
	return m
}

// SetHidden stops polling while the pane is on another page; shown again,
// it reads at once when its data is older than a refresh.
func (m *Model) SetHidden(h bool) tea.Cmd {
	was := m.hidden
	m.hidden = h
	if was && !h && m.Configured && !m.Ctx.Time.Paused && m.Poll.RefreshNow() {
		return m.Fetch()
	}
	return nil
}

// Start begins polling, unless the pane is on a page not shown.
func (m *Model) Start() tea.Cmd {
	if m.hidden {
		return nil
	}
	return m.Polled.Start()
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
	compare := ctx.Time.Compare
	last, hasLast := m.Poll.Last, m.Poll.HasLast && m.Poll.Err == nil
	// The chart only gains a point once per step (several polls at wide
	// windows): until then ask for the current value alone; mergeValue
	// keeps the chart, its ghost line and its exemplars.
	if hasLast && last.Window.End.Equal(win.End) && last.Window.Step == win.Step && len(last.Points) == win.Points() && last.EarlierBy == compare {
		return func(ctx context.Context) (sources.Reading, error) {
			r, err := src.Read(ctx, spec, sources.Window{Now: now})
			r.Window = sources.Window{Now: now} // a value alone, as mergeValue tells it
			return r, err
		}
	}
	ghost, exs := planGhost(last, hasLast, win, compare), planExemplars(last, hasLast, win)
	ex, marks := src.(sources.Exemplars)
	marks = marks && sources.MarksExemplars(spec.Key)
	return func(ctx context.Context) (sources.Reading, error) {
		// The ghost line and the exemplars are read beside the chart, not after it.
		var wg sync.WaitGroup
		if compare > 0 && ghost.read {
			wg.Go(func() { ghost.points, ghost.note = readEarlier(ctx, src, spec, win, compare) })
		}
		if marks && exs.read {
			wg.Go(func() {
				if got, err := ex.Exemplars(ctx, spec, exs.from, win.End); err == nil {
					exs.keep, exs.from = appendDots(exs.keep, got.Exemplars), win.End // dots only: the list (t) says what failed
				}
			})
		}
		r, err := src.Read(ctx, spec, win)
		wg.Wait()
		if err != nil {
			return r, err
		}
		if marks {
			r.Exemplars, r.ExemplarsTo = exs.keep[max(len(exs.keep)-maxDots, 0):], exs.from
		}
		if compare > 0 {
			r.Earlier, r.EarlierBy, r.EarlierNote, r.EarlierAt = ghost.points, compare, ghost.note, ghost.at
		}
		return r, err
	}
}

// appendDots appends the exemplars as dots: their time and value, all a
// chart draws (the trace list reads its own, with their trace ids and
// labels), so that up to maxDots of them hold no strings.
func appendDots(dots, exs []sources.Exemplar) []sources.Exemplar {
	for _, e := range exs {
		dots = append(dots, sources.Exemplar{At: e.At, Value: e.Value})
	}
	return dots
}

// mergeValue is got with last's chart, ghost line and exemplars when got
// is a value alone (a window without an end or a step): the chart read
// before stays until its next step.
func mergeValue(last, got sources.Reading) sources.Reading {
	if !got.Window.End.IsZero() || got.Window.Step != 0 {
		return got
	}
	got.Points, got.Window, got.Exemplars, got.ExemplarsTo = last.Points, last.Window, last.Exemplars, last.ExemplarsTo
	got.Earlier, got.EarlierBy, got.EarlierNote, got.EarlierAt = last.Earlier, last.EarlierBy, last.EarlierNote, last.EarlierAt
	return got
}

// ghostPlan is what a chart read does for its ghost line: read it (read),
// or shift the last one along by the steps the window moved (the past does
// not change), its newest points left empty until the next read.
type ghostPlan struct {
	points []float64
	note   string
	at     time.Time // the window's end when the line was read
	read   bool
}

func planGhost(last sources.Reading, hasLast bool, win sources.Window, compare time.Duration) ghostPlan {
	fresh := ghostPlan{read: true, at: win.End}
	if !hasLast || compare <= 0 || last.EarlierBy != compare || last.Window.Step != win.Step || len(last.Earlier) != win.Points() ||
		last.EarlierAt.IsZero() || win.End.Sub(last.EarlierAt) >= ghostEvery {
		return fresh
	}
	k := int(win.End.Sub(last.Window.End) / win.Step)
	if k < 0 || k >= len(last.Earlier) {
		return fresh
	}
	shifted := make([]float64, len(last.Earlier))
	for i := copy(shifted, last.Earlier[k:]); i < len(shifted); i++ {
		shifted[i] = math.NaN()
	}
	return ghostPlan{points: shifted, note: last.EarlierNote, at: last.EarlierAt}
}

// exemplarPlan is what a chart read does for its exemplar dots: keep those
// still inside the window and, at most every exemplarEvery, read what the
// window gained since from (a window holds thousands; decoding them each
// chart step cost a sixth of the idle budget).
type exemplarPlan struct {
	keep []sources.Exemplar
	from time.Time
	read bool
}

func planExemplars(last sources.Reading, hasLast bool, win sources.Window) exemplarPlan {
	to := last.ExemplarsTo
	if !hasLast || last.Window.Step != win.Step || to.IsZero() || !to.Before(win.End) || !to.After(win.Start()) {
		return exemplarPlan{from: win.Start(), read: true}
	}
	p := exemplarPlan{from: to, read: win.End.Sub(to) >= exemplarEvery}
	for _, e := range last.Exemplars {
		if !e.At.Before(win.Start()) {
			p.keep = append(p.keep, e)
		}
	}
	if p.read {
		p.from = to.Add(time.Millisecond)
	}
	return p
}

// maxDots bounds the exemplars a chart keeps for its dots.
const maxDots = 1000

// exemplarEvery is how often a chart reads the exemplars its window gained.
const exemplarEvery = 30 * time.Second

// ghostEvery is how often a chart reads its ghost line again.
const ghostEvery = 30 * time.Second

// readEarlier is the ghost line of spec over win, by back, or in words why
// there is none.
func readEarlier(ctx context.Context, src sources.Metrics, spec sources.SignalSpec, win sources.Window, by time.Duration) ([]float64, string) {
	e, ok := src.(sources.Earlier)
	if !ok {
		return nil, "no history to compare with in direct /metrics mode"
	}
	points, err := e.Earlier(ctx, spec, win, by)
	if err != nil {
		return nil, "the comparison with " + units.Offset(by) + " earlier failed: " + err.Error()
	}
	if _, _, any := sources.MinMax(points...); !any {
		return nil, "no history " + units.Offset(by) + " earlier"
	}
	return points, ""
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
		if r.Partial {
			left += " " + st.Warn.Render("partial")
		}
		if r.Resolution > 0 {
			left += st.Muted.Render(" downsampled ≤" + units.ShortDuration(r.Resolution))
		}
	} else {
		left = st.NoData.Render("no data")
	}
	if c := m.comparison(r, cursor); c != "" {
		left += " " + st.Accent.Render(c)
	}
	if cursor >= 0 {
		if near := marksNear(m.Ctx.Time.Marks, r.Window.Start().Add(time.Duration(cursor)*r.Window.Step), r.Window.Step); len(near) > 0 {
			left += " " + st.Warn.Render(markGlyph(near[0].Kind)+" "+near[0].Text)
			if len(near) > 1 {
				left += st.Muted.Render(fmt.Sprintf(" +%d", len(near)-1))
			}
		}
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
		diag := r.Diagnosis
		if strings.HasSuffix(diag, sources.CeleryNoExporter) && m.Ctx.Celery != nil {
			if answer := m.Ctx.Celery(); answer != "" {
				diag += ": " + answer
			}
		}
		lines = append(lines, paintLines(st.Warn, frame.WrapN("no data: "+diag, iw, limit))...)
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
		lo, hi, ok := sources.MinMax(append(slices.Clone(r.Points), r.Earlier...)...)
		if ok {
			if m.spec.Unit != units.Bytes && lo >= 0 {
				lo = 0 // rates, ratios and latencies read best from zero
			}
			if hi == lo && hi == 0 {
				hi = 1 // all zeros: draw along the bottom
			}
			sw, cw := scaleWidth(iw), iw-scaleWidth(iw)
			timeAxis := chartH >= 4
			if timeAxis {
				chartH--
			}
			col := -1 // the cursor's cell column
			if cursor >= 0 {
				col = cursor * chart.Columns(cw) / len(r.Points) / 2
			}
			// The ghost line is drawn under the chart, faint; exemplars over it.
			plotted, owner := chart.Layers(cw, chartH, lo, hi, r.Points, r.Earlier)
			paints := []theme.Paint{chartPaint, st.Faint}
			dots := exemplarDots(r, cw, chartH, lo, hi)
			for i, l := range plotted {
				lines = append(lines, scaleLabel(st, sw, i, chartH, lo, hi, m.spec.Unit)+paintCells(l, owner[i], paints, col, st.Selected, dots[i], st.Accent))
			}
			if timeAxis {
				start, length := r.Window.Start(), r.Window.End.Sub(r.Window.Start())
				axis := st.Muted.Render(chart.TimeAxis(start, length, cw))
				if marks := sources.MarksIn(m.Ctx.Time.Marks, start, r.Window.End); len(marks) > 0 {
					axis = markAxis(st, chart.TimeAxis(start, length, cw), marks, start, length)
				}
				if sw > 0 {
					axis = st.Muted.Render(strings.Repeat(" ", sw-1)+"└") + axis
				}
				lines = append(lines, axis)
			}
		} else {
			for i := 0; i < chartH; i++ {
				lines = append(lines, "")
			}
		}
	}
	return append(lines, details...)
}

// comparison is the change of the value shown (the cursor's, else the
// current one) against the ghost line at the same point, "+240 % vs 1d",
// or in words why there is nothing to compare with.
func (m *Model) comparison(r sources.Reading, cursor int) string {
	if r.EarlierBy <= 0 {
		return ""
	}
	by := units.Offset(r.EarlierBy)
	if r.EarlierNote != "" {
		return "(" + r.EarlierNote + ")"
	}
	now, then := r.Value, math.NaN()
	if cursor >= 0 {
		now = r.Points[cursor]
		if cursor < len(r.Earlier) {
			then = r.Earlier[cursor]
		}
	} else {
		// The value is newer than the chart's last point; the ghost's last
		// point is its closest past.
		for i := len(r.Earlier) - 1; i >= 0 && math.IsNaN(then); i-- {
			then = r.Earlier[i]
		}
	}
	return Change(now, then, by)
}

// Change is now against then as a signed percentage, "+240 % vs 1d".
func Change(now, then float64, by string) string {
	switch {
	case math.IsNaN(then):
		return "(no value " + by + " earlier)"
	case math.IsNaN(now):
		return ""
	case then == 0 && now == 0:
		return "±0 % vs " + by
	case then == 0:
		return "new vs " + by + " (was 0)"
	}
	pct := (now - then) / math.Abs(then) * 100
	switch {
	case math.Abs(pct) < 0.5:
		return "±0 % vs " + by
	case pct > 0:
		return fmt.Sprintf("+%.0f %% vs %s", pct, by)
	default:
		return fmt.Sprintf("−%.0f %% vs %s", -pct, by)
	}
}

// markGlyph is a mark's one-cell sign on the time axis.
func markGlyph(k sources.MarkKind) string {
	switch k {
	case sources.MarkAction:
		return "A"
	case sources.MarkAlert:
		return "!"
	case sources.MarkResolved:
		return "✓"
	case sources.MarkRestart:
		return "R"
	case sources.MarkDeploy:
		return "D"
	case sources.MarkMigration:
		return "M"
	case sources.MarkNote:
		return "N"
	case sources.MarkPin:
		return "*"
	}
	return "•"
}

// markAxis is the time axis with each mark's sign over its instant (the
// newest wins a cell several share); the signs outrank the clock labels.
func markAxis(st *theme.Styles, axis string, marks []sources.Mark, start time.Time, length time.Duration) string {
	cells := []rune(axis)
	signs := make([]string, len(cells))
	for _, k := range marks {
		if x, ok := chart.Column(start, length, len(cells), k.At); ok {
			signs[x] = markGlyph(k.Kind)
		}
	}
	// A sign inside a clock label would garble it ("03M30"): the label goes.
	for x := range cells {
		if signs[x] == "" || cells[x] == ' ' {
			continue
		}
		from, to := x, x
		for from > 0 && cells[from-1] != ' ' {
			from--
		}
		for to < len(cells)-1 && cells[to+1] != ' ' {
			to++
		}
		for i := from; i <= to; i++ {
			cells[i] = ' '
		}
	}
	var b strings.Builder
	run := 0 // start of the current run of plain cells
	for x := range cells {
		if signs[x] == "" {
			continue
		}
		b.WriteString(st.Muted.Render(string(cells[run:x])))
		b.WriteString(st.Warn.Render(signs[x]))
		run = x + 1
	}
	b.WriteString(st.Muted.Render(string(cells[run:])))
	return b.String()
}

// marksNear are the marks within half a step of t, newest first.
func marksNear(marks []sources.Mark, t time.Time, step time.Duration) []sources.Mark {
	var out []sources.Mark
	for i := len(marks) - 1; i >= 0; i-- {
		if d := marks[i].At.Sub(t); d >= -step/2 && d < step-step/2 {
			out = append(out, marks[i])
		}
	}
	return out
}

// exemplarDots are the cells of a chart cw x h (over lo..hi) that hold an
// exemplar, by line: a latency at its value, a failure on the line at its
// time (its value is a count, not on the chart's scale).
func exemplarDots(r sources.Reading, cw, h int, lo, hi float64) [][]bool {
	dots := make([][]bool, h)
	if len(r.Exemplars) == 0 || r.Window.Step <= 0 || len(r.Points) == 0 || h < 1 {
		return dots
	}
	start, length := r.Window.Start(), r.Window.End.Sub(r.Window.Start())
	for _, e := range r.Exemplars {
		x, ok := chart.Column(start, length, cw, e.At)
		if !ok {
			continue
		}
		v := e.Value
		if r.Key != sources.P95Latency {
			i := min(max(int(math.Round(float64(e.At.Sub(start))/float64(r.Window.Step))), 0), len(r.Points)-1)
			v = r.Points[i]
		}
		if math.IsNaN(v) {
			continue
		}
		y := 0
		if hi > lo {
			y = h - 1 - int(math.Round((v-lo)/(hi-lo)*float64(h-1)))
		}
		y = min(max(y, 0), h-1)
		if dots[y] == nil {
			dots[y] = make([]bool, cw)
		}
		dots[y][x] = true
	}
	return dots
}

// paintCells paints a chart line cell by cell in its layer's paint (a
// blank cell in the first's), with cell col (if any) in the cursor's paint
// (a vertical bar through every line of the chart) and the cells of dots
// as exemplars.
func paintCells(line string, owner []int8, paints []theme.Paint, col int, mark theme.Paint, dots []bool, dot theme.Paint) string {
	cells := []rune(line)
	var b strings.Builder
	const cursor, exemplar = -1, -2
	paintOf := func(x int) int {
		switch {
		case x < len(dots) && dots[x]:
			return exemplar
		case x == col:
			return cursor
		}
		return max(int(owner[x]), 0)
	}
	for x := 0; x < len(cells); {
		p := paintOf(x)
		end := x + 1
		for end < len(cells) && paintOf(end) == p {
			end++
		}
		run := string(cells[x:end])
		switch p {
		case exemplar:
			b.WriteString(dot.Render(strings.Repeat("•", end-x)))
		case cursor:
			if run == " " {
				run = "│"
			}
			b.WriteString(mark.Render(run))
		default:
			b.WriteString(paints[p].Render(run))
		}
		x = end
	}
	return b.String()
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
	if by := m.Ctx.Time.Compare; by > 0 {
		out = append(out, st.Faint.Render(frame.Fit("dim line: the same window "+units.Offset(by)+" earlier", iw)))
	}
	return append(out, m.changeLines(iw)...)
}

// maxChangeLines bounds the list of changes under a zoomed chart.
const maxChangeLines = 6

// changeLines list the marks in the chart's window, newest last, with the
// sign each has on the time axis.
func (m *Model) changeLines(iw int) []string {
	st, r := m.Ctx.Styles, m.Poll.Last
	var out []string
	if p := m.Ctx.Time.MarksProblem; p != "" {
		out = append(out, st.Warn.Render(frame.Fit("⚠ "+p, iw)))
	}
	marks := sources.MarksIn(m.Ctx.Time.Marks, r.Window.Start(), m.Ctx.Time.End(m.Ctx.Now()))
	if r.Window.Step <= 0 || len(marks) == 0 {
		return out
	}
	head := fmt.Sprintf("what changed (%d):", len(marks))
	if len(marks) > maxChangeLines {
		head = fmt.Sprintf("what changed (%d, the last %d):", len(marks), maxChangeLines)
		marks = marks[len(marks)-maxChangeLines:]
	}
	out = append(out, st.Muted.Render(head))
	for _, k := range marks {
		out = append(out, st.Warn.Render(markGlyph(k.Kind))+" "+st.Muted.Render(frame.Fit(k.At.Format("15:04:05")+" "+k.Text, iw-2)))
	}
	return out
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
