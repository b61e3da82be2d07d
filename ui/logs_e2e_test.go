package ui

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/otellogs"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/httpapi"
	"github.com/opsdeck/opsdeck/sources/jaeger"
	"github.com/opsdeck/opsdeck/sources/victorialogs"
	"github.com/opsdeck/opsdeck/ui/traces"
)

// TestTraceLinesFromTheWaterfallE2E: lines sent through the OpenTelemetry
// SDK into a real VictoriaLogs with a known trace id, the trace itself in a
// real Jaeger: from the trace's waterfall, L shows its lines (every one of
// them, and no other trace's), and t on one of them opens that waterfall
// again.
func TestTraceLinesFromTheWaterfallE2E(t *testing.T) {
	sandboxtest.SkipServers(t, "VictoriaLogs and Jaeger")
	vl, jg := sandboxtest.NewVictoriaLogs(t), sandboxtest.NewJaeger(t)
	ctx := context.Background()
	const trace, other = "5e1f0c0ffee0000000000000000c0ffe", "0123456789abcdef0123456789abcdef"
	now := time.Now().Truncate(time.Millisecond)

	// The trace: one request, its database call failing.
	spans := fmt.Sprintf(`{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"origin-api"}}]},"scopeSpans":[{"scope":{"name":"test"},"spans":[`+
		`{"traceId":%[1]q,"spanId":"00000000000000a1","name":"POST /api/chat","kind":2,"startTimeUnixNano":"%[2]d","endTimeUnixNano":"%[3]d","status":{"code":2,"message":"pool timeout"}},`+
		`{"traceId":%[1]q,"spanId":"00000000000000a2","parentSpanId":"00000000000000a1","name":"SELECT origin_db","kind":3,"startTimeUnixNano":"%[2]d","endTimeUnixNano":"%[3]d"}]}]}]}`,
		trace, now.Add(-4*time.Second).UnixNano(), now.UnixNano())
	resp, err := http.Post("http://"+jg.OTLPEndpoint()+"/v1/traces", "application/json", bytes.NewBufferString(spans))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("Jaeger took the spans with %s", resp.Status)
	}

	// Its lines, and another request's, through the SDK.
	lg, err := otellogs.New(ctx, vl.OTLPLogsURL(), "origin-api")
	if err != nil {
		t.Fatal(err)
	}
	defer lg.Shutdown(context.Background())
	sent := []otellogs.Record{
		{Time: now.Add(-3 * time.Second), Level: "info", Message: "POST /api/chat: reading the conversation", TraceID: trace, SpanID: "00000000000000a1"},
		{Time: now.Add(-time.Second), Level: "error", Message: "sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached\nTraceback (most recent call last):\n  File \"/app/origin/db.py\", line 88, in acquire",
			TraceID: trace, SpanID: "00000000000000a2", Attributes: map[string]string{"http.route": "/api/chat"}},
		{Time: now.Add(-2 * time.Second), Level: "info", Message: "GET /health 200 in 1 ms", TraceID: other, SpanID: "00000000000000b1"},
	}
	for _, r := range sent {
		if err := lg.Emit(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := lg.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	logs, err := victorialogs.New(victorialogs.Options{API: httpapi.APIOptions{URL: vl.URL()}, Filter: `service.name:"origin-api"`})
	if err != nil {
		t.Fatal(err)
	}
	defer logs.Close()
	jc, err := jaeger.New(httpapi.APIOptions{URL: jg.QueryURL()})
	if err != nil {
		t.Fatal(err)
	}
	defer jc.Close()
	// Once both hold what was sent (VictoriaLogs makes lines searchable
	// within a second; Jaeger stores spans as they come).
	if err := wait.For(t, func() error {
		got, lerr := logs.Lines(ctx, sources.LogQuery{Start: now.Add(-time.Minute), End: now.Add(time.Minute), Limit: 10})
		tr, terr := jc.Trace(ctx, trace)
		if lerr == nil && terr == nil && len(got) == len(sent) && len(tr.Spans) == 2 {
			return nil
		}
		return fmt.Errorf("the servers hold %d of %d lines (%v) and %d of 2 spans (%v)", len(got), len(sent), lerr, len(tr.Spans), terr)
	}); err != nil {
		t.Fatal(err)
	}

	h := newHarness(t, healthy(), nil, false)
	h.now = now
	h.logs = logs
	h.m.openEnv("qa")
	h.m.env.Traces.Source = jc
	h.size(160, 48)
	// The trace's waterfall, opened by its id as from a line of another view.
	w := traces.New(h.m.paneContext, nil, sources.SignalSpec{}, h.m.env.Scrubber, "esc back", jc, "", "")
	open, _ := w.OpenID(trace)
	h.m.push(&tracesScreen{model: w})
	h.run(open)
	if s := h.screen(); !strings.Contains(s, "POST /api/chat (origin-api)") || !strings.Contains(s, "SELECT origin_db") {
		t.Fatalf("the waterfall is not shown:\n%s", s)
	}

	h.key("L")
	l := h.logsTop()
	s := h.screen()
	for _, want := range []string{"Logs · trace " + trace, "2 lines", "POST /api/chat: reading the conversation", "sqlalchemy.exc.TimeoutError: QueuePool limit"} {
		if !strings.Contains(s, want) {
			t.Errorf("%q missing from the trace's lines:\n%s", want, s)
		}
	}
	if strings.Contains(s, "GET /health") {
		t.Errorf("another trace's line is among this one's:\n%s", s)
	}
	h.key("enter")
	if s := h.screen(); !strings.Contains(s, "http.route: /api/chat") || !strings.Contains(s, `File "/app/origin/db.py", line 88, in acquire`) {
		t.Errorf("the expanded line lacks its field or its traceback:\n%s", s)
	}
	h.key("esc")
	if got := l.model.TraceID(); got != trace {
		t.Fatalf("the selected line's trace is %q", got)
	}
	h.key("t")
	if tr, ok := h.m.top().(*tracesScreen); !ok {
		t.Errorf("t on the line does not open its waterfall (%v)", h.kinds())
	} else if id, _, _ := tr.model.Trace(); id != trace {
		t.Errorf("t opened trace %q", id)
	}
}
