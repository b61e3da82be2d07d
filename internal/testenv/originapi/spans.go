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

func str(k, v string) otlpAttr { return otlpAttr{k, map[string]string{"stringValue": v}} }
func intAttr(k string, v int) otlpAttr {
	return otlpAttr{k, map[string]string{"intValue": strconv.Itoa(v)}}
}
func nanos(t time.Time) string { return strconv.FormatInt(t.UnixNano(), 10) }

// exporter batches spans and posts them as OTLP/JSON over HTTP, as an
// OpenTelemetry SDK's exporter does, without linking one into opsdeck.
type exporter struct {
	url    string
	client *http.Client
	mu     sync.Mutex
	spans  []otlpSpan
}

// maxPending bounds the spans waiting for a backend that does not answer.
const maxPending = 10000

func (e *exporter) add(spans ...otlpSpan) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.spans)+len(spans) <= maxPending {
		e.spans = append(e.spans, spans...)
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
		"resource":   map[string]any{"attributes": []otlpAttr{str("service.name", ServiceName)}},
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
	a.mu.Lock()
	a.spans = e
	a.mu.Unlock()
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
	a.mu.Lock()
	e := a.spans
	a.mu.Unlock()
	if e == nil || len(traceID) != 32 {
		return
	}
	start := end.Add(-lat)
	root := otlpSpan{TraceID: traceID, SpanID: spanID(traceID, 0), Name: method + " " + handler, Kind: kindServer,
		Start: nanos(start), End: nanos(end),
		Attributes: []otlpAttr{str("http.request.method", method), str("http.route", handler), intAttr("http.response.status_code", code)}}
	if code >= 500 {
		root.Status = &otlpStatus{Code: statusError, Message: fmt.Sprintf("%d from the LLM provider", code)}
	}
	child := func(n byte, name string, from, to time.Time, attrs ...otlpAttr) otlpSpan {
		return otlpSpan{TraceID: traceID, SpanID: spanID(traceID, n), ParentSpanID: root.SpanID, Name: name, Kind: kindClient,
			Start: nanos(from), End: nanos(to), Attributes: attrs}
	}
	// The cache first, then the database; a slow request spends its time in
	// one slow query.
	cacheEnd := start.Add(lat / 20)
	query := "SELECT id, role, content FROM messages WHERE conversation_id = $1 ORDER BY created_at LIMIT 50"
	if lat > time.Second {
		query = "SELECT m.id, m.content FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.user_id = $1 ORDER BY m.created_at DESC"
	}
	e.add(root,
		child(1, "GET", start, cacheEnd, str("db.system", "redis"), str("db.statement", "GET cache:"+handler)),
		child(2, "SELECT origin_db", cacheEnd, start.Add(lat*9/10), str("db.system", "postgresql"), str("db.statement", query), str("db.name", "origin_db")))
}

// DeepTrace sends one trace of n spans ending now, for the waterfall's
// budget: a server span and n-1 nested and sibling database calls.
func (a *API) DeepTrace(traceID string, n int) {
	a.mu.Lock()
	e := a.spans
	a.mu.Unlock()
	if e == nil || len(traceID) != 32 || n < 1 {
		return
	}
	end := time.Now()
	start := end.Add(-time.Duration(n) * time.Millisecond)
	id := func(i int) string { return fmt.Sprintf("%016x", uint64(i)+1) }
	spans := []otlpSpan{{TraceID: traceID, SpanID: id(0), Name: "POST /api/chat", Kind: kindServer, Start: nanos(start), End: nanos(end)}}
	for i := 1; i < n; i++ {
		parent := id((i - 1) / 4) // four children a span: a tree some levels deep
		from := start.Add(time.Duration(i) * time.Millisecond / 2)
		spans = append(spans, otlpSpan{TraceID: traceID, SpanID: id(i), ParentSpanID: parent, Name: fmt.Sprintf("SELECT origin_db %d", i),
			Kind: kindClient, Start: nanos(from), End: nanos(from.Add(time.Millisecond)), Attributes: []otlpAttr{str("db.statement", "SELECT 1")}})
	}
	e.add(spans...)
}
