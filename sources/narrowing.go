package sources

import (
	"fmt"

	"github.com/opsdeck/opsdeck/internal/promql"
)

// Narrowing is one value of one label (handler="/api/chat"), chosen from a
// breakdown, that every metric pane then reads alone. (The focused pane is
// another thing: the one the keys act on.)
type Narrowing struct {
	Label, Value string
}

// String is the narrowing as PromQL writes it.
func (f Narrowing) String() string {
	if f.Label == "" {
		return ""
	}
	return f.Label + "=" + fmt.Sprintf("%q", f.Value)
}

// Narrowed is spec read for the one value alone: its matcher added to
// every selector of its query and of its split, so that the value and the
// chart's history are that value's. A query that cannot be read is
// returned unchanged with the reason.
func Narrowed(spec SignalSpec, f Narrowing) (SignalSpec, error) {
	if f.Label == "" {
		return spec, nil
	}
	m := promql.Matcher{Name: f.Label, Op: "=", Value: f.Value}
	q, err := promql.AddMatcher(spec.Query, m)
	if err != nil {
		return spec, fmt.Errorf("%s cannot be focused: %w", spec.Title, err)
	}
	out := spec
	out.Query = q
	if spec.Split != "" {
		if out.Split, err = promql.AddMatcher(spec.Split, m); err != nil {
			out.Split = "" // split by summing the focused query instead
		}
	}
	if spec.Rank != "" {
		if out.Rank, err = promql.AddMatcher(spec.Rank, m); err != nil || out.Split == "" {
			out.Rank = "" // rank with the split
		}
	}
	return out, nil
}
