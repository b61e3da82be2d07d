package sources

import (
	"context"
	"time"
)

// LogLine is one log record as the console shows it.
type LogLine struct {
	Time    time.Time
	Level   string // lower case: error, warn, info, debug; "" when the record has none
	Message string
	// TraceID and SpanID join the line to its trace ("" when it has none).
	TraceID, SpanID string
	// Stream names where the line came from (service.name and the like).
	Stream string
	// Fields are every other field of the record, for the expanded line.
	Fields map[string]string
}

// LogQuery asks for the lines of [Start, End] that match Filter (the
// backend's own query language; "" is every line of the configured stream),
// at most Limit of them, the newest kept.
type LogQuery struct {
	Filter     string
	Start, End time.Time
	Limit      int
	// MinLevel keeps the lines at that level or worse ("error": error and
	// fatal); "" keeps every line, with a level or without.
	MinLevel string
}

// LogVolume is the count of lines by level in one step of a range.
type LogVolume struct {
	Time    time.Time
	ByLevel map[string]int
}

// LogPattern is a group of error lines whose messages differ only in their
// variable parts (numbers, ids, quoted values): how many, and one example.
type LogPattern struct {
	Pattern string
	Count   int
	Example LogLine
}

// Logs reads a log backend (VictoriaLogs). A LogQL (Loki) client would
// implement the same three reads.
type Logs interface {
	// Lines returns the matching lines, oldest first.
	Lines(ctx context.Context, q LogQuery) ([]LogLine, error)
	// Volume counts the matching lines by level, one entry per step.
	Volume(ctx context.Context, q LogQuery, step time.Duration) ([]LogVolume, error)
	// Tail sends new matching lines to lines until ctx ends or the stream
	// fails; it returns why it stopped.
	Tail(ctx context.Context, filter string, lines chan<- LogLine) error
}
