package sources

import (
	"context"
	"time"
)

// Span is one operation of a trace.
type Span struct {
	ID, Parent string // Parent is "" for a root
	Service    string
	Operation  string
	Start      time.Time
	Duration   time.Duration
	Error      bool
	// Attributes are the span's tags (db.statement, http.route…).
	Attributes map[string]string
	// Depth is how many ancestors the span has in the trace.
	Depth int
}

// Trace is a request's spans, each parent before its children (in start
// order among siblings).
type Trace struct {
	ID    string
	Spans []Span
	// Dropped counts the spans left out beyond MaxSpans.
	Dropped int
}

// MaxSpans bounds a trace read: the first spans in tree order are kept.
const MaxSpans = 5000

// Traces reads traces from a tracing backend (Jaeger).
type Traces interface {
	Trace(ctx context.Context, id string) (Trace, error)
}

// TraceSearch finds traces of a service over a time range (Jaeger's search):
// the list of traced requests when a signal has no exemplars.
type TraceSearch interface {
	// Search returns the service's traces in [from, to] as exemplars: the
	// root span's start, its duration in seconds, route and an "error"
	// status when a span failed; slowest first, at most limit.
	Search(ctx context.Context, service string, from, to time.Time, limit int) ([]Exemplar, error)
}
