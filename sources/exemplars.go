package sources

import (
	"context"
	"time"
)

// Exemplar is one request an application singled out on a metric: its
// trace id, what it measured (a latency, a count) and when.
type Exemplar struct {
	At      time.Time `json:"time"`
	Value   float64   `json:"value"`
	TraceID string    `json:"trace_id"`
	// Labels are the series' labels (handler, status…) and the exemplar's
	// own besides its trace id.
	Labels map[string]string `json:"labels,omitempty"`
}

// ExemplarReading is what a source found for a signal over a window: the
// exemplars, largest value first, or in words why there are none.
type ExemplarReading struct {
	Exemplars []Exemplar
	// Diagnosis says why there are none (exemplar storage off, nothing
	// recorded); "" when there are some.
	Diagnosis string
	// Dropped counts the exemplars left out beyond MaxExemplars.
	Dropped int
}

// MaxExemplars bounds a reading: the largest values are kept.
const MaxExemplars = 200

// Exemplars reads the exemplars of a signal's series (Prometheus with
// exemplar storage).
type Exemplars interface {
	Exemplars(ctx context.Context, spec SignalSpec, start, end time.Time) (ExemplarReading, error)
}
