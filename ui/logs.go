package ui

import (
	"cmp"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/binding"
	"github.com/opsdeck/opsdeck/ui/logstrip"
	"github.com/opsdeck/opsdeck/ui/logsview"
	"github.com/opsdeck/opsdeck/ui/traces"
)

// logsScreen is the logs view: the environment's log lines, or those of a
// trace, a moment, a route or a task.
type logsScreen struct{ model *logsview.Model }

func (l *logsScreen) scope(*Model) binding.Scope {
	if l.model.Typing() {
		return binding.Typing
	}
	return binding.Logs
}

// escape cancels the filter being typed, then closes an expanded line.
func (l *logsScreen) escape(*Model) (tea.Cmd, bool) { return nil, l.model.Back() }
func (l *logsScreen) resize(w, h int)               { l.model.SetSize(min(w-4, 140), h-6) }
func (*logsScreen) close(*Model) tea.Cmd            { return nil } // a read still out is dropped with its owner
func (l *logsScreen) refresh(*Model) tea.Cmd        { return l.model.Refresh() }
func (l *logsScreen) move(_ *Model, d int) bool     { l.model.Move(d); return true }
func (l *logsScreen) update(msg tea.Msg) (tea.Cmd, bool) {
	if !logsview.Msg(msg) {
		return nil, false
	}
	return l.model.Update(msg), true
}

func (l *logsScreen) draw(m *Model, under string) string {
	st := m.deps.Styles
	return m.compose(under, m.box(titled(st, l.model.Title(), l.model.View(st))))
}

// choose keeps the filter typed, or opens the selected line whole.
func (l *logsScreen) choose(*Model) tea.Cmd {
	if l.model.Typing() {
		return l.model.KeepFilter()
	}
	l.model.Expand()
	return nil
}

func (l *logsScreen) typeKey(_ *Model, k tea.KeyPressMsg) tea.Cmd { return l.model.Type(k) }

// logsView is the open logs view, nil when none is.
func (m *Model) logsView() *logsview.Model {
	if l, ok := find[*logsScreen](m); ok {
		return l.model
	}
	return nil
}

// noLogs says why the logs view cannot open.
func (m *Model) noLogs() string {
	if m.env.Logs.Source == nil {
		return cmp.Or(m.env.Logs.Problem, "no log backend is configured (logs.url, or VICTORIALOGS_URL)")
	}
	return ""
}

// openLogs opens the logs view on what the screen shows: the trace on the
// trace screen, the task selected in the Celery pane, else the stream's
// lines narrowed to the focus and the time cursor's moment. There is one
// logs view: opened again, it replaces the one on the stack (and what was
// opened over it), so that going between a trace and its lines does not
// pile screens up.
func (m *Model) openLogs() tea.Cmd {
	j := m.logsJump()
	var cmds []tea.Cmd
	if _, open := find[*logsScreen](m); open {
		for {
			_, top := m.top().(*logsScreen)
			cmds = append(cmds, m.pop())
			if top {
				break
			}
		}
	}
	km := m.keys
	hints := km.key("logs_follow") + " follow · " + km.key("logs_filter") + " filter · " + km.key("select") + " expand · " +
		km.key("logs_trace") + " trace · " + km.key("close") + " back"
	v := logsview.New(m.paneContext, logsview.Options{Source: m.env.Logs.Source, Stream: m.env.LogsFilter, Scrubber: m.env.Scrubber, Hints: hints}, j)
	m.push(&logsScreen{model: v})
	m.layout()
	return tea.Batch(append(cmds, v.Start())...)
}

// logsJump is what the logs view opens on, from the screen on top.
func (m *Model) logsJump() logsview.Jump {
	if t, ok := m.top().(*tracesScreen); ok {
		if id, start, end := t.model.Trace(); id != "" {
			return traceJump(id, start, end)
		}
	}
	if m.zoomed() && m.celeryPane != nil && m.focused(m.celeryPane) {
		if id, _, ok := m.celeryPane.SelectedTask(); ok {
			return logsview.Jump{What: "task " + id, Filter: taskFilter(id)}
		}
	}
	j := logsview.Jump{Follow: true}
	var what []string
	if m.narrow.Label != "" {
		j.Filter = narrowFilter(m.narrow)
		what = append(what, m.narrow.String())
	}
	if c := m.timeline.Cursor; !c.IsZero() {
		// The cursor's point stands for one step of the chart (at least a
		// refresh): its lines are that moment's, give or take one step.
		_, step := m.cursorGrid()
		step = max(step, m.deps.Refresh)
		j.Start, j.End, j.Follow = c.Add(-step), c.Add(step), false
		what = append(what, c.Format("15:04:05")+" ± "+units.Span(step))
	}
	j.What = strings.Join(what, " · ")
	return j
}

// traceMargin is how far around a trace's spans its lines are looked for:
// a line is stamped when it is written, a span when it starts and ends,
// and clocks differ.
const traceMargin = time.Minute

// traceJump is trace id's lines: over its spans when they were read, else
// around the exemplar's instant, else the chart window.
func traceJump(id string, start, end time.Time) logsview.Jump {
	j := logsview.Jump{What: "trace " + id, Filter: "trace_id:" + strconv.Quote(id)}
	switch {
	case start.IsZero():
	case start.Equal(end): // an exemplar's instant: the request ended about then
		j.Start, j.End = start.Add(-5*traceMargin), end.Add(traceMargin)
	default:
		j.Start, j.End = start.Add(-traceMargin), end.Add(traceMargin)
	}
	return j
}

// taskFilter is a Celery task's lines: its id in a field of the record, or
// in the message (Celery's own "Task x[id] raised…").
func taskFilter(id string) string {
	q := strconv.Quote(id)
	return "task_id:" + q + " OR celery.task_id:" + q + " OR " + q
}

// narrowFilter is the lines of a focus: the label's value in the field of
// the same name or in the fields OpenTelemetry names for it (http.route
// for a handler, host.name for an instance), or a route in the message.
func narrowFilter(n sources.Narrowing) string {
	q := strconv.Quote(n.Value)
	fields := []string{n.Label}
	phrase := false
	switch n.Label {
	case "handler", "route", "path", "endpoint":
		fields = append(fields, "http.route", "url.path", "http.target")
		phrase = true // access lines say the route: "GET /api/chat 500"
	case "instance":
		fields = append(fields, "service.instance.id")
		if host, _, ok := strings.Cut(n.Value, ":"); ok && host != "" {
			fields = append(fields, "host.name:"+strconv.Quote(host))
		}
	case "method":
		fields = append(fields, "http.request.method", "http.method")
	case "status", "status_code", "code":
		fields = append(fields, "http.response.status_code", "http.status_code")
	}
	parts := make([]string, 0, len(fields)+1)
	for _, f := range fields {
		if strings.Contains(f, ":") {
			parts = append(parts, f)
			continue
		}
		parts = append(parts, f+":"+q)
	}
	if phrase {
		parts = append(parts, q)
	}
	return strings.Join(parts, " OR ")
}

// openLogTrace opens the selected log line's trace as a waterfall, over the
// logs view (esc comes back to the lines). Without a trace backend the
// trace's id, or its page, stays in the footer to be copied.
func (m *Model) openLogTrace(tea.KeyPressMsg) tea.Cmd {
	id := m.logsView().TraceID()
	t := traces.New(m.paneContext, nil, sources.SignalSpec{}, m.env.Scrubber, m.keys.hint("up", "down", "copy_trace", "logs", "close"),
		m.env.Traces.Source, m.env.TraceUI, m.env.TraceService)
	cmd, say := t.OpenID(id)
	if say != "" {
		return m.setNotice(say)
	}
	m.push(&tracesScreen{model: t})
	m.layout()
	return cmd
}

// newStrip is the log volume strip of the environment, nil without a log
// backend: then no row is taken from the charts (most setups have none,
// and L says how to configure one). With a focus, it counts the lines of
// the focus, as the charts above it read its value alone.
func (m *Model) newStrip() *logstrip.Model {
	env := m.env
	if env.Logs.Source == nil {
		return nil
	}
	filter := ""
	if m.narrow.Label != "" {
		filter = narrowFilter(m.narrow)
	}
	return logstrip.New(m.paneContext, env.Logs.Source, filter, env.Logs.Target, env.Scrubber)
}

// stripDo starts the strip (msg nil) or hands it msg; nothing without one.
func (m *Model) stripDo(msg tea.Msg) tea.Cmd {
	switch {
	case m.strip == nil:
		return nil
	case msg == nil:
		return m.strip.Start()
	}
	return m.strip.Update(msg)
}

// stripCell stands for the strip in a row of the layout (not a pane of
// m.panes: it takes no focus).
const stripCell = -1

// stripSplit is the strip's line and the charts' lines out of metricsH:
// the strip takes a line of the charts where they can spare one without
// losing a row of panes (a page more), else one of the state panes (their
// share is body-chartsH-stripH), else none.
func (m *Model) stripSplit(metricsH, body int, showState bool) (chartsH, stripH int) {
	if m.strip == nil || len(m.charts) == 0 || metricsH < minChartH+1 {
		return metricsH, 0
	}
	if (metricsH-1)/minChartH == metricsH/minChartH {
		return metricsH - 1, 1
	}
	if showState && body-metricsH > 4 {
		return metricsH, 1
	}
	return metricsH, 0
}

// stripRows is the strip's row (h lines: 0 or 1) under the chart rows,
// fitted to the charts of their last row.
func (m *Model) stripRows(h int, charts []row) []row {
	if h == 0 || len(charts) == 0 {
		return nil
	}
	last := charts[len(charts)-1].cells
	widths := make([]int, len(last))
	for i, c := range last {
		widths[i] = c.w
	}
	m.strip.SetColumns(m.w, widths)
	return []row{{h: h, cells: []cell{{pane: stripCell, w: m.w}}}}
}

// cellView is what a cell of the layout draws: its pane, or the strip.
func (m *Model) cellView(c cell) []string {
	if c.pane == stripCell {
		return m.strip.View(false)
	}
	return m.panes[c.pane].View(c.pane == m.focus)
}
