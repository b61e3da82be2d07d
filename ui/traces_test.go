package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/sources"
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
	if h.m.tr != nil {
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
	if s := h.screen(); h.m.tr != nil || !strings.Contains(s, "t: focus a metric pane to list its traced requests") {
		t.Errorf("t on the Postgres pane:\n%s", s)
	}
}
