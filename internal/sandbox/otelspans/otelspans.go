package otelspans

import (
	"context"
	"encoding/hex"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/opsdeck/opsdeck/internal/sandbox/originapi"
)

// Export sends api's traces to the OTLP/HTTP endpoint (host:port) through
// the SDK until ctx ends; the returned function flushes and shuts the SDK
// down.
func Export(ctx context.Context, api *originapi.API, endpoint string) (shutdown func(), err error) {
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpoint(endpoint), otlptracehttp.WithInsecure())
	if err != nil {
		return nil, err
	}
	ids := &presetIDs{}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp, sdktrace.WithBatchTimeout(200*time.Millisecond)),
		sdktrace.WithIDGenerator(ids),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", originapi.ServiceName))),
	)
	api.SetSpanSink(&sink{tracer: tp.Tracer("originapi"), ids: ids})
	return func() {
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = tp.Shutdown(c)
	}, nil
}

// sink starts and ends an SDK span for each of the API's spans, with the
// API's ids and times.
type sink struct {
	tracer trace.Tracer
	ids    *presetIDs
	mu     sync.Mutex // the ids are handed over one span at a time
}

func (s *sink) Trace(spans []originapi.TraceSpan) {
	s.mu.Lock()
	defer s.mu.Unlock()
	started := map[string]context.Context{}
	for _, sp := range spans {
		ctx := context.Background()
		if parent, ok := started[sp.ParentID]; ok {
			ctx = parent
		}
		kind := trace.SpanKindClient
		if sp.Server {
			kind = trace.SpanKindServer
		}
		var attrs []attribute.KeyValue
		for _, a := range sp.Attributes {
			if a.IsInt {
				attrs = append(attrs, attribute.Int(a.Key, a.Int))
			} else {
				attrs = append(attrs, attribute.String(a.Key, a.String))
			}
		}
		s.ids.set(sp.TraceID, sp.SpanID)
		ctx, span := s.tracer.Start(ctx, sp.Name, trace.WithTimestamp(sp.Start), trace.WithSpanKind(kind), trace.WithAttributes(attrs...))
		if sp.Error != "" {
			span.SetStatus(codes.Error, sp.Error)
		}
		span.End(trace.WithTimestamp(sp.End))
		started[sp.SpanID] = ctx
	}
}

// presetIDs gives the SDK the ids the API chose (its exemplars name them):
// the next span's, set just before it starts.
type presetIDs struct {
	mu      sync.Mutex
	traceID trace.TraceID
	spanID  trace.SpanID
}

func (p *presetIDs) set(traceID, spanID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, _ := hex.DecodeString(traceID)
	s, _ := hex.DecodeString(spanID)
	copy(p.traceID[:], t)
	copy(p.spanID[:], s)
}

func (p *presetIDs) NewIDs(context.Context) (trace.TraceID, trace.SpanID) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.traceID, p.spanID
}

func (p *presetIDs) NewSpanID(context.Context, trace.TraceID) trace.SpanID {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.spanID
}
