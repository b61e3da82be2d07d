package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/opsdeck/opsdeck/sources"
)

// fakeLogs is a log backend whose lines the test sets (UI tests only: the
// client is tested against a real VictoriaLogs). It answers with the lines
// of the range (of the trace, when the filter names one), and records what
// it was asked.
type fakeLogs struct {
	mu      sync.Mutex
	lines   []sources.LogLine
	volume  []sources.LogVolume
	err     error
	queries []sources.LogQuery
	volumes []sources.LogQuery
	steps   []time.Duration
}

func (f *fakeLogs) Lines(_ context.Context, q sources.LogQuery) ([]sources.LogLine, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries = append(f.queries, q)
	if f.err != nil {
		return nil, f.err
	}
	var out []sources.LogLine
	_, trace, _ := strings.Cut(q.Filter, `trace_id:"`)
	trace, _, _ = strings.Cut(trace, `"`)
	for _, l := range f.lines {
		if !l.Time.Before(q.Start) && !l.Time.After(q.End) && (trace == "" || l.TraceID == trace) {
			out = append(out, l)
		}
	}
	return out, nil
}

func (f *fakeLogs) Volume(_ context.Context, q sources.LogQuery, step time.Duration) ([]sources.LogVolume, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.volumes, f.steps = append(f.volumes, q), append(f.steps, step)
	if f.err != nil {
		return nil, f.err
	}
	return f.volume, nil
}

func (f *fakeLogs) Tail(context.Context, string, chan<- sources.LogLine) error {
	return errors.New("the console polls")
}

// asked is the last read of lines.
func (f *fakeLogs) asked(t *testing.T) sources.LogQuery {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.queries) == 0 {
		t.Fatal("no lines were read")
	}
	return f.queries[len(f.queries)-1]
}

const logTrace = "4bf92f3577b34da6a3ce929d0e0e4736"

func sampleLogs() []sources.LogLine {
	return []sources.LogLine{
		{Time: t0.Add(-3 * time.Minute), Level: "info", Message: "GET /api/chat 200 in 41 ms"},
		{Time: t0.Add(-2 * time.Minute), Level: "error", Message: "POST /api/chat 500: pool timeout after 30 s", TraceID: logTrace, SpanID: "00f067aa0ba902b7"},
		{Time: t0.Add(-time.Minute), Level: "debug", Message: "cache hit chat:42"},
	}
}

// logsTop is the logs view on top, failing the test when it is not.
func (h *harness) logsTop() *logsScreen {
	h.t.Helper()
	l, ok := h.m.top().(*logsScreen)
	if !ok {
		h.t.Fatalf("the logs view is not on top (%v):\n%s", h.kinds(), h.screen())
	}
	return l
}

// TestLogsView: L opens the stream's lines over the chart window, newest
// last, following; / sends the filter typed (after the stream's query);
// esc clears the typing, then closes the view.
func TestLogsView(t *testing.T) {
	h := newHarness(t, healthy(), nil, false)
	src := &fakeLogs{lines: sampleLogs()}
	h.logs = src
	h.m.openEnv("qa")
	h.size(160, 48)
	h.key("L")
	l := h.logsTop()
	q := src.asked(t)
	if q.Filter != "" || !q.Start.Equal(t0.Add(-15*time.Minute)) || !q.End.Equal(t0) {
		t.Errorf("asked %+v", q)
	}
	s := h.screen()
	checkGeometry(t, s, 160, 48)
	if i, j := strings.Index(s, "GET /api/chat 200"), strings.Index(s, "cache hit chat:42"); i < 0 || j < i || !strings.Contains(s, "following") {
		t.Errorf("not the lines newest last, following:\n%s", s)
	}
	h.key("/")
	if h.m.scope().String() != "typing" {
		t.Fatalf("/ does not start typing a filter: scope %v", h.m.scope())
	}
	for _, k := range "timeout" {
		h.key(string(k))
	}
	h.key("enter")
	if q := src.asked(t); q.Filter != "timeout" {
		t.Errorf("the filter sent is %q", q.Filter)
	}
	if !strings.Contains(h.screen(), "Logs · timeout") || l.model.Filter() != "timeout" {
		t.Errorf("the title does not say the filter:\n%s", h.screen())
	}
	h.key("f")
	if l.model.Following() {
		t.Error("f does not stop following")
	}
	// esc while typing puts the filter in force back, and stays in the view.
	h.key("/")
	h.key("x")
	h.key("esc")
	if h.m.scope().String() != "logs view" || l.model.Filter() != "timeout" {
		t.Fatalf("esc while typing: scope %v, filter %q", h.m.scope(), l.model.Filter())
	}
	h.key("esc")
	if _, open := h.m.top().(*logsScreen); open {
		t.Error("esc does not close the logs view")
	}
}

// TestLogsKeyWithoutBackend: L says why it does nothing.
func TestLogsKeyWithoutBackend(t *testing.T) {
	h := newHarness(t, healthy(), nil, false)
	h.size(160, 48)
	h.key("L")
	if _, open := h.m.top().(*logsScreen); open || !strings.Contains(h.screen(), "L: ") {
		t.Errorf("L without a log backend must say why:\n%s", h.screen())
	}
}

// TestLogsFromTheWaterfall: L on an open trace shows that trace's lines
// (trace_id, over its spans' time), the title naming it; t on a line with a
// trace id opens its waterfall, esc comes back to the lines.
func TestLogsFromTheWaterfall(t *testing.T) {
	src := healthy()
	src.exemplars = []sources.Exemplar{{At: t0.Add(-time.Minute), Value: 4, TraceID: logTrace, Labels: map[string]string{"handler": "/api/chat"}}}
	h := newHarness(t, src, nil, false)
	// The trace's lines, during its spans (fakeTraces: from t0, 4 s).
	logs := &fakeLogs{lines: append(sampleLogs(),
		sources.LogLine{Time: t0.Add(time.Second), Level: "info", Message: "POST /api/chat started", TraceID: logTrace},
		sources.LogLine{Time: t0.Add(4 * time.Second), Level: "error", Message: "POST /api/chat 500: pool timeout", TraceID: logTrace})}
	h.logs = logs
	h.m.openEnv("qa")
	backend := &fakeTraces{}
	h.m.env.Traces.Source = backend
	h.size(160, 48)
	h.key("tab")
	h.key("tab") // P95
	h.key("t")
	h.key("enter")
	h.key("L")
	l := h.logsTop()
	q := logs.asked(t)
	if !strings.Contains(q.Filter, `trace_id:"`+logTrace+`"`) || !q.Start.Equal(t0.Add(-time.Minute)) || !q.End.Equal(t0.Add(4*time.Second+time.Minute)) {
		t.Errorf("the trace's lines were asked as %+v", q)
	}
	if s := h.screen(); !strings.Contains(s, "Logs · trace "+logTrace) || !strings.Contains(s, "2 lines") || !strings.Contains(s, "POST /api/chat started") {
		t.Errorf("the title does not name the trace, or its lines are not shown:\n%s", s)
	}
	if l.model.Following() {
		t.Error("a trace's lines are a closed range: the view must not follow")
	}

	// From a line to its trace.
	if l.model.TraceID() != logTrace {
		t.Fatalf("selected line's trace id %q", l.model.TraceID())
	}
	backend.asked = nil
	h.key("t")
	tr, ok := h.m.top().(*tracesScreen)
	if !ok {
		t.Fatalf("t on the line does not open its waterfall (%v)", h.kinds())
	}
	if id, _, _ := tr.model.Trace(); id != logTrace || len(backend.asked) != 1 || backend.asked[0] != logTrace {
		t.Errorf("opened %q, the backend asked for %v", id, backend.asked)
	}
	if s := h.screen(); !strings.Contains(s, "Trace "+logTrace) || !strings.Contains(s, "SELECT origin_db") {
		t.Errorf("the waterfall is not shown:\n%s", s)
	}
	h.key("esc")
	h.logsTop()
	// L again from a waterfall opened from the lines replaces the view:
	// the stack does not grow.
	h.key("t")
	h.key("L")
	h.logsTop()
	if n := len(h.m.stack); n != 3 { // console, trace list, logs
		t.Errorf("%d screens after going back and forth (%v)", n, h.kinds())
	}
}

// TestLogsOfTheSelectedExemplar: L on the trace list (no trace open) shows
// the selected request's lines, around its instant.
func TestLogsOfTheSelectedExemplar(t *testing.T) {
	src := healthy()
	at := t0.Add(-2 * time.Minute)
	src.exemplars = []sources.Exemplar{{At: at, Value: 4, TraceID: logTrace, Labels: map[string]string{"handler": "/api/chat"}}}
	h := newHarness(t, src, nil, false)
	logs := &fakeLogs{lines: sampleLogs()}
	h.logs = logs
	h.m.openEnv("qa")
	h.size(160, 48)
	h.key("tab")
	h.key("tab") // P95
	h.key("t")
	h.key("L")
	h.logsTop()
	q := logs.asked(t)
	if q.Filter != `trace_id:"`+logTrace+`"` || !q.Start.Equal(at.Add(-5*time.Minute)) || !q.End.Equal(at.Add(time.Minute)) {
		t.Errorf("the selected request's lines were asked as %+v", q)
	}
	if s := h.screen(); !strings.Contains(s, "POST /api/chat 500: pool timeout after 30 s") || strings.Contains(s, "cache hit") {
		t.Errorf("not the trace's line alone:\n%s", s)
	}
	h.key("esc")
	if _, ok := h.m.top().(*tracesScreen); !ok {
		t.Errorf("esc from the lines goes back to the list (%v)", h.kinds())
	}
}

// TestLogsOfAMomentAndARoute: with the time cursor, L shows that moment's
// lines, ± one chart step; with a focus, the route's lines.
func TestLogsOfAMomentAndARoute(t *testing.T) {
	h := newHarness(t, healthy(), nil, false)
	logs := &fakeLogs{lines: sampleLogs()}
	h.logs = logs
	h.m.openEnv("qa")
	h.size(160, 48)
	h.run(h.m.setNarrow(sources.Narrowing{Label: "handler", Value: "/api/chat"}))
	h.key("left")
	h.key("left")
	cursor := h.m.timeline.Cursor
	_, step := h.m.cursorGrid()
	h.key("L")
	l := h.logsTop()
	q := logs.asked(t)
	if !q.Start.Equal(cursor.Add(-step)) || !q.End.Equal(cursor.Add(step)) {
		t.Errorf("asked %v – %v, want %v ± %v", q.Start, q.End, cursor, step)
	}
	if !strings.Contains(q.Filter, `http.route:"/api/chat"`) || !strings.Contains(q.Filter, `handler:"/api/chat"`) {
		t.Errorf("the route's lines were asked as %q", q.Filter)
	}
	if title := l.model.Title(); !strings.Contains(title, `handler="/api/chat"`) || !strings.Contains(title, cursor.Format("15:04:05")+" ± ") {
		t.Errorf("the title does not say the route and the moment: %q", title)
	}
}

// TestLogsOfACeleryTask: L on the Celery pane zoomed shows the selected
// task's lines.
func TestLogsOfACeleryTask(t *testing.T) {
	h := newHarness(t, healthy(), nil, false)
	h.celery = &fakeCelery{st: sampleCelery()}
	logs := &fakeLogs{lines: sampleLogs()}
	h.logs = logs
	h.m.openEnv("qa")
	h.size(200, 60)
	h.advance(h.m.deps.Refresh)
	h.focusOn(h.m.celeryPane)
	h.run(h.m.setZoom(true))
	for range 10 {
		if id, running, ok := h.m.celeryPane.SelectedTask(); ok && !running && id == "f-1" {
			break
		}
		h.key("down")
	}
	if id, _, ok := h.m.celeryPane.SelectedTask(); !ok || id != "f-1" {
		t.Fatalf("the failure is not selected (%q)", id)
	}
	h.key("L")
	l := h.logsTop()
	if q := logs.asked(t); !strings.Contains(q.Filter, `task_id:"f-1"`) {
		t.Errorf("the task's lines were asked as %q", q.Filter)
	}
	if !strings.Contains(l.model.Title(), "task f-1") {
		t.Errorf("title %q", l.model.Title())
	}
}

// TestLogsViewFailing: a backend failing says so in words, the lines kept.
func TestLogsViewFailing(t *testing.T) {
	h := newHarness(t, healthy(), nil, false)
	logs := &fakeLogs{lines: sampleLogs()}
	h.logs = logs
	h.m.openEnv("qa")
	h.size(160, 48)
	h.key("L")
	logs.mu.Lock()
	logs.err = errors.New("HTTP 502 from http://victorialogs.qa:9428")
	logs.mu.Unlock()
	for range 6 {
		h.advance(2 * time.Second)
	}
	s := h.screen()
	if !strings.Contains(s, "⚠ logs: HTTP 502 from http://victorialogs.qa:9428 (last ok 12s ago") || !strings.Contains(s, "cache hit chat:42") {
		t.Errorf("the failure is not said, or the lines went:\n%s", s)
	}
}

// stripLine is the screen's line that holds the log volume strip, -1 when
// none does: the line under the charts that says "logs" under their scale.
func stripLine(screen string) (int, string) {
	for i, l := range strings.Split(screen, "\n") {
		if strings.HasPrefix(strings.TrimLeft(l, " "), "logs ") || strings.Contains(l, "⚠ logs:") || strings.Contains(l, "logs: connecting") {
			return i, l
		}
	}
	return -1, ""
}

// TestLogStrip: with a log backend, a row under the charts counts the
// stream's lines by level on their time axis: an error burst in the
// window's last step is drawn in the charts' last cell, in the error
// colour. Without one, no row is taken.
func TestLogStrip(t *testing.T) {
	h := newHarness(t, healthy(), nil, false)
	logs := &fakeLogs{volume: []sources.LogVolume{{Time: t0.Add(-time.Second), ByLevel: map[string]int{"error": 12, "info": 30}},
		{Time: t0.Add(-10 * time.Minute), ByLevel: map[string]int{"info": 20}}}}
	h.logs = logs
	h.m.openEnv("qa")
	h.size(160, 48)
	s := h.screen()
	i, line := stripLine(s)
	if i < 0 {
		t.Fatalf("no strip on screen:\n%s", s)
	}
	lines := strings.Split(s, "\n")
	if !strings.HasPrefix(lines[i-1], "╰") || !strings.Contains(lines[i+1], "╭─ Postgres") {
		t.Errorf("the strip is not between the charts and the state panes:\n%s", s)
	}
	cells := []rune(line)
	if cells[80-3] != '█' || cells[160-3] != '█' {
		t.Errorf("the burst is not under each chart's last cell: %q", line)
	}
	raw := strings.Split(h.m.Render(), "\n")[i]
	if !strings.Contains(raw, h.m.deps.Styles.Error.Render("█")) {
		t.Errorf("the errors are not in the error colour: %q", raw)
	}
	if q := logs.volumes[0]; q.Filter != "" || !q.Start.Equal(t0.Add(-15*time.Minute)) {
		t.Errorf("the volume was asked as %+v", q)
	}

	logs.mu.Lock()
	logs.err = errors.New("HTTP 503 from http://victorialogs.qa:9428")
	logs.mu.Unlock()
	h.key("r")
	if _, line := stripLine(h.screen()); !strings.Contains(line, "⚠ logs: HTTP 503 from http://victorialogs.qa:9428 (last ok") {
		t.Errorf("a failing backend is not said in the strip: %q", line)
	}

	h.logs = nil
	h.m.openEnv("qa")
	h.size(160, 48)
	if i, _ := stripLine(h.screen()); i >= 0 {
		t.Errorf("a strip without a log backend:\n%s", h.screen())
	}
}

// TestLogStripViews: the console with the strip at the sizes of the other
// root goldens.
func TestLogStripViews(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {100, 30}, {160, 48}} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			h := newHarness(t, healthy(), nil, false)
			h.logs = &fakeLogs{volume: []sources.LogVolume{{Time: t0.Add(-2 * time.Minute), ByLevel: map[string]int{"error": 12, "info": 30}},
				{Time: t0.Add(-7 * time.Minute), ByLevel: map[string]int{"warn": 3, "info": 20}}, {Time: t0.Add(-12 * time.Minute), ByLevel: map[string]int{"info": 25}}}}
			h.m.openEnv("qa")
			h.size(sz[0], sz[1])
			s := h.screen()
			checkGeometry(t, s, sz[0], sz[1])
			golden.RequireEqual(t, s)
		})
	}
}

// TestLogStripFollowsTheFocus: focused on a route, the strip counts that
// route's lines, as the charts above it read that route alone.
func TestLogStripFollowsTheFocus(t *testing.T) {
	h := newHarness(t, healthy(), nil, false)
	logs := &fakeLogs{}
	h.logs = logs
	h.m.openEnv("qa")
	h.size(160, 48)
	h.run(h.m.setNarrow(sources.Narrowing{Label: "handler", Value: "/api/chat"}))
	logs.mu.Lock()
	q := logs.volumes[len(logs.volumes)-1]
	logs.mu.Unlock()
	if !strings.Contains(q.Filter, `http.route:"/api/chat"`) {
		t.Errorf("focused, the strip counts %q", q.Filter)
	}
	h.key("esc") // the focus cleared
	logs.mu.Lock()
	q = logs.volumes[len(logs.volumes)-1]
	logs.mu.Unlock()
	if q.Filter != "" {
		t.Errorf("unfocused, the strip still counts %q", q.Filter)
	}
}
