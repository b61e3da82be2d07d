package traces

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/frame"
	"github.com/opsdeck/opsdeck/ui/pane"
	"github.com/opsdeck/opsdeck/ui/theme"
)

// Model is the overlay for one signal.
type Model struct {
	ctx   *pane.Context
	src   sources.Exemplars
	spec  sources.SignalSpec
	scrub *redact.Scrubber
	hints string

	r        sources.ExemplarReading
	has      bool
	err      error
	loading  bool
	gen      int
	cursor   int
	from, to time.Time
	w, h     int
}

// New opens the overlay on spec; Fetch reads the exemplars.
func New(ctx *pane.Context, src sources.Exemplars, spec sources.SignalSpec, scrub *redact.Scrubber, hints string) *Model {
	return &Model{ctx: ctx, src: src, spec: spec, scrub: scrub, hints: hints}
}

// result is a reading; it carries its overlay and generation so that a
// closed overlay's or an older read's answer is dropped.
type result struct {
	owner *Model
	gen   int
	r     sources.ExemplarReading
	err   error
}

// Msg reports whether msg is an overlay's result.
func Msg(msg tea.Msg) bool { _, ok := msg.(result); return ok }

// around is how much of the window on each side of the time cursor the
// list covers when there is a cursor.
const around = 20

// Fetch reads the exemplars of the chart window, or of the stretch around
// the time cursor when there is one.
func (m *Model) Fetch() tea.Cmd {
	m.gen++
	m.loading = true
	t := m.ctx.Time
	m.to = t.End(m.ctx.Now())
	m.from = m.to.Add(-t.Window)
	if !t.Cursor.IsZero() {
		m.from, m.to = t.Cursor.Add(-t.Window/around), t.Cursor.Add(t.Window/around)
	}
	owner, gen, src, spec, from, to, base := m, m.gen, m.src, m.spec, m.from, m.to, m.ctx.Base
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(base, pane.FetchGuard)
		defer cancel()
		r, err := src.Exemplars(ctx, spec, from, to)
		return result{owner: owner, gen: gen, r: r, err: err}
	}
}

// Update takes a result of this overlay's latest read.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	r, ok := msg.(result)
	if !ok || r.owner != m || r.gen != m.gen {
		return nil
	}
	m.loading = false
	if r.err != nil {
		m.err = r.err
		return nil
	}
	m.err, m.r, m.has = nil, r.r, true
	m.cursor = min(m.cursor, max(len(m.r.Exemplars)-1, 0))
	return nil
}

// Move moves the selected row.
func (m *Model) Move(delta int) {
	m.cursor = min(max(m.cursor+delta, 0), max(len(m.r.Exemplars)-1, 0))
}

// Selected is the exemplar under the cursor.
func (m *Model) Selected() (sources.Exemplar, bool) {
	if !m.has || m.cursor >= len(m.r.Exemplars) {
		return sources.Exemplar{}, false
	}
	return m.r.Exemplars[m.cursor], true
}

// SetSize sets the overlay's outer size.
func (m *Model) SetSize(w, h int) { m.w, m.h = w, h }

// Title names what the list holds.
func (m *Model) Title() string {
	what := "Traced requests"
	switch m.spec.Key {
	case sources.P95Latency:
		what = "Slow requests"
	case sources.ErrorRate:
		what = "Failed requests"
	}
	return what + ": " + m.spec.Title
}

// Fields are one exemplar as the list shows it: its time, its value in the
// signal's unit (a latency; a failure counts one), where it went, how it
// ended and its trace id.
func Fields(e sources.Exemplar, unit units.Unit, key string) []string {
	value := units.Format(e.Value, unit)
	if key == sources.ErrorRate {
		value = "failed"
	}
	route := first(e.Labels, "handler", "route", "path", "endpoint")
	status := first(e.Labels, "status", "status_code", "code")
	var rest []string
	for _, k := range slices.Sorted(maps.Keys(e.Labels)) {
		switch k {
		case "handler", "route", "path", "endpoint", "status", "status_code", "code", "job", "instance", "method":
			continue
		}
		rest = append(rest, k+"="+e.Labels[k])
	}
	if m := e.Labels["method"]; m != "" {
		route = m + " " + route
	}
	return []string{e.At.Format("15:04:05"), value, frame.OneLine(route), frame.OneLine(status), frame.OneLine(frame.Or(e.TraceID, "(no trace id)")),
		frame.OneLine(strings.Join(rest, " "))}
}

func first(labels map[string]string, names ...string) string {
	for _, n := range names {
		if v := labels[n]; v != "" {
			return v
		}
	}
	return ""
}

// View draws the overlay within its size.
func (m *Model) View(st *theme.Styles) []string {
	iw := max(m.w-4, 20)
	var out []string
	add := func(p theme.Paint, s string) { out = append(out, p.Render(frame.Fit(s, iw))) }
	status := fmt.Sprintf("%s – %s, largest first", m.from.Format("15:04:05"), m.to.Format("15:04:05"))
	if m.loading {
		status += " · reading…"
	}
	add(st.Muted, status)
	if m.err != nil {
		for _, l := range frame.WrapN("⚠ "+m.scrub.Error(m.err), iw, 3) {
			add(st.Error, l)
		}
	}
	if !m.has {
		if m.err == nil {
			add(st.Muted, pane.Connecting)
		}
		add(st.Muted, m.hints)
		return out
	}
	if m.r.Diagnosis != "" {
		for _, l := range frame.WrapN("no exemplars: "+m.r.Diagnosis, iw, 3) {
			add(st.Warn, l)
		}
		add(st.Muted, m.hints)
		return out
	}
	cols := []int{8, 10, 24, 6, 32}
	rest := iw - len(cols)
	for _, c := range cols {
		rest -= c
	}
	cols = append(cols, max(rest, 0))
	line := func(f []string) string {
		var b strings.Builder
		for i, c := range cols {
			if c == 0 {
				continue
			}
			if i > 0 {
				b.WriteString(" ")
			}
			if i == 1 {
				b.WriteString(frame.FitRight(f[i], c))
			} else {
				b.WriteString(frame.Fit(f[i], c))
			}
		}
		return b.String()
	}
	add(st.Muted, line([]string{"TIME", "VALUE", "ROUTE", "STATUS", "TRACE ID", "LABELS"}))
	// As many rows as fit, the cursor's among them.
	room := max(m.h-6-len(out), 3)
	top := min(max(m.cursor-room+1, 0), max(len(m.r.Exemplars)-room, 0))
	for i := top; i < min(top+room, len(m.r.Exemplars)); i++ {
		p := st.Text
		if i == m.cursor {
			p = st.Selected
		}
		add(p, line(Fields(m.r.Exemplars[i], m.spec.Unit, m.spec.Key)))
	}
	if n := len(m.r.Exemplars) + m.r.Dropped; n > room {
		add(st.Muted, fmt.Sprintf("%d of %d", min(room, len(m.r.Exemplars)), n))
	}
	add(st.Faint, "query: "+m.spec.Query)
	add(st.Muted, m.hints)
	return out
}
