package originapi

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// ServiceName is the synthetic API's service in its traces.
const ServiceName = "origin-api"

// TraceEvery is how many requests share one traced: a sampled fraction,
// as a production tracer keeps, and only those are exemplars.
const TraceEvery = 4

// TraceSpan is one span of a traced request, its ids in hex.
type TraceSpan struct {
	TraceID, SpanID, ParentID string
	Name                      string
	Server                    bool // the request's own span; else a client call
	Start, End                time.Time
	Attributes                []Attribute
	// Error, when set, marks the span failed, with this message.
	Error string
}

// Attribute is one attribute of a span: a string or an int.
type Attribute struct {
	Key    string
	String string
	Int    int
	IsInt  bool
}

func str(k, v string) Attribute         { return Attribute{Key: k, String: v} }
func intAttr(k string, v int) Attribute { return Attribute{Key: k, Int: v, IsInt: true} }

// SpanSink takes the spans of one trace at a time, its root first and each
// parent before its children. The demo's sink posts OTLP/JSON (ExportSpans);
// tests may give an OpenTelemetry SDK's instead (SetSpanSink).
type SpanSink interface {
	Trace(spans []TraceSpan)
}

// SetSpanSink sends the API's traces to sink from now on.
func (a *API) SetSpanSink(sink SpanSink) {
	a.mu.Lock()
	a.spans = sink
	a.mu.Unlock()
}

func (a *API) sink() SpanSink {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.spans
}

// The OTLP span kinds and status code used here (opentelemetry-proto).
const (
	kindServer  = 2
	kindClient  = 3
	statusError = 2
)

// otlpSpan is one span in OTLP/JSON: ids in hex, times in nanoseconds as
// decimal strings.
type otlpSpan struct {
	TraceID      string      `json:"traceId"`
	SpanID       string      `json:"spanId"`
	ParentSpanID string      `json:"parentSpanId,omitempty"`
	Name         string      `json:"name"`
	Kind         int         `json:"kind"`
	Start        string      `json:"startTimeUnixNano"`
	End          string      `json:"endTimeUnixNano"`
	Attributes   []otlpAttr  `json:"attributes,omitempty"`
	Status       *otlpStatus `json:"status,omitempty"`
}

type otlpAttr struct {
	Key   string            `json:"key"`
	Value map[string]string `json:"value"`
}

type otlpStatus struct {
	Code    int    `json:"code"`
	Message string `json:"message,omitempty"`
}

func nanos(t time.Time) string { return strconv.FormatInt(t.UnixNano(), 10) }

func otlpOf(s TraceSpan) otlpSpan {
	o := otlpSpan{TraceID: s.TraceID, SpanID: s.SpanID, ParentSpanID: s.ParentID, Name: s.Name, Kind: kindClient, Start: nanos(s.Start), End: nanos(s.End)}
	if s.Server {
		o.Kind = kindServer
	}
	for _, a := range s.Attributes {
		v := map[string]string{"stringValue": a.String}
		if a.IsInt {
			v = map[string]string{"intValue": strconv.Itoa(a.Int)}
		}
		o.Attributes = append(o.Attributes, otlpAttr{a.Key, v})
	}
	if s.Error != "" {
		o.Status = &otlpStatus{Code: statusError, Message: s.Error}
	}
	return o
}

// exporter batches spans and posts them as OTLP/JSON over HTTP, as an
// OpenTelemetry SDK's exporter does, without linking one into opsdeck: the
// demo runs inside the opsdeck binary, and the SDK's packages (grpc,
// protobuf) would cost the console some 7 MiB of resident memory.
type exporter struct {
	url    string
	client *http.Client
	mu     sync.Mutex
	spans  []otlpSpan
}

// maxPending bounds the spans waiting for a backend that does not answer.
const maxPending = 10000

func (e *exporter) Trace(spans []TraceSpan) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.spans)+len(spans) > maxPending {
		return
	}
	for _, s := range spans {
		e.spans = append(e.spans, otlpOf(s))
	}
}

func (e *exporter) flush(ctx context.Context) {
	e.mu.Lock()
	spans := e.spans
	e.spans = nil
	e.mu.Unlock()
	if len(spans) == 0 {
		return
	}
	body, err := json.Marshal(map[string]any{"resourceSpans": []any{map[string]any{
		"resource":   map[string]any{"attributes": []otlpAttr{{"service.name", map[string]string{"stringValue": ServiceName}}}},
		"scopeSpans": []any{map[string]any{"scope": map[string]string{"name": "originapi"}, "spans": spans}},
	}}})
	if err != nil {
		return
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(body))
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", "application/json")
	if resp, err := e.client.Do(req); err == nil {
		resp.Body.Close()
	}
}

// ExportSpans sends the API's traces over OTLP/HTTP (JSON) to endpoint
// (host:port) until ctx ends: a server span per traced request, with a
// Redis span and a PostgreSQL span (its statement; the slow query on the
// slow path).
func (a *API) ExportSpans(ctx context.Context, endpoint string) error {
	e := &exporter{url: "http://" + endpoint + "/v1/traces", client: &http.Client{Timeout: 2 * time.Second}}
	go func() {
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				e.flush(ctx)
			}
		}
	}()
	a.SetSpanSink(e)
	return nil
}

// spanID is the trace's n-th span id: derived from the trace id, so that a
// trace's spans are known from its exemplar alone.
func spanID(traceID string, n byte) string {
	b, _ := hex.DecodeString(traceID[16:])
	b[7] ^= n + 1
	return hex.EncodeToString(b)
}

// traceRequest records one traced request's spans, ending at end.
func (a *API) traceRequest(traceID, handler, method string, code int, lat time.Duration, end time.Time) {
	sink := a.sink()
	if sink == nil || len(traceID) != 32 {
		return
	}
	start := end.Add(-lat)
	root := TraceSpan{TraceID: traceID, SpanID: spanID(traceID, 0), Name: method + " " + handler, Server: true, Start: start, End: end,
		Attributes: []Attribute{str("http.request.method", method), str("http.route", handler), intAttr("http.response.status_code", code)}}
	if code >= 500 {
		root.Error = fmt.Sprintf("%d from the LLM provider", code)
	}
	child := func(n byte, name string, from, to time.Time, attrs ...Attribute) TraceSpan {
		return TraceSpan{TraceID: traceID, SpanID: spanID(traceID, n), ParentID: root.SpanID, Name: name, Start: from, End: to, Attributes: attrs}
	}
	// The cache first, then the database; a slow request spends its time in
	// one slow query.
	cacheEnd := start.Add(lat / 20)
	query := "SELECT id, role, content FROM messages WHERE conversation_id = $1 ORDER BY created_at LIMIT 50"
	if lat > time.Second {
		query = "SELECT m.id, m.content FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.user_id = $1 ORDER BY m.created_at DESC"
	}
	sink.Trace([]TraceSpan{root,
		child(1, "GET", start, cacheEnd, str("db.system", "redis"), str("db.statement", "GET cache:"+handler)),
		child(2, "SELECT origin_db", cacheEnd, start.Add(lat*9/10), str("db.system", "postgresql"), str("db.statement", query), str("db.name", "origin_db"))})
}

// DeepTrace sends one trace of n spans ending now, for the waterfall's
// budget: a server span and n-1 nested and sibling database calls.
func (a *API) DeepTrace(traceID string, n int) {
	sink := a.sink()
	if sink == nil || len(traceID) != 32 || n < 1 {
		return
	}
	end := time.Now()
	start := end.Add(-time.Duration(n) * time.Millisecond)
	id := func(i int) string { return fmt.Sprintf("%016x", uint64(i)+1) }
	spans := []TraceSpan{{TraceID: traceID, SpanID: id(0), Name: "POST /api/chat", Server: true, Start: start, End: end}}
	for i := 1; i < n; i++ {
		parent := id((i - 1) / 4) // four children a span: a tree some levels deep
		from := start.Add(time.Duration(i) * time.Millisecond / 2)
		spans = append(spans, TraceSpan{TraceID: traceID, SpanID: id(i), ParentID: parent, Name: fmt.Sprintf("SELECT origin_db %d", i),
			Start: from, End: from.Add(time.Millisecond), Attributes: []Attribute{str("db.statement", "SELECT 1")}})
	}
	sink.Trace(spans)
}
