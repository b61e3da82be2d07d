package snapshot

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
)

// SlowTrace is one traced request: when, how long, where, and its trace.
type SlowTrace struct {
	Time    string  `json:"time"`
	Seconds float64 `json:"seconds"`
	Route   string  `json:"route,omitempty"`
	TraceID string  `json:"trace_id"`
	URL     string  `json:"url,omitempty"`
}

// slowTraces is how many traced requests a snapshot lists.
const slowTraces = 5

// tracesSource is the slowest traced requests: the P95's exemplars, each
// with its trace.
func tracesSource() Source {
	return Source{Name: "traces", Key: "slow_traces", Gate: GateNever,
		// The requests come from the P95's exemplars; their traces open in
		// the trace backend (or the team's trace page).
		configured: func(env *sources.Environment) bool {
			_, ok := env.Metrics.Source.(sources.Exemplars)
			return ok || env.Traces.Source != nil
		},
		read: readSlowTraces, section: func(d *Document) Section { return tracesSection{d} }}
}

// readSlowTraces fills SlowTraces from the P95 signal's exemplars.
func readSlowTraces(ctx context.Context, r *reading) {
	env, d := r.env, r.doc
	src, ok := env.Metrics.Source.(sources.Exemplars)
	var p95 *sources.SignalSpec
	for i := range env.Signals {
		if env.Signals[i].Key == sources.P95Latency {
			p95 = &env.Signals[i]
		}
	}
	switch {
	case !ok:
		d.TracesNote = "no exemplars to read: they are Prometheus's"
		return
	case p95 == nil:
		return
	}
	res, err := src.Exemplars(ctx, *p95, r.now.Add(-r.window), r.now)
	switch {
	case err != nil:
		d.TracesNote = "exemplars: " + env.Scrubber.Error(err)
		return
	case res.Diagnosis != "":
		d.TracesNote = res.Diagnosis
	}
	for _, e := range res.Exemplars {
		if len(d.SlowTraces) == slowTraces || e.TraceID == "" {
			break
		}
		t := SlowTrace{Time: e.At.UTC().Format(time.RFC3339), Seconds: e.Value, Route: cmp.Or(e.Labels["handler"], e.Labels["route"], e.Labels["path"]), TraceID: e.TraceID}
		if env.TraceUI != "" {
			t.URL = env.Scrubber.String(strings.ReplaceAll(env.TraceUI, "{trace_id}", e.TraceID))
		}
		d.SlowTraces = append(d.SlowTraces, t)
	}
}

// tracesSection is the slowest traced requests.
type tracesSection struct{ d *Document }

func (s tracesSection) Down() string {
	if strings.HasPrefix(s.d.TracesNote, "exemplars: ") {
		return s.d.TracesNote
	}
	return ""
}

func (s tracesSection) Text(b *strings.Builder) {
	if len(s.d.SlowTraces) == 0 {
		if s.d.TracesNote != "" {
			fmt.Fprintf(b, "Slowest traced requests: none (%s)\n", oneLine(s.d.TracesNote))
		}
		return
	}
	fmt.Fprintf(b, "Slowest traced requests since %s:\n", s.d.ChangesSince)
	for _, t := range s.d.SlowTraces {
		fmt.Fprintf(b, "  %s %s %s trace %s\n", t.Time, units.Format(t.Seconds, units.Seconds), t.Route, cmp.Or(t.URL, t.TraceID))
	}
}

func (s tracesSection) Markdown(b *strings.Builder) {
	d := s.d
	if len(d.SlowTraces) == 0 && d.TracesNote == "" {
		return
	}
	b.WriteString("## Slowest traced requests\n\n")
	if len(d.SlowTraces) == 0 {
		fmt.Fprintf(b, "None: %s\n\n", oneLine(d.TracesNote))
		return
	}
	b.WriteString("| Time (UTC) | Latency | Route | Trace |\n|---|---:|---|---|\n")
	for _, t := range d.SlowTraces {
		trace := "`" + t.TraceID + "`"
		if t.URL != "" {
			trace = "[" + t.TraceID + "](" + t.URL + ")"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", clock(t.Time, "15:04:05"), units.Format(t.Seconds, units.Seconds), cell(t.Route), trace)
	}
	b.WriteString("\n")
}

// Cells: the slowest request's latency and route.
func (s tracesSection) Cells() []Cell {
	if len(s.d.SlowTraces) == 0 {
		return nil
	}
	t := s.d.SlowTraces[0]
	return []Cell{{Text: "slowest " + units.Format(t.Seconds, units.Seconds) + " " + t.Route, Status: sources.StatusOK}}
}

// Findings: a slow request is the P95's business, judged there.
func (s tracesSection) Findings() []Finding { return nil }
