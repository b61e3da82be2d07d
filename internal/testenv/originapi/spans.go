package originapi

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
)

// ServiceName is the synthetic API's service in its traces.
const ServiceName = "origin-api"

// TraceEvery is how many requests share one traced: a sampled fraction,
// as a production tracer keeps, and only those are exemplars.
const TraceEvery = 4

// ExportSpans sends the API's traces over OTLP/HTTP to endpoint (host:port)
// until ctx ends: a server span per traced request, with a PostgreSQL span
// (its statement), a Redis span and, on the slow path, the slow query.
func (a *API) ExportSpans(ctx context.Context, endpoint string) error {
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpoint(endpoint), otlptracehttp.WithInsecure())
	if err != nil {
		return err
	}
	res := resource.NewSchemaless(attribute.String("service.name", ServiceName))
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp, sdktrace.WithBatchTimeout(200*time.Millisecond)),
		sdktrace.WithResource(res), sdktrace.WithIDGenerator(chosenIDs{}))
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		tp.Shutdown(shut)
	}()
	a.mu.Lock()
	a.tracer = tp.Tracer("originapi")
	a.mu.Unlock()
	return nil
}

// traceKey carries the trace id a request's exemplar already named.
type traceKey struct{}

// chosenIDs makes the trace id the one in the context (the exemplar's),
// span ids from it and a counter.
type chosenIDs struct{}

func (chosenIDs) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	tid, _ := ctx.Value(traceKey{}).(trace.TraceID)
	return tid, spanID(tid, 0)
}

func (chosenIDs) NewSpanID(ctx context.Context, tid trace.TraceID) trace.SpanID {
	n, _ := ctx.Value(spanKey{}).(byte)
	return spanID(tid, n)
}

type spanKey struct{}

func spanID(tid trace.TraceID, n byte) trace.SpanID {
	var s trace.SpanID
	copy(s[:], tid[8:])
	s[7] ^= n + 1
	return s
}

// traceRequest records one traced request's spans, ending at end.
func (a *API) traceRequest(traceID, handler, method string, code int, lat time.Duration, end time.Time) {
	a.mu.Lock()
	tr := a.tracer
	a.mu.Unlock()
	if tr == nil {
		return
	}
	var tid trace.TraceID
	if b, err := hex.DecodeString(traceID); err != nil || len(b) != 16 {
		return
	} else {
		copy(tid[:], b)
	}
	start := end.Add(-lat)
	ctx := context.WithValue(context.Background(), traceKey{}, tid)
	ctx, root := tr.Start(ctx, method+" "+handler, trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(start),
		trace.WithAttributes(semconv.HTTPRequestMethodKey.String(method), semconv.HTTPRoute(handler), semconv.HTTPResponseStatusCode(code)))
	child := func(n byte, name string, from, to time.Time, attrs ...attribute.KeyValue) {
		_, s := tr.Start(context.WithValue(ctx, spanKey{}, n), name, trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(from), trace.WithAttributes(attrs...))
		s.End(trace.WithTimestamp(to))
	}
	// The cache first, then the database; a slow request spends its time in
	// one slow query.
	cacheEnd := start.Add(lat / 20)
	child(1, "GET", start, cacheEnd, semconv.DBSystemRedis, attribute.String("db.statement", "GET cache:"+handler))
	query := "SELECT id, role, content FROM messages WHERE conversation_id = $1 ORDER BY created_at LIMIT 50"
	if lat > time.Second {
		query = "SELECT m.id, m.content FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.user_id = $1 ORDER BY m.created_at DESC"
	}
	child(2, "SELECT origin_db", cacheEnd, start.Add(lat*9/10), semconv.DBSystemPostgreSQL, attribute.String("db.statement", query),
		attribute.String("db.name", "origin_db"))
	if code >= 500 {
		root.SetStatus(codes.Error, fmt.Sprintf("%d from the LLM provider", code))
	}
	root.End(trace.WithTimestamp(end))
}
