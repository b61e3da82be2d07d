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

// Celery is the Celery section: the workers online and gone, the queues
// waiting and unacknowledged, the task rates and the recent failures with
// their exceptions, as the broker and its events show them.
type Celery struct {
	Reachable bool   `json:"reachable"`
	Target    string `json:"target,omitempty"`
	Error     string `json:"error,omitempty"`
	*sources.CeleryState
	// WindowSeconds is what the task figures cover: as long as opsdeck has
	// listened to the events, up to the console's window.
	WindowSeconds float64 `json:"window_seconds"`
	// Rates are each task's received, succeeded and failed per second over
	// the window.
	Rates           []TaskRate `json:"task_rates"`
	queueThresholds sources.Thresholds
	configured      bool
}

// TaskRate is one task's rates over the window.
type TaskRate struct {
	Name            string  `json:"name"`
	ReceivedPerSec  float64 `json:"received_per_sec"`
	SucceededPerSec float64 `json:"succeeded_per_sec"`
	FailedPerSec    float64 `json:"failed_per_sec"`
}

func celerySource() Source {
	return Source{Name: "celery", Key: "celery", Gate: GateAlways,
		configured: func(env *sources.Environment) bool { return isSet(env.Celery) },
		read:       func(ctx context.Context, r *reading) { r.doc.Celery = readCelery(ctx, r.env) },
		section:    func(d *Document) Section { return d.Celery }}
}

func readCelery(ctx context.Context, env *sources.Environment) Celery {
	out := Celery{Target: env.Celery.Target, queueThresholds: env.QueueThresholds, configured: env.Celery.Source != nil}
	if env.Celery.Source == nil {
		out.Error = notConfigured(cmp.Or(env.Celery.Problem, "no Celery: set celery.broker_url in the config or CELERY_BROKER_URL"))
		return out
	}
	st, err := env.Celery.Source.Poll(ctx, sources.CeleryRequest{})
	if err != nil {
		out.Error = env.Scrubber.Error(err)
		return out
	}
	for i, f := range st.Failures {
		st.Failures[i].Exception, st.Failures[i].Traceback = env.Scrubber.String(f.Exception), env.Scrubber.String(f.Traceback)
		st.Failures[i].Args, st.Failures[i].Kwargs = env.Scrubber.String(f.Args), env.Scrubber.String(f.Kwargs)
	}
	for i, p := range st.Problems {
		st.Problems[i] = env.Scrubber.String(p)
	}
	out.Rates = []TaskRate{}
	for _, t := range st.Tasks {
		out.Rates = append(out.Rates, TaskRate{Name: t.Name, ReceivedPerSec: t.ReceivedPerSec, SucceededPerSec: t.SucceededPerSec, FailedPerSec: t.FailedPerSec})
	}
	out.Reachable, out.CeleryState, out.WindowSeconds = true, &st, st.Window.Seconds()
	return out
}

func (c Celery) Down() string {
	if c.configured && !c.Reachable {
		return c.Error
	}
	return ""
}

// online counts the workers online, and names those gone.
func (c Celery) online() (n int, gone []string) {
	for _, w := range c.Workers {
		if w.Online {
			n++
		} else {
			gone = append(gone, w.Hostname)
		}
	}
	return n, gone
}

// over is the queues at or over their threshold: critical where one is
// set, warning otherwise.
func (c Celery) over() []sources.CeleryQueue {
	var out []sources.CeleryQueue
	for _, q := range c.Queues {
		if s := c.queueThresholds.Classify(float64(q.Waiting)); s == sources.StatusWarn || s == sources.StatusCrit {
			out = append(out, q)
		}
	}
	return out
}

func (c Celery) Text(b *strings.Builder) {
	switch {
	case !c.configured:
		fmt.Fprintf(b, "Celery: not configured (%s)\n", orNone(c.Error))
		return
	case !c.Reachable:
		fmt.Fprintf(b, "Celery: unreachable (%s)\n", c.Error)
		return
	}
	n, gone := c.online()
	fmt.Fprintf(b, "Celery at %s: %d worker(s) online", c.Target, n)
	if len(gone) > 0 {
		fmt.Fprintf(b, ", %d gone (%s)", len(gone), strings.Join(gone, ", "))
	}
	b.WriteString("\n")
	for _, q := range c.Queues {
		fmt.Fprintf(b, "  queue %s: %d waiting, %s unacked\n", q.Name, q.Waiting, unacked(q))
	}
	fmt.Fprintf(b, "  tasks over %s:", units.ShortDuration(c.Window))
	if len(c.Tasks) == 0 {
		b.WriteString(" none seen")
	}
	b.WriteString("\n")
	for _, t := range c.Tasks {
		fmt.Fprintf(b, "    %s: %s received/s, %s failed/s (%d failed)\n", t.Name, units.FormatShort(t.ReceivedPerSec, units.None),
			units.FormatShort(t.FailedPerSec, units.None), t.Failed)
	}
	for _, f := range c.Failures {
		fmt.Fprintf(b, "  failed %s %s on %s at %s: %s\n", f.Name, f.ID, f.Worker, f.At.UTC().Format(time.RFC3339), oneLine(f.Exception))
	}
	for _, p := range c.Problems {
		fmt.Fprintf(b, "  note: %s\n", p)
	}
}

func unacked(q sources.CeleryQueue) string {
	if q.Unacked < 0 {
		return "too many to count"
	}
	return fmt.Sprint(q.Unacked)
}

func (c Celery) Markdown(b *strings.Builder) {
	b.WriteString("## Celery\n\n")
	switch {
	case !c.configured:
		fmt.Fprintf(b, "Not configured: %s\n\n", orNone(c.Error))
		return
	case !c.Reachable:
		fmt.Fprintf(b, "Unreachable: %s\n\n", orNone(c.Error))
		return
	}
	n, gone := c.online()
	fmt.Fprintf(b, "- Broker `%s`: %d worker(s) online", c.Target, n)
	if len(gone) > 0 {
		fmt.Fprintf(b, ", **%d gone**: %s", len(gone), strings.Join(gone, ", "))
	}
	b.WriteString("\n")
	for _, q := range c.Queues {
		fmt.Fprintf(b, "- Queue `%s`: %d waiting, %s unacked\n", q.Name, q.Waiting, unacked(q))
	}
	for _, p := range c.Problems {
		fmt.Fprintf(b, "- Note: %s\n", oneLine(p))
	}
	if len(c.Tasks) > 0 {
		fmt.Fprintf(b, "\nTasks over %s:\n\n| Task | Received/s | Failed/s | Failed | P95 |\n|---|---:|---:|---:|---:|\n", units.ShortDuration(c.Window))
		for _, t := range c.Tasks {
			p95 := "–"
			if t.P95 != nil {
				p95 = units.Format(*t.P95, units.Seconds)
			}
			fmt.Fprintf(b, "| %s | %s | %s | %d | %s |\n", cell(t.Name), units.FormatShort(t.ReceivedPerSec, units.None),
				units.FormatShort(t.FailedPerSec, units.None), t.Failed, p95)
		}
	}
	if len(c.Failures) > 0 {
		b.WriteString("\nRecent failures:\n\n| Time (UTC) | Task | Id | Worker | Exception |\n|---|---|---|---|---|\n")
		for _, f := range c.Failures {
			fmt.Fprintf(b, "| %s | %s | `%s` | %s | %s |\n", f.At.UTC().Format("15:04:05"), cell(f.Name), f.ID, cell(f.Worker), cell(f.Exception))
		}
	}
	b.WriteString("\n")
}

// Cells: workers gone first, then the longest queue (its figure first),
// then the workers online.
func (c Celery) Cells() []Cell {
	switch {
	case !c.configured:
		return []Cell{{Text: "Celery –"}}
	case !c.Reachable:
		return []Cell{{Text: "Celery down", Status: sources.StatusCrit}}
	}
	var out []Cell
	n, gone := c.online()
	if len(gone) > 0 {
		out = append(out, Cell{Text: fmt.Sprintf("%d worker(s) gone", len(gone)), Status: sources.StatusCrit})
	}
	if i := longestQueue(c.Queues); i >= 0 {
		q := c.Queues[i]
		out = append(out, Cell{Text: fmt.Sprintf("%d %s", q.Waiting, q.Name), Status: worst(sources.StatusOK, c.queueThresholds.Classify(float64(q.Waiting)))})
	}
	status := sources.StatusOK
	if n == 0 {
		status = sources.StatusCrit
	}
	return append(out, Cell{Text: fmt.Sprintf("%d worker(s)", n), Status: status})
}

// longestQueue is the index of the queue with the most waiting (-1: none).
func longestQueue(qs []sources.CeleryQueue) int {
	at := -1
	for i, q := range qs {
		if at < 0 || q.Waiting > qs[at].Waiting {
			at = i
		}
	}
	return at
}

// Findings: a broker that cannot be read, a worker gone, no worker at all,
// and a queue at or over its threshold.
func (c Celery) Findings() []Finding {
	switch {
	case !c.configured:
		return nil
	case !c.Reachable:
		return []Finding{{Level: sources.StatusCrit, Text: "Celery's broker at " + c.Target + " cannot be read: " + c.Error}}
	}
	var out []Finding
	n, gone := c.online()
	for _, h := range gone {
		out = append(out, Finding{Level: sources.StatusCrit, Text: "Celery worker " + h + " is gone"})
	}
	if n == 0 && len(gone) == 0 {
		out = append(out, Finding{Level: sources.StatusCrit, Text: "Celery: no worker answers"})
	}
	for _, q := range c.over() {
		lvl := c.queueThresholds.Classify(float64(q.Waiting))
		out = append(out, Finding{Level: lvl, Text: fmt.Sprintf("Celery queue %s: %d waiting, at or over its threshold", q.Name, q.Waiting)})
	}
	return out
}
