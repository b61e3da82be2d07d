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
