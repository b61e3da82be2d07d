package breakdown

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/chart"
	"github.com/opsdeck/opsdeck/ui/frame"
	"github.com/opsdeck/opsdeck/ui/pane"
	"github.com/opsdeck/opsdeck/ui/theme"
)

// Order is how the rows are sorted. (A share ranks as its value does.)
type Order int

const (
	Largest Order = iota
	MostChanged
	ByName
	orders
)

var orderNames = [...]string{"current value", "change over the window", "name"}

// Model is the overlay for one signal.
type Model struct {
	ctx   *pane.Context
	src   sources.Splitter
	spec  sources.SignalSpec
	scrub *redact.Scrubber
	hints string

	label   string
	b       sources.Breakdown
	has     bool
	err     error
	loading bool
	gen     int
	order   Order
	cursor  int
	window  time.Duration // the chart window the breakdown was read over
	w, h    int
}

// New opens the overlay on spec; Fetch reads the first breakdown.
func New(ctx *pane.Context, src sources.Splitter, spec sources.SignalSpec, scrub *redact.Scrubber, hints string) *Model {
	return &Model{ctx: ctx, src: src, spec: spec, scrub: scrub, hints: hints}
}

// result is a breakdown read; it carries its overlay and generation so that
// a closed overlay's or an older read's answer is dropped.
type result struct {
	owner *Model
	gen   int
	b     sources.Breakdown
	err   error
	// next waits for the rest when b is partial (the rows first).
	next tea.Cmd
}

// Msg reports whether msg is an overlay's result.
func Msg(msg tea.Msg) bool { _, ok := msg.(result); return ok }

// Fetch reads the breakdown by the current label ("" the first choice) over
// the timeline's window, as many points as the sparklines draw.
func (m *Model) Fetch() tea.Cmd {
	m.gen++
	m.loading = true
	owner, gen, src, spec, label, base := m, m.gen, m.src, m.spec, m.label, m.ctx.Base
	now := m.ctx.Time.End(m.ctx.Now())
	m.window = m.ctx.Time.Window
	w := sources.WindowFor(now, m.window, chart.Columns(sparkWidth))
	w.Now = now
	es, early := src.(sources.EarlySplitter)
	if !early {
		return func() tea.Msg {
			ctx, cancel := context.WithTimeout(base, pane.FetchGuard)
			defer cancel()
			b, err := src.Breakdown(ctx, spec, label, w)
			return result{owner: owner, gen: gen, b: b, err: err}
		}
	}
	// The rows as soon as the source has them, the rest after: two results
	// through one channel.
	ch := make(chan result, 2)
	var wait tea.Cmd
	wait = func() tea.Msg {
		r := <-ch
		if r.b.Partial && r.err == nil {
			r.next = wait
		}
		return r
	}
	return tea.Batch(func() tea.Msg {
		ctx, cancel := context.WithTimeout(base, pane.FetchGuard)
		defer cancel()
		b, err := es.BreakdownEarly(ctx, spec, label, w, func(first sources.Breakdown) {
			ch <- result{owner: owner, gen: gen, b: first}
		})
		b.Partial = false
		ch <- result{owner: owner, gen: gen, b: b, err: err}
		return nil
	}, wait)
}

// Update takes a result of this overlay's latest read.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	r, ok := msg.(result)
	if !ok || r.owner != m || r.gen != m.gen {
		if ok {
			return r.next // an older read's rest: taken, to free its reader
		}
		return nil
	}
	if r.b.Partial {
		m.err, m.b, m.has, m.label = nil, r.b, true, r.b.Label
		m.cursor = min(m.cursor, max(len(m.b.Rows)-1, 0))
		return r.next
	}
	m.loading = false
	if r.err != nil {
		m.err = r.err
		if len(r.b.Labels) > 0 {
			m.b.Labels = r.b.Labels
		}
		return nil
	}
	m.err, m.b, m.has, m.label = nil, r.b, true, r.b.Label
	m.cursor = min(m.cursor, max(len(m.b.Rows)-1, 0))
	return nil
}

// NextLabel splits by the next (delta 1) or previous (-1) label.
func (m *Model) NextLabel(delta int) tea.Cmd {
	ls := m.b.Labels
	if len(ls) == 0 {
		return nil
	}
	i := slices.Index(ls, m.label)
	m.label = ls[(i+delta+len(ls))%len(ls)]
	m.cursor = 0
	return m.Fetch()
}

// NextOrder sorts by the next column.
func (m *Model) NextOrder() { m.order = (m.order + 1) % orders }

// Move moves the selected row.
func (m *Model) Move(delta int) {
	m.cursor = min(max(m.cursor+delta, 0), max(len(m.b.Rows)-1, 0))
}

// Selected is the label and the row under the cursor, in the order shown.
func (m *Model) Selected() (label string, row sources.BreakdownRow, ok bool) {
	rows := m.Rows()
	if !m.has || m.cursor >= len(rows) {
		return "", sources.BreakdownRow{}, false
	}
	return m.label, rows[m.cursor], true
}

// SetSize sets the overlay's outer size.
func (m *Model) SetSize(w, h int) { m.w, m.h = w, h }

// Title names the signal and the label.
func (m *Model) Title() string {
	if m.label == "" {
		return m.spec.Title + " by …"
	}
	return m.spec.Title + " by " + m.label
}

// Rows are the rows in the chosen order.
func (m *Model) Rows() []sources.BreakdownRow {
	rows := slices.Clone(m.b.Rows) // the source ranks them largest first
	switch m.order {
	case MostChanged:
		spread := func(r sources.BreakdownRow) float64 {
			if math.IsNaN(r.Min) {
				return -1
			}
			return r.Max - r.Min
		}
		slices.SortStableFunc(rows, func(a, b sources.BreakdownRow) int { return cmp.Compare(spread(b), spread(a)) })
	case ByName:
		slices.SortStableFunc(rows, func(a, b sources.BreakdownRow) int { return strings.Compare(a.Value, b.Value) })
	}
	return rows
}

// sparkWidth is how many cells a row's sparkline takes (braille: two
// points a cell, like the charts).
const sparkWidth = 24

// Fields are one row as the table shows it, a field per column: the value,
// its current figure, its share of the total, its range over the window and
// its sparkline.
func Fields(r sources.BreakdownRow, unit units.Unit, total float64) []string {
	name := r.Value
	if name == "" {
		name = "(no value)"
	}
	cur, share, rng := "–", "", "–"
	if !math.IsNaN(r.Current) {
		cur = units.Format(r.Current, unit)
		if !math.IsNaN(total) && total > 0 {
			share = units.Format(r.Current/total, units.Ratio)
		}
	}
	if !math.IsNaN(r.Min) {
		rng = units.FormatShort(r.Min, unit) + "–" + units.FormatShort(r.Max, unit)
	}
	spark := strings.Repeat(" ", sparkWidth)
	if lo, hi := r.Min, r.Max; !math.IsNaN(lo) {
		if hi == lo {
			hi = lo + 1 // flat: along the bottom
		}
		spark = chart.Braille(r.Points, sparkWidth, 1, lo, hi)[0]
	}
	return []string{frame.OneLine(name), cur, share, rng, spark}
}

// View draws the overlay within its size.
func (m *Model) View(st *theme.Styles) []string {
	iw := max(m.w-4, 20)
	var out []string
	add := func(p theme.Paint, s string) { out = append(out, p.Render(frame.Fit(s, iw))) }
	head := pane.OverlayHead{Status: fmt.Sprintf("split by %s · sorted by %s", frame.Or(m.label, "…"), orderNames[m.order]),
		Loading: m.loading, Has: m.has, Hints: m.hints}
	if ls := m.b.Labels; len(ls) > 1 {
		head.Note = "labels: " + strings.Join(ls, ", ")
	}
	if m.err != nil {
		head.Err = m.scrub.Error(m.err)
	}
	lines, done := head.Lines(st, iw)
	if out = append(out, lines...); done {
		return out
	}
	cols := []int{12, 8, 17, sparkWidth}
	rest := len(cols) // the spaces between columns
	for _, c := range cols {
		rest += c
	}
	cols = append([]int{max(iw-rest, 12)}, cols...)
	line := func(f []string) string {
		var b strings.Builder
		for i, c := range cols {
			if i > 0 {
				b.WriteString(" ")
			}
			if i == 1 || i == 2 {
				b.WriteString(frame.FitRight(f[i], c))
			} else {
				b.WriteString(frame.Fit(f[i], c))
			}
		}
		return b.String()
	}
	add(st.Muted, line([]string{strings.ToUpper(m.label), "NOW", "SHARE", "RANGE", "OVER " + units.ShortDuration(m.window)}))
	rows := m.Rows()
	for i, r := range rows {
		p := st.Status(m.spec.Thresholds.Classify(r.Current), st.Text)
		if i == m.cursor {
			p = st.Selected
		}
		add(p, line(Fields(r, m.spec.Unit, m.b.Total)))
	}
	if m.b.Others > 0 {
		add(st.Muted, fmt.Sprintf("… %d more values", m.b.Others))
	}
	if len(rows) == 0 {
		add(st.Muted, "no series now")
	}
	for _, n := range m.b.Notes {
		add(st.Muted, "ⓘ "+n)
	}
	add(st.Faint, "query: "+m.b.Query)
	add(st.Muted, m.hints)
	return out
}
