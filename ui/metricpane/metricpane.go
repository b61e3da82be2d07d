package metricpane

import (
	"context"
	"fmt"
	"math"
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
	ctx      *pane.Context
	spec     sources.SignalSpec
	src      sources.Metrics // nil when the environment has no Prometheus
	problem  string          // why src is nil
	srcName  string          // the source, as error lines name it
	target   string          // where the data comes from, redacted
	scrubber *redact.Scrubber
	poll     poll.State[sources.Reading]
	w, h     int
	version  int // bumped on every change of what View shows
	memo     frame.Memo
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
}

// New builds a pane; it starts polling on Start.
func New(ctx *pane.Context, o Options) *Model {
	if o.SourceName == "" {
		o.SourceName = "prometheus"
	}
	return &Model{ctx: ctx, spec: o.Spec, src: o.Source, problem: o.Problem, target: o.Target, srcName: o.SourceName,
		scrubber: o.Scrubber, poll: poll.State[sources.Reading]{ID: ctx.ID("metric:" + o.Spec.Key)}}
}

func (m *Model) ID() string    { return m.poll.ID }
func (m *Model) Title() string { return m.spec.Title }

// SetSize sets the outer size, border included. A chart that became wider
// than its data refetches at once (zoom), rather than stretching old points.
func (m *Model) SetSize(w, h int) tea.Cmd {
	grew := w > m.w && m.w > 0
	m.w, m.h = w, h
	m.version++
	if grew && m.src != nil && m.poll.HasLast && m.poll.RefreshNow() {
		return m.fetch()
	}
	return nil
}

// Start fetches at once.
func (m *Model) Start() tea.Cmd { return m.fetch() }

func (m *Model) chartWidth() int { return max(frame.Inner(m.w), 1) }

func (m *Model) fetch() tea.Cmd {
	if m.src == nil {
		return nil
	}
	// Copy what the fetch needs: the closure runs on another goroutine.
	src, spec := m.src, m.spec
	// Paused, the charts and values are read at the paused instant.
	now := m.ctx.Time.End(m.ctx.Now())
	win := sources.WindowFor(now, m.ctx.Time.Window, chart.Columns(m.chartWidth()))
	// The chart only gains a point once per step (several polls at wide
	// windows): until then ask for the current value alone and keep the chart.
	var keep sources.Reading
	if last := m.poll.Last; m.poll.HasLast && m.poll.Err == nil && last.Window.End.Equal(win.End) &&
		last.Window.Step == win.Step && len(last.Points) == win.Points() {
		keep = last
		win = sources.Window{Now: now}
	}
	return m.poll.Fetch(m.ctx.Base, pane.FetchGuard, m.ctx.Now, func(ctx context.Context) (sources.Reading, error) {
		r, err := src.Read(ctx, spec, win)
		if err == nil && keep.Points != nil {
			r.Points, r.Window = keep.Points, keep.Window
		}
		return r, err
	})
}

// Update handles this pane's poll results and ticks, and refresh requests.
// While the timeline is paused the polling ticks are dropped; the root sends
// a refresh when it resumes or the window changes.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	if _, tick := msg.(poll.Tick); tick && m.ctx.Time.Paused {
		return nil
	}
	m.version++
	return m.poll.Update(msg, m.ctx.Scheduler(), m.fetch)
}

// Failing reports whether the last fetch failed.
func (m *Model) Failing() bool { return m.poll.Err != nil }

// View renders the pane.
func (m *Model) View(focused bool) []string {
	key := frame.MemoKey{W: m.w, H: m.h, Focused: focused, Version: m.version, Shared: m.ctx.Time.Version}
	if m.Ticking() {
		key.Second = m.ctx.Now().Unix()
	}
	return m.memo.Get(key, func() []string {
		box := frame.Box{Title: m.spec.Title, Info: m.info(), Focused: focused}
		return box.Render(m.ctx.Styles, m.w, m.h, m.body())
	})
}

func (m *Model) info() string {
	st := m.ctx.Styles
	p := &m.poll
	now := m.ctx.Now()
	switch {
	case m.src == nil:
		return st.Muted.Render("off")
	case m.ctx.Time.Paused:
		return st.Accent.Render("‖ " + m.ctx.Time.At.Format("15:04:05"))
	case p.Err != nil && p.HasLast:
		return st.Error.Render("⚠ " + units.Age(now.Sub(p.LastOK)) + " old")
	case p.Err != nil:
		return st.Error.Render("⚠ down")
	case !p.HasLast:
		return st.Muted.Render("…")
	case p.Stale(now, m.ctx.Refresh):
		return st.Warn.Render(units.Age(now.Sub(p.LastOK)) + " ago")
	default:
		return st.Muted.Render("live")
	}
}

// Ticking reports whether the pane shows an age that moves every second.
func (m *Model) Ticking() bool {
	if m.ctx.Time.Paused {
		return false
	}
	return m.poll.Err != nil || m.poll.Stale(m.ctx.Now(), m.ctx.Refresh)
}

// Grid is the chart's first point and the time between points: the grid the
// cursor moves on (zero before the first chart).
func (m *Model) Grid() (start time.Time, step time.Duration) {
	w := m.poll.Last.Window
	if w.Step <= 0 {
		return time.Time{}, 0
	}
	return w.Start(), w.Step
}

// cursorIndex is the chart point under the timeline's cursor, or -1.
func (m *Model) cursorIndex(r sources.Reading) int {
	c := m.ctx.Time.Cursor
	if c.IsZero() || r.Window.Step <= 0 || len(r.Points) == 0 {
		return -1
	}
	i := int(math.Round(float64(c.Sub(r.Window.Start())) / float64(r.Window.Step)))
	return min(max(i, 0), len(r.Points)-1)
}

func (m *Model) body() []string {
	st := m.ctx.Styles
	iw, ih := frame.Inner(m.w), m.h-2
	if iw < 1 || ih < 1 {
		return nil
	}
	p := &m.poll
	if m.src == nil {
		return append([]string{st.Muted.Render("not configured")}, paintLines(st.Muted, frame.Wrap(m.problem, iw))...)
	}
	if !p.HasLast {
		if p.Err != nil {
			lines := paintLines(st.Error, frame.Wrap("⚠ "+m.srcName+": "+m.scrubber.Error(p.Err), iw))
			return append(lines, st.Muted.Render(fmt.Sprintf("retrying every %s", units.ShortDuration(p.Delay(m.ctx.Now(), m.ctx.Refresh).Round(time.Second)))))
		}
		return []string{st.Muted.Render("loading…"), st.Faint.Render("from " + m.target)}
	}

	r := p.Last
	var lines []string
	stale := p.Err != nil
	if stale {
		// Small panes give the error one line (zoom shows it whole).
		maxLines := 1
		if ih >= 8 {
			maxLines = 2
		}
		if ih >= 16 {
			maxLines = 6
		}
		msg := fmt.Sprintf("⚠ %s: %s (last ok %s ago)", m.srcName, m.scrubber.Error(p.Err), units.Age(m.ctx.Now().Sub(p.LastOK)))
		lines = paintLines(st.Error, frame.WrapN(msg, iw, maxLines))
	}

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
			col := -1 // the cursor's cell column
			if cursor >= 0 {
				col = cursor * chart.Columns(iw) / len(r.Points) / 2
			}
			for _, l := range chart.Braille(r.Points, iw, chartH, lo, hi) {
				lines = append(lines, markColumn(l, col, chartPaint, st.Selected))
			}
		} else {
			for i := 0; i < chartH; i++ {
				lines = append(lines, "")
			}
		}
	}
	return append(lines, details...)
}

// minMax is the range over the window, current value included (it is the
// window's newest point, newer than the chart's last step).
func (m *Model) minMax(r sources.Reading) (lo, hi float64, ok bool) {
	lo, hi, ok = r.MinMax()
	if r.HasValue() && !math.IsInf(r.Value, 0) {
		if !ok {
			return r.Value, r.Value, true
		}
		lo, hi = math.Min(lo, r.Value), math.Max(hi, r.Value)
	}
	return lo, hi, ok
}

func (m *Model) details(iw int) []string {
	st := m.ctx.Styles
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
		strings.Join(th, " · "), units.ShortDuration(m.ctx.Time.Window), units.ShortDuration(m.poll.Last.Window.Step), m.target,
		m.poll.LastOK.Format("15:04:05"))))
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

// Loaded reports whether the first fetch has come back (or there is nothing to fetch).
func (m *Model) Loaded() bool { return m.src == nil || m.poll.HasLast || m.poll.Err != nil }
