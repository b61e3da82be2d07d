package sources

import (
	"cmp"
	"context"
	"slices"
	"time"
)

// MarkKind is what a mark on the charts' time axis records; the strings are
// the snapshot's.
type MarkKind string

const (
	MarkAction    MarkKind = "action"    // the console's own: a migration, reset or command
	MarkAlert     MarkKind = "alert"     // an alert started firing
	MarkResolved  MarkKind = "resolved"  // an alert stopped firing
	MarkRestart   MarkKind = "restart"   // a process started again
	MarkDeploy    MarkKind = "deploy"    // a new build or version
	MarkMigration MarkKind = "migration" // the database's revision moved
	MarkNote      MarkKind = "note"      // a responder's note
	MarkPin       MarkKind = "pin"       // a figure a responder pinned
)

// Mark is one change at one instant: what the charts mark on their time axis
// and the report lists under "What changed".
type Mark struct {
	At   time.Time `json:"at"`
	Kind MarkKind  `json:"kind"`
	Text string    `json:"text"`
	// From and To are a deploy's versions (a revision or a version label),
	// "" when its build series does not say: what a repository's log is
	// asked between.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
}

// Changes reads what changed over a window: alerts starting and resolving,
// restarts and deploys (Prometheus); a source without history has none.
type Changes interface {
	Changes(ctx context.Context, w Window) ([]Mark, error)
}

// Earlier reads a signal's chart over w moved back by offset (a day, a week),
// on w's own grid: the ghost line a chart is compared with. A source without
// history (direct /metrics mode) does not implement it.
type Earlier interface {
	Earlier(ctx context.Context, spec SignalSpec, w Window, offset time.Duration) ([]float64, error)
}

// SortMarks orders marks oldest first and drops repeats (the same change
// seen by two sources, or by two polls).
func SortMarks(marks []Mark) []Mark {
	slices.SortStableFunc(marks, func(a, b Mark) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Text, b.Text))
	})
	return slices.CompactFunc(marks, func(a, b Mark) bool { return a.At.Equal(b.At) && a.Kind == b.Kind && a.Text == b.Text })
}

// MarksIn are the marks in [from, to].
func MarksIn(marks []Mark, from, to time.Time) []Mark {
	var out []Mark
	for _, k := range marks {
		if !k.At.Before(from) && !k.At.After(to) {
			out = append(out, k)
		}
	}
	return out
}
