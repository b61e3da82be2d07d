package traces

import (
	"context"
	"fmt"
	"maps"
	"math"
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

	backend sources.Traces // nil: no trace backend
	ui      string         // the team's trace page, {trace_id} for the id
	service string         // searched when the signal has no exemplars
	open    *waterfall     // the trace opened from the list, while shown
	// searched: the list is Jaeger's search, the signal having no exemplars.
	searched bool
	// direct: one trace opened by its id, no list under it.
	direct bool
}

// waterfall is one trace opened from the list.
type waterfall struct {
	id      string
	t       sources.Trace
	has     bool
	err     error
	loading bool
	cursor  int
	// Worked out once, when the trace comes: the time it covers and what
	// the head says of it.
	start time.Time
	total time.Duration
	head  string
}

// set takes the trace read, or why it could not be.
func (w *waterfall) set(t sources.Trace, err error) {
	w.loading, w.t, w.err, w.has = false, t, err, err == nil
	start, end := Extent(t.Spans)
	w.start, w.total = start, end.Sub(start)
	services := map[string]bool{}
	for _, s := range t.Spans {
		services[s.Service] = true
	}
	w.head = fmt.Sprintf("%d spans · %s · %s", len(t.Spans), seconds(w.total), strings.Join(slices.Sorted(maps.Keys(services)), ", "))
	if t.Dropped > 0 {
		w.head += fmt.Sprintf(" · %d more spans not shown", t.Dropped)
	}
}

// New opens the overlay on spec; Fetch reads the exemplars. backend (nil
// when there is none) opens a trace; ui is the team's trace page.
func New(ctx *pane.Context, src sources.Exemplars, spec sources.SignalSpec, scrub *redact.Scrubber, hints string, backend sources.Traces, ui, service string) *Model {
	return &Model{ctx: ctx, src: src, spec: spec, scrub: scrub, hints: hints, backend: backend, ui: ui, service: service}
}

// traceResult is a trace read for the waterfall.
type traceResult struct {
	owner *Model
	gen   int
	t     sources.Trace
	err   error
}

// Open reads the selected exemplar's trace into a waterfall. Without a
// trace backend it says where the trace can be seen instead ("" when
// there is nothing to open).
func (m *Model) Open() (tea.Cmd, string) {
	e, ok := m.Selected()
	if !ok || e.TraceID == "" {
		return nil, "no trace to open here"
	}
	return m.openID(e.TraceID)
}

// OpenID opens trace id's waterfall at once, with no list under it (a log
// line's trace): esc closes the screen rather than going back to a list.
func (m *Model) OpenID(id string) (tea.Cmd, string) {
	m.direct = true
	return m.openID(id)
}

func (m *Model) openID(id string) (tea.Cmd, string) {
	switch {
	case id == "":
		return nil, "no trace to open here"
	case m.backend == nil && m.ui != "":
		return nil, "trace " + id + ": " + m.scrub.String(traceURL(m.ui, id))
	case m.backend == nil:
		return nil, "trace " + id + ": no trace backend is configured (tracing.jaeger_url)"
	}
	m.gen++
	m.open = &waterfall{id: id, loading: true}
	owner, gen, backend, base := m, m.gen, m.backend, m.ctx.Base
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(base, pane.FetchGuard)
		defer cancel()
		t, err := backend.Trace(ctx, id)
		return traceResult{owner: owner, gen: gen, t: t, err: err}
	}, ""
}

// Trace is the open trace's id and the time its spans cover (zero until it
// is read), or else the selected exemplar's id and instant; "" when there
// is neither.
func (m *Model) Trace() (id string, start, end time.Time) {
	if w := m.open; w != nil {
		if w.has {
			return w.id, w.start, w.start.Add(w.total)
		}
		return w.id, time.Time{}, time.Time{}
	}
	if e, ok := m.Selected(); ok {
		return e.TraceID, e.At, e.At
	}
	return "", time.Time{}, time.Time{}
}

// Link is the selected trace's page (with a ui_url) or its id: what the
// copy key puts on the clipboard.
func (m *Model) Link() (string, bool) {
	id := ""
	if m.open != nil {
		id = m.open.id
	} else if e, ok := m.Selected(); ok {
		id = e.TraceID
	}
	switch {
	case id == "":
		return "", false
	case m.ui != "":
		// A password in the page's URL is masked here too: the clipboard
		// (OSC 52, base64 through the terminal) is one more way out.
		return m.scrub.String(traceURL(m.ui, id)), true
	}
	return id, true
}

// Statement is the selected span's database statement, when a trace is
// open and the span has one.
func (m *Model) Statement() (string, bool) {
	if m == nil || m.open == nil || m.open.cursor >= len(m.open.t.Spans) {
		return "", false
	}
	st := strings.Join(strings.Fields(m.open.t.Spans[m.open.cursor].Attributes["db.statement"]), " ")
	return st, st != ""
}

// Opened reports whether a trace is open (rather than the list).
func (m *Model) Opened() bool { return m.open != nil }

// traceURL is the team's trace page for id.
func traceURL(ui, id string) string { return strings.ReplaceAll(ui, "{trace_id}", id) }

// Back closes an open trace, back to the list; false when none was open.
func (m *Model) Back() bool {
	if m.open == nil || m.direct {
		return false
	}
	m.open = nil
	m.gen++ // a trace still coming is dropped
	return true
}

// result is a reading; it carries its overlay and generation so that a
// closed overlay's or an older read's answer is dropped.
type result struct {
	owner    *Model
	gen      int
	r        sources.ExemplarReading
	err      error
	searched bool
	// diagnosis is why there were no exemplars, when the search that
	// stood in for them failed.
	diagnosis string
}

// Msg reports whether msg is an overlay's result.
func Msg(msg tea.Msg) bool {
	switch msg.(type) {
	case result, traceResult:
		return true
	}
	return false
}

// around is how much of the window on each side of the time cursor the
// list covers when there is a cursor.
const around = 20

// Fetch reads the exemplars of the chart window, or of the stretch around
// the time cursor when there is one.
func (m *Model) Fetch() tea.Cmd {
	if m.direct {
		cmd, _ := m.openID(m.open.id) // the one trace, read again
		return cmd
	}
	m.gen++
	m.loading = true
	t := m.ctx.Time
	m.to = t.End(m.ctx.Now())
	m.from = m.to.Add(-t.Window)
	if !t.Cursor.IsZero() {
		m.from, m.to = t.Cursor.Add(-t.Window/around), t.Cursor.Add(t.Window/around)
	}
	owner, gen, src, spec, from, to, base := m, m.gen, m.src, m.spec, m.from, m.to, m.ctx.Base
	search, _ := m.backend.(sources.TraceSearch)
	service := m.service
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(base, pane.FetchGuard)
		defer cancel()
		r, err := src.Exemplars(ctx, spec, from, to)
		if err != nil || len(r.Exemplars) > 0 || search == nil || service == "" {
			return result{owner: owner, gen: gen, r: r, err: err}
		}
		// No exemplars: the service's traces from the backend's search.
		found, serr := search.Search(ctx, service, from, to, sources.MaxExemplars)
		if serr != nil {
			// An error, so that the list read before stays on screen.
			//lint:ignore ST1005 Jaeger is a name
			return result{owner: owner, gen: gen, err: fmt.Errorf("Jaeger's search failed: %w", serr), diagnosis: r.Diagnosis}
		}
		r.Exemplars = found
		return result{owner: owner, gen: gen, r: r, searched: true}
	}
}

// Update takes a result of this overlay's latest read.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	if t, ok := msg.(traceResult); ok {
		if t.owner == m && t.gen == m.gen && m.open != nil {
			m.open.set(t.t, t.err)
		}
		return nil
	}
	r, ok := msg.(result)
	if !ok || r.owner != m || r.gen != m.gen {
		return nil
	}
	m.loading = false
	if r.err != nil {
		m.err = r.err
		if r.diagnosis != "" && !m.has {
			// Nothing listed says why there are no exemplars: the error does.
			m.err = fmt.Errorf("no exemplars (%s); %w", r.diagnosis, r.err)
		}
		return nil
	}
	m.err, m.r, m.has, m.searched = nil, r.r, true, r.searched
	m.cursor = min(m.cursor, max(len(m.r.Exemplars)-1, 0))
	return nil
}

// Move moves the selected row (the span, in a trace).
func (m *Model) Move(delta int) {
	if w := m.open; w != nil {
		w.cursor = min(max(w.cursor+delta, 0), max(len(w.t.Spans)-1, 0))
		return
	}
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
	if m.open != nil {
		return "Trace " + m.open.id
	}
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
	if m.open != nil {
		return m.waterfallView(st)
	}
	iw := max(m.w-4, 20)
	var out []string
	add := func(p theme.Paint, s string) { out = append(out, p.Render(frame.Fit(s, iw))) }
	head := pane.OverlayHead{Status: fmt.Sprintf("%s – %s, largest first", m.from.Format("15:04:05"), m.to.Format("15:04:05")),
		Loading: m.loading, Has: m.has, Hints: m.hints}
	if m.err != nil {
		head.Err = m.scrub.Error(m.err)
	}
	lines, done := head.Lines(st, iw)
	if out = append(out, lines...); done {
		return out
	}
	if m.r.Diagnosis != "" {
		for _, l := range frame.WrapN("no exemplars: "+m.r.Diagnosis, iw, 3) {
			add(st.Warn, l)
		}
		if !m.searched {
			add(st.Muted, m.hints)
			return out
		}
		add(st.Muted, frame.Fit(fmt.Sprintf("instead, %s's traces from Jaeger's search, slowest first:", m.service), iw))
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
	// The signal's exemplars are its own measures (a failure, for the error
	// rate); a search's traces are any of the service's, each its length
	// and how it ended.
	unit, key := m.spec.Unit, m.spec.Key
	if m.searched {
		unit, key = units.Seconds, ""
	}
	// As many rows as fit, the cursor's among them.
	room := max(m.h-6-len(out), 3)
	top := min(max(m.cursor-room+1, 0), max(len(m.r.Exemplars)-room, 0))
	for i := top; i < min(top+room, len(m.r.Exemplars)); i++ {
		p := st.Text
		if i == m.cursor {
			p = st.Selected
		}
		add(p, line(Fields(m.r.Exemplars[i], unit, key)))
	}
	if n := len(m.r.Exemplars) + m.r.Dropped; n > room {
		add(st.Muted, fmt.Sprintf("%d of %d", min(room, len(m.r.Exemplars)), n))
	}
	add(st.Faint, "query: "+m.spec.Query)
	add(st.Muted, m.hints)
	return out
}

// waterfallView is the open trace: a row per span, indented by depth, its
// bar on the trace's time scale, errors in the error colour; the selected
// span's attributes below.
func (m *Model) waterfallView(st *theme.Styles) []string {
	w := m.open
	iw := max(m.w-4, 30)
	var out []string
	add := func(p theme.Paint, s string) { out = append(out, p.Render(frame.Fit(s, iw))) }
	switch {
	case w.loading:
		add(st.Muted, "reading the trace…")
	case w.err != nil:
		for _, l := range frame.WrapN("⚠ "+m.scrub.Error(w.err), iw, 3) {
			add(st.Error, l)
		}
	}
	if !w.has {
		add(st.Muted, m.hints)
		return out
	}
	spans, start, total, head := w.t.Spans, w.start, w.total, w.head
	if m.ui != "" {
		head += " · " + m.scrub.String(traceURL(m.ui, w.id))
	}
	add(st.Muted, head)
	nameW := min(max(iw/3, 20), 48)
	durW := 9
	barW := max(iw-nameW-durW-2, 10)
	add(st.Muted, frame.Fit("SPAN", nameW)+" "+frame.Fit("0 s", barW/2)+frame.FitRight(seconds(total), barW-barW/2)+" "+frame.FitRight("DURATION", durW))
	// The selected span's attributes take the bottom; the spans what is left.
	attrs := spanAttributes(spans, w.cursor)
	room := max(m.h-8-len(out)-min(len(attrs), 6), 3)
	top := min(max(w.cursor-room+1, 0), max(len(spans)-room, 0))
	for i := top; i < min(top+room, len(spans)); i++ {
		s := spans[i]
		name := frame.OneLine(s.Operation)
		if s.Depth == 0 || (i > 0 && spans[i-1].Service != s.Service) {
			name += " (" + frame.OneLine(s.Service) + ")"
		}
		name = strings.Repeat("  ", min(s.Depth, 12)) + name
		line := frame.Fit(name, nameW) + " " + Bar(s, start, total, barW) + " " + frame.FitRight(seconds(s.Duration), durW)
		p := st.Text
		switch {
		case i == w.cursor:
			p = st.Selected
		case s.Error:
			p = st.Error
		}
		add(p, line)
	}
	if len(spans) > room {
		add(st.Muted, fmt.Sprintf("span %d of %d", w.cursor+1, len(spans)))
	}
	for i, a := range attrs {
		if i == 6 {
			break
		}
		add(st.Muted, a)
	}
	add(st.Muted, m.hints)
	return out
}

// seconds is a duration as the latency panes write one: "4.00 s", "200 ms".
func seconds(d time.Duration) string { return units.Format(d.Seconds(), units.Seconds) }

// Extent is the time the spans cover.
func Extent(spans []sources.Span) (start, end time.Time) {
	for i, s := range spans {
		if i == 0 || s.Start.Before(start) {
			start = s.Start
		}
		if e := s.Start.Add(s.Duration); i == 0 || e.After(end) {
			end = e
		}
	}
	return start, end
}

// Bar is a span on a w-cell time scale over [start, start+total]: at least
// one cell, so that the shortest still shows where it happened.
func Bar(s sources.Span, start time.Time, total time.Duration, w int) string {
	if total <= 0 {
		return strings.Repeat("█", w)
	}
	from := int(float64(s.Start.Sub(start)) / float64(total) * float64(w))
	n := int(math.Round(float64(s.Duration) / float64(total) * float64(w)))
	from = min(max(from, 0), w-1)
	n = min(max(n, 1), w-from)
	return strings.Repeat(" ", from) + strings.Repeat("█", n) + strings.Repeat(" ", w-from-n)
}

// spanAttributes are the selected span's attributes, the statement first.
func spanAttributes(spans []sources.Span, i int) []string {
	if i >= len(spans) {
		return nil
	}
	s := spans[i]
	var out []string
	if st := s.Attributes["db.statement"]; st != "" {
		out = append(out, "db.statement: "+frame.OneLine(st))
	}
	for _, k := range slices.Sorted(maps.Keys(s.Attributes)) {
		if k != "db.statement" {
			out = append(out, k+": "+frame.OneLine(s.Attributes[k]))
		}
	}
	return out
}
