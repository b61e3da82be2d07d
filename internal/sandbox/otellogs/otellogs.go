package otellogs

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/trace"
)

// Record is one log record to send.
type Record struct {
	// Time is when it happened (zero: now).
	Time time.Time
	// Level is error, warn, info or debug ("" sends no severity).
	Level   string
	Message string
	// TraceID (32 hex digits) and SpanID (16) join the record to its
	// trace; "" sends it outside any trace.
	TraceID, SpanID string
	// Attributes are the record's own attributes.
	Attributes map[string]string
}

// Logger sends records through the SDK's batch processor.
type Logger struct {
	provider *sdklog.LoggerProvider
	logger   log.Logger
}

// The batch processor's bounds: a record waits at most exportInterval
// (short, so that tests and the demo see their lines soon), and the queue
// holds queueSize records; beyond it the SDK drops records, as a real
// service's does (call Flush in between to send a flood whole).
const (
	exportInterval = 100 * time.Millisecond
	queueSize      = 1 << 15
	batchSize      = 4096
)

// New sends to endpointURL, the OTLP/HTTP logs URL
// (http://host:port/insert/opentelemetry/v1/logs for VictoriaLogs), as
// service (the resource's service.name). It does no I/O.
func New(ctx context.Context, endpointURL, service string) (*Logger, error) {
	exp, err := otlploghttp.New(ctx, otlploghttp.WithEndpointURL(endpointURL))
	if err != nil {
		return nil, fmt.Errorf("otlp log exporter for %s: %w", endpointURL, err)
	}
	p := sdklog.NewLoggerProvider(
		sdklog.WithProcessor(sdklog.NewBatchProcessor(exp, sdklog.WithExportInterval(exportInterval),
			sdklog.WithMaxQueueSize(queueSize), sdklog.WithExportMaxBatchSize(batchSize))),
		sdklog.WithResource(resource.NewSchemaless(attribute.String("service.name", service))),
	)
	return &Logger{provider: p, logger: p.Logger("opsdeck/otellogs")}, nil
}

// Emit queues r for sending; a malformed trace or span id is an error,
// and nothing is sent.
func (l *Logger) Emit(ctx context.Context, r Record) error {
	if r.TraceID != "" || r.SpanID != "" {
		sc, err := spanContext(r.TraceID, r.SpanID)
		if err != nil {
			return err
		}
		ctx = trace.ContextWithSpanContext(ctx, sc)
	}
	var rec log.Record
	at := r.Time
	if at.IsZero() {
		at = time.Now()
	}
	rec.SetTimestamp(at)
	rec.SetObservedTimestamp(time.Now())
	rec.SetBody(attribute.StringValue(r.Message))
	if r.Level != "" {
		rec.SetSeverity(severity(r.Level))
		rec.SetSeverityText(strings.ToUpper(r.Level))
	}
	for k, v := range r.Attributes {
		rec.AddAttributes(attribute.String(k, v))
	}
	l.logger.Emit(ctx, rec)
	return nil
}

// Flush sends every queued record now.
func (l *Logger) Flush(ctx context.Context) error { return l.provider.ForceFlush(ctx) }

// Shutdown flushes and stops the SDK.
func (l *Logger) Shutdown(ctx context.Context) error { return l.provider.Shutdown(ctx) }

// spanContext is the sampled span context of the hex ids.
func spanContext(traceID, spanID string) (trace.SpanContext, error) {
	var cfg trace.SpanContextConfig
	t, err := hex.DecodeString(traceID)
	if err != nil || len(t) != len(cfg.TraceID) {
		return trace.SpanContext{}, fmt.Errorf("trace id %q: want 32 hex digits", traceID)
	}
	s, err := hex.DecodeString(spanID)
	if err != nil || len(s) != len(cfg.SpanID) {
		return trace.SpanContext{}, fmt.Errorf("span id %q: want 16 hex digits", spanID)
	}
	copy(cfg.TraceID[:], t)
	copy(cfg.SpanID[:], s)
	cfg.TraceFlags = trace.FlagsSampled
	return trace.NewSpanContext(cfg), nil
}

// severity is the OpenTelemetry severity of a level's name.
func severity(level string) log.Severity {
	switch strings.ToLower(level) {
	case "fatal", "critical":
		return log.SeverityFatal
	case "error":
		return log.SeverityError
	case "warn", "warning":
		return log.SeverityWarn
	case "debug":
		return log.SeverityDebug
	case "trace":
		return log.SeverityTrace
	}
	return log.SeverityInfo
}
