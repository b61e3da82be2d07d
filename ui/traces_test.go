package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/pane/panetest"
)

// TestTraceList: t on the P95 pane lists its exemplars, largest first, and
// enter gives the trace id; with none, the list says why; the chart marks
// each exemplar with a dot; t elsewhere says why it does nothing.
func TestTraceList(t *testing.T) {
	src := healthy()
	src.exemplars = []sources.Exemplar{
		{At: t0.Add(-2 * time.Minute), Value: 4.2, TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", Labels: map[string]string{"handler": "/api/chat", "method": "POST", "status": "2xx"}},
		{At: t0.Add(-5 * time.Minute), Value: 0.08, TraceID: "00f067aa0ba902b7a3ce929d0e0e4736", Labels: map[string]string{"handler": "/health", "method": "GET"}},
	}
	h := newHarness(t, src, nil, false)
	h.size(160, 48)
	if n := strings.Count(h.screen(), "•"); n < 2 {
		t.Errorf("%d exemplar dots on screen, want the P95 pane's and the error rate's:\n%s", n, h.screen())
	}
	h.key("tab")
	h.key("tab") // P95
	h.key("t")
	s := h.screen()
	checkGeometry(t, s, 160, 48)
	for _, want := range []string{"Slow requests: P95 latency", "TIME", "TRACE ID", "14:28:00", "4.20 s", "POST /api/chat", "4bf92f3577b34da6a3ce929d0e0e4736", "80 ms GET /health"} {
		if !strings.Contains(s, want) {
			t.Errorf("%q missing:\n%s", want, s)
		}
	}
	if strings.Index(s, "4bf92f3577b34da6a3ce929d0e0e4736") > strings.Index(s, "00f067aa0ba902b7a3ce929d0e0e4736") {
		t.Error("the slowest is not first")
	}
	h.key("enter")
	if s := h.screen(); !strings.Contains(s, "trace 4bf92f3577b34da6a3ce929d0e0e4736") {
		t.Errorf("enter did not give the trace id:\n%s", s)
	}
	h.key("esc")
	if h.tracesOpen() {
		t.Fatal("esc did not close the list")
	}

	src.set(func(f *fakeMetrics) { f.exemplars, f.noExemplars = nil, "exemplar storage is off" })
	h.key("t")
	if s := h.screen(); !strings.Contains(s, "no exemplars: exemplar storage is off") {
		t.Errorf("no exemplars must say why:\n%s", s)
	}
	h.key("esc")
	for !h.m.focused(h.m.dbPane) {
		h.key("tab")
	}
	h.key("t")
	if s := h.screen(); h.tracesOpen() || !strings.Contains(s, "t: focus a metric pane to list its traced requests") {
		t.Errorf("t on the Postgres pane:\n%s", s)
	}
}

// fakeTraces is a trace backend (UI test only): the trace asked for, three
// spans deep, the database span failing.
type fakeTraces struct{ asked []string }

func (f *fakeTraces) Trace(_ context.Context, id string) (sources.Trace, error) {
	f.asked = append(f.asked, id)
	return sources.Trace{ID: id, Spans: []sources.Span{
		{ID: "a", Service: "origin-api", Operation: "POST /api/chat", Start: t0, Duration: 4 * time.Second},
		{ID: "b", Parent: "a", Depth: 1, Service: "origin-api", Operation: "GET", Start: t0, Duration: 200 * time.Millisecond},
		{ID: "c", Parent: "a", Depth: 1, Service: "origin-api", Operation: "SELECT origin_db", Start: t0.Add(200 * time.Millisecond), Duration: 3600 * time.Millisecond,
			Error: true, Attributes: map[string]string{"db.statement": "SELECT m.id FROM messages m", "db.system": "postgresql"}},
	}}, nil
}

// TestTraceWaterfall: enter on an exemplar opens its trace from the
// backend as a waterfall, the selected span's statement below; esc goes
// back to the list, then closes it. Without a backend, enter gives the
// team's trace page.
func TestTraceWaterfall(t *testing.T) {
	src := healthy()
	src.exemplars = []sources.Exemplar{{At: t0.Add(-time.Minute), Value: 4, TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", Labels: map[string]string{"handler": "/api/chat"}}}
	h := newHarness(t, src, nil, false)
	backend := &fakeTraces{}
	h.m.env.Traces.Source, h.m.env.TraceUI = backend, "https://jaeger.example.com/trace/{trace_id}"
	h.size(160, 48)
	h.key("tab")
	h.key("tab")
	h.key("t")
	h.key("enter")
	s := h.screen()
	checkGeometry(t, s, 160, 48)
	for _, want := range []string{"Trace 4bf92f3577b34da6a3ce929d0e0e4736", "3 spans · 4.00 s · origin-api", "https://jaeger.example.com/trace/4bf92f3577b34da6a3ce929d0e0e4736",
		"POST /api/chat (origin-api)", "  GET", "  SELECT origin_db", "████"} {
		if !strings.Contains(s, want) {
			t.Errorf("%q missing:\n%s", want, s)
		}
	}
	if len(backend.asked) != 1 || backend.asked[0] != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("the backend was asked for %v", backend.asked)
	}
	h.key("down")
	h.key("down")
	if s := h.screen(); !strings.Contains(s, "db.statement: SELECT m.id FROM messages m") {
		t.Errorf("the selected span's statement is not shown:\n%s", s)
	}
	h.key("esc")
	if s := h.screen(); !h.tracesOpen() || !strings.Contains(s, "Slow requests: P95 latency") {
		t.Fatalf("esc must go back to the list:\n%s", s)
	}
	h.key("esc")
	if h.tracesOpen() {
		t.Fatal("the second esc must close the list")
	}
	h.m.env.Traces.Source = nil
	h.key("t")
	h.key("enter")
	if s := h.screen(); !strings.Contains(s, "trace 4bf92f3577b34da6a3ce929d0e0e4736: https://jaeger.example.com/trace/4bf92f3577b34da6a3ce929d0e0e4736") {
		t.Errorf("without a backend, enter must give the trace's page:\n%s", s)
	}
}

// TestExemplarDotsReadIncrementally: once a chart has its exemplars, it
// asks only for what its window gained, at most every 30 s; the dots of
// exemplars still inside the window stay.
func TestExemplarDotsReadIncrementally(t *testing.T) {
	src := healthy()
	src.exemplars = []sources.Exemplar{{At: t0.Add(-5 * time.Minute), Value: 2, TraceID: "4bf92f3577b34da6a3ce929d0e0e4736"}}
	h := newHarness(t, src, nil, false)
	h.size(160, 48)
	if n := len(src.exRanges); n != 2 { // the P95 and error-rate panes
		t.Fatalf("%d exemplar reads at start, want 2", n)
	}
	for range 45 { // 90 s
		h.advance(2 * time.Second)
	}
	reads := src.exRanges[2:]
	if len(reads) < 4 || len(reads) > 6 {
		t.Fatalf("%d exemplar reads in 90 s, want 2 a pane every 30 s", len(reads))
	}
	step := lastWindow(src).Step
	for _, r := range reads {
		if d := r[1].Sub(r[0]); d < 30*time.Second-step || d > 30*time.Second+2*step {
			t.Errorf("asked for %s–%s: want only the ~30 s the window gained", r[0].Format(time.TimeOnly), r[1].Format(time.TimeOnly))
		}
	}
	if n := strings.Count(h.screen(), "•"); n < 2 {
		t.Errorf("the dots of the exemplars still inside the window are gone (%d)", n)
	}
}

// searchingTraces is a backend that also searches (UI test only); failing
// makes the search fail.
type searchingTraces struct {
	fakeTraces
	failing error
}

func (s *searchingTraces) Search(_ context.Context, service string, from, to time.Time, limit int) ([]sources.Exemplar, error) {
	if s.failing != nil {
		return nil, s.failing
	}
	return []sources.Exemplar{{At: t0.Add(-time.Minute), Value: 3.5, TraceID: "aaaa0000bbbb1111cccc2222dddd3333", Labels: map[string]string{"route": "POST /api/chat", "status": "error"}}}, nil
}

// TestTraceListFallsBackToSearch: a pane without exemplars lists the
// service's traces from the backend's search, saying so.
func TestTraceListFallsBackToSearch(t *testing.T) {
	src := healthy()
	src.noExemplars = "exemplar storage is off"
	h := newHarness(t, src, nil, false)
	h.m.env.Traces.Source, h.m.env.TraceService = &searchingTraces{}, "origin-api"
	h.size(160, 48)
	h.key("tab")
	h.key("tab")
	h.key("t")
	s := h.screen()
	for _, want := range []string{"no exemplars: exemplar storage is off", "instead, origin-api's traces from Jaeger's search", "POST /api/chat", "error", "aaaa0000bbbb1111cccc2222dddd3333"} {
		if !strings.Contains(s, want) {
			t.Errorf("%q missing:\n%s", want, s)
		}
	}
}

// TestFailedSearchKeepsTheList: the search failing on a refresh says so
// in words, and the traces listed before stay listed.
func TestFailedSearchKeepsTheList(t *testing.T) {
	src := healthy()
	src.noExemplars = "exemplar storage is off"
	h := newHarness(t, src, nil, false)
	backend := &searchingTraces{}
	h.m.env.Traces.Source, h.m.env.TraceService = backend, "origin-api"
	h.size(160, 48)
	h.key("tab")
	h.key("tab")
	h.key("t")
	backend.failing = errors.New("no answer from http://jaeger:16686 within 5s")
	h.key("esc")
	h.key("t")
	if s := strings.Join(strings.Fields(h.screen()), " "); !strings.Contains(s, "no exemplars (exemplar storage is off); Jaeger's search failed: no answer from") {
		t.Errorf("with nothing listed, the error says why there are no exemplars:\n%s", h.screen())
	}
	backend.failing = nil
	h.key("r")
	backend.failing = errors.New("no answer from http://jaeger:16686 within 5s")
	h.key("r")
	s := h.screen()
	for _, want := range []string{"Jaeger's search failed: no answer from http://jaeger:16686 within 5s", "exemplar storage is off", "aaaa0000bbbb1111cccc2222dddd3333"} {
		if !strings.Contains(strings.Join(strings.Fields(s), " "), want) {
			t.Errorf("%q missing:\n%s", want, s)
		}
	}
}

// TestCopyTraceLink: y copies the selected trace's page to the clipboard
// (an OSC 52 command) and says so.
func TestCopyTraceLink(t *testing.T) {
	src := healthy()
	src.exemplars = []sources.Exemplar{{At: t0.Add(-time.Minute), Value: 4, TraceID: "4bf92f3577b34da6a3ce929d0e0e4736"}}
	h := newHarness(t, src, nil, false)
	h.m.env.TraceUI = "https://jaeger.example.com/trace/{trace_id}"
	h.size(160, 48)
	h.key("tab")
	h.key("tab")
	h.key("t")
	_, cmd := h.m.Update(tea.KeyPressMsg{Code: 'y', Text: "y"})
	var msgs []tea.Msg
	panetest.Drain(cmd, func(m tea.Msg) tea.Cmd { msgs = append(msgs, m); return nil })
	want := fmt.Sprint(tea.SetClipboard("https://jaeger.example.com/trace/4bf92f3577b34da6a3ce929d0e0e4736")())
	found := false
	for _, m := range msgs {
		found = found || fmt.Sprint(m) == want
	}
	if !found {
		t.Errorf("no clipboard command for the trace's page among %v", msgs)
	}
	if s := h.screen(); !strings.Contains(s, "copied https://jaeger.example.com/trace/4bf92f3577b34da6a3ce929d0e0e4736") {
		t.Errorf("the copy is not said:\n%s", s)
	}
}

// TestFindStatementAmongSessions: f on a database span of an open trace
// shows the Postgres sessions filtered by its statement; elsewhere it says
// why it does nothing.
func TestFindStatementAmongSessions(t *testing.T) {
	src := healthy()
	src.exemplars = []sources.Exemplar{{At: t0.Add(-time.Minute), Value: 4, TraceID: "4bf92f3577b34da6a3ce929d0e0e4736"}}
	h := newHarness(t, src, nil, false)
	h.m.env.Traces.Source = &fakeTraces{}
	h.size(160, 48)
	h.key("tab")
	h.key("tab")
	h.key("t")
	h.key("f")
	if s := h.screen(); !h.tracesOpen() || !strings.Contains(s, "f: open a trace and select a database span") {
		t.Fatalf("f on the list:\n%s", s)
	}
	h.key("enter")
	h.key("down")
	h.key("down") // the SELECT span
	h.key("f")
	if h.tracesOpen() || !h.m.zoomed() || !h.m.focused(h.m.dbPane) {
		t.Fatalf("f did not open the Postgres sessions:\n%s", h.screen())
	}
	if got := h.m.dbPane.Sessions().Filter; got != "SELECT m.id FROM messages m" {
		t.Errorf("the sessions are filtered by %q", got)
	}
}
