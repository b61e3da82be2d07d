package sources

import (
	"fmt"

	"github.com/opsdeck/opsdeck/internal/promql"
)

// Focus narrows every metric pane to one value of one label (handler="/api/chat"),
// chosen from a breakdown.
type Focus struct {
	Label, Value string
}

// String is the focus as PromQL writes it.
func (f Focus) String() string {
	if f.Label == "" {
		return ""
	}
	return f.Label + "=" + fmt.Sprintf("%q", f.Value)
}

// Focused is spec read for the focus alone: the focus's matcher added to
// every selector of its query and of its split, so that the value and the
// chart's history are the focused value's. A query that cannot be read is
// returned unchanged with the reason.
func Focused(spec SignalSpec, f Focus) (SignalSpec, error) {
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
