package originapi

import (
	"context"
	"fmt"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/otellogs"
)

// LogSink takes the API's log records. The demo's sends them through the
// OpenTelemetry SDK (ExportLogs); tests may give their own (SetLogSink).
type LogSink interface {
	Emit(ctx context.Context, r otellogs.Record) error
}

// SetLogSink sends the API's log lines to sink from now on.
func (a *API) SetLogSink(sink LogSink) {
	a.mu.Lock()
	a.logs = sink
	a.mu.Unlock()
}

// ExportLogs sends the API's log lines over OTLP/HTTP to endpointURL (a
// VictoriaLogs's /insert/opentelemetry/v1/logs) as ServiceName, until ctx
// ends.
func (a *API) ExportLogs(ctx context.Context, endpointURL string) error {
	l, err := otellogs.New(ctx, endpointURL, ServiceName)
	if err != nil {
		return err
	}
	context.AfterFunc(ctx, func() {
		stop, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		l.Shutdown(stop)
	})
	a.SetLogSink(l)
	return nil
}

// logRequest writes what a Python API writes of a request: an access line
// for a traced request, and for a failed or slow one the line that explains
// it (a traceback, a wait for the pool). Every line carries its request's trace
// id: the sampled one of its trace when it was traced, else one of its own
// (a real tracer gives every request one and samples few).
func (a *API) logRequest(traceID, handler, method string, code int, lat time.Duration, end time.Time) {
	a.mu.Lock()
	sink := a.logs
	if sink != nil && traceID == "" && (code >= 500 || lat > slowRequest) {
		a.logged++
		traceID = fmt.Sprintf("%016x%016x", 0x0d5dec0000000000|a.logged, uint64(end.UnixNano()))
	}
	a.mu.Unlock()
	if sink == nil || traceID == "" {
		return
	}
	ctx := context.Background()
	attrs := map[string]string{"http.route": handler, "http.request.method": method, "http.response.status_code": fmt.Sprint(code)}
	emit := func(level, msg string, extra map[string]string) {
		r := otellogs.Record{Time: end, Level: level, Message: msg, TraceID: traceID, SpanID: spanID(traceID, 0), Attributes: map[string]string{}}
		for k, v := range attrs {
			r.Attributes[k] = v
		}
		for k, v := range extra {
			r.Attributes[k] = v
		}
		sink.Emit(ctx, r)
	}
	switch {
	case code == 500:
		emit("error", fmt.Sprintf(providerTraceback, method, handler), map[string]string{"exception.type": "origin.llm.errors.ProviderError", "logger": "origin.api.errors"})
	case code == 502:
		emit("error", "upstream connect error: connection refused by the LLM provider after 3 attempts", map[string]string{"logger": "origin.llm.client"})
	case lat > poolWaitWarned:
		// It got its connection in the end (the request succeeded): a
		// warning, not an error; the error-rate spike has the errors.
		emit("warn", fmt.Sprintf("database pool exhausted: waited %.1f s for a connection (QueuePool limit of size 5 overflow 10 reached)", (lat*3/4).Seconds()),
			map[string]string{"logger": "origin.db"})
	case lat > slowRequest:
		emit("warn", fmt.Sprintf("slow request: %s %s took %.1f s", method, handler, lat.Seconds()), map[string]string{"logger": "origin.api.timing"})
	}
	emit("info", fmt.Sprintf("%s %s %d %.0f ms", method, handler, code, float64(lat)/float64(time.Millisecond)), map[string]string{"logger": "uvicorn.access"})
}

// A request slower than slowRequest is logged as slow; one slower than
// poolWaitWarned spent most of it waiting for a database connection.
const (
	slowRequest    = 2 * time.Second
	poolWaitWarned = 4 * time.Second
)

// providerTraceback is what Python's logging writes of the LLM provider's
// failure in a request (its method and route): the message, then the
// traceback.
const providerTraceback = `Unhandled exception in %s %s: upstream returned 503
Traceback (most recent call last):
  File "/app/origin/api/chat.py", line 88, in create_message
    reply = await llm.complete(prompt, timeout=30)
  File "/app/origin/llm/openai.py", line 142, in complete
    raise ProviderError(f"upstream returned {resp.status}")
origin.llm.errors.ProviderError: upstream returned 503`

// BackfillLogs writes the log lines of in's past over [from, to) to sink,
// simulated on the same schedule as its metrics' backfill, so that the
// history's error bursts line up with its error-rate spikes. It flushes
// every flushEvery lines: the SDK's queue drops what overflows it.
func BackfillLogs(ctx context.Context, sink interface {
	LogSink
	Flush(context.Context) error
}, in Instance, from, to time.Time) error {
	api := New()
	counted := &flushing{sink: sink, ctx: ctx}
	api.SetLogSink(counted)
	sim := NewSimulator(api, in.Sched, in.Seed)
	step := 100 * time.Millisecond
	for now := from; now.Before(to); now = now.Add(step) {
		if err := ctx.Err(); err != nil {
			return err
		}
		sim.Step(now, step)
		if counted.err != nil {
			return counted.err
		}
	}
	return sink.Flush(ctx)
}

// flushEvery is below the SDK's default queue of 2,048 records.
const flushEvery = 1000

type flushing struct {
	sink interface {
		LogSink
		Flush(context.Context) error
	}
	ctx context.Context
	n   int
	err error
}

func (f *flushing) Emit(ctx context.Context, r otellogs.Record) error {
	if err := f.sink.Emit(ctx, r); err != nil {
		return err
	}
	if f.n++; f.n%flushEvery == 0 && f.err == nil {
		f.err = f.sink.Flush(f.ctx)
	}
	return nil
}
