package snapshot

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
)

// Metric is one golden signal.
type Metric struct {
	Title string `json:"title"`
	Query string `json:"query"`
	// Value is null when there is none (no series, NaN, or an error).
	Value     *float64 `json:"value"`
	Unit      string   `json:"unit"`
	Status    string   `json:"status"`
	Error     string   `json:"error"`
	Diagnosis string   `json:"diagnosis,omitempty"`
	Series    int      `json:"series"`
	// Notes are the warnings and infos Prometheus attached to its answer.
	Notes []string `json:"notes,omitempty"`
	// Points are the values over the window, for a glance's sparkline.
	Points []float64 `json:"-"`
}

// GlanceSignals is how many points a glance's sparklines have.
const GlanceSignals = 30

func metricsSource() Source {
	return Source{Name: "metrics", Key: "metrics", Gate: GateLive,
		configured: func(env *sources.Environment) bool { return isSet(env.Metrics) },
		read:       readMetrics, section: func(d *Document) Section { return metricsSection{d} }}
}

// readMetrics reads every golden signal side by side. Direct /metrics mode
// computes rates from its own samples: it takes one at once and reads a few
// seconds later, so that there are two, and the snapshot is of that instant.
func readMetrics(ctx context.Context, r *reading) {
	env, d := r.env, r.doc
	d.Prometheus, d.Focus = env.Metrics.Target, env.Narrowing.String()
	var mu sync.Mutex
	var wg sync.WaitGroup
	w := sources.Window{Now: r.now}
	if r.depth == Glance {
		w = sources.WindowFor(r.now, r.window, GlanceSignals)
	}
	for _, spec := range env.Signals {
		wg.Go(func() {
			m := readMetric(ctx, env, spec, w)
			mu.Lock()
			d.Metrics[spec.Key] = m
			mu.Unlock()
		})
	}
	wg.Wait()
	if s, ok := env.Metrics.Source.(serverNamer); ok {
		d.Server = s.ServerName(ctx)
	}
}

// serverNamer is a metrics source that can say which server it reads
// (Prometheus's client: its flavour and version).
type serverNamer interface {
	ServerName(ctx context.Context) string
}

// ReadMetric reads one golden signal at now (zero: the latest) as the
// snapshot reports it: its value, status against its thresholds, or the
// error in words.
func ReadMetric(ctx context.Context, env *sources.Environment, spec sources.SignalSpec, now time.Time) Metric {
	return readMetric(ctx, env, spec, sources.Window{Now: now})
}

func readMetric(ctx context.Context, env *sources.Environment, spec sources.SignalSpec, w sources.Window) Metric {
	m := Metric{Title: spec.Title, Query: spec.Query, Unit: string(spec.Unit)}
	if env.Metrics.Source == nil {
		m.Status, m.Error = string(sources.StatusError), notConfigured(env.Metrics.Problem)
		return m
	}
	r, err := env.Metrics.Source.Read(ctx, spec, w)
	if err != nil {
		m.Status, m.Error = string(sources.StatusError), env.Scrubber.Error(err)
		return m
	}
	m.Series, m.Diagnosis, m.Points = r.Series, env.Scrubber.String(r.Diagnosis), r.Points
	for _, n := range r.Notes {
		m.Notes = append(m.Notes, env.Scrubber.String(n))
	}
	m.Status = string(spec.Thresholds.Classify(r.Value))
	if r.HasValue() && !math.IsInf(r.Value, 0) {
		v := r.Value
		m.Value = &v
	}
	return m
}

// metricsSection is the golden signals' part of a snapshot.
type metricsSection struct{ d *Document }

// keys are the signals in display order.
func (s metricsSection) keys() []string {
	keys := s.d.order
	if len(keys) == 0 {
		for k := range s.d.Metrics {
			keys = append(keys, k)
		}
		sort.Strings(keys)
	}
	return keys
}

func (s metricsSection) Down() string {
	keys := s.keys()
	for _, k := range keys {
		if s.d.Metrics[k].Error == "" {
			return ""
		}
	}
	if len(keys) == 0 {
		return ""
	}
	return s.d.Metrics[keys[0]].Error
}

func (s metricsSection) Text(b *strings.Builder) {
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	var notes []string
	for _, k := range s.keys() {
		m := s.d.Metrics[k]
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", m.Title, m.value(), strings.ToUpper(m.Status))
		if m.Error != "" {
			notes = append(notes, fmt.Sprintf("  %s: %s", m.Title, m.Error))
		} else if m.Diagnosis != "" {
			notes = append(notes, fmt.Sprintf("  %s: %s", m.Title, m.Diagnosis))
		}
	}
	tw.Flush()
	if len(notes) > 0 {
		b.WriteString("\n" + strings.Join(notes, "\n") + "\n")
	}
	b.WriteString("\n")
}

func (m Metric) value() string {
	if m.Value == nil {
		return "–"
	}
	return units.Format(*m.Value, units.Unit(m.Unit))
}

func (s metricsSection) Markdown(b *strings.Builder) {
	b.WriteString("## Golden signals\n\n")
	keys := s.keys()
	if len(keys) == 0 {
		b.WriteString("No metrics configured.\n\n")
		return
	}
	b.WriteString("| Signal | Value | Status |\n|---|---:|---|\n")
	var notes []string
	for _, k := range keys {
		m := s.d.Metrics[k]
		fmt.Fprintf(b, "| %s | %s | %s |\n", cell(m.Title), m.value(), statusBadge(m.Status))
		switch {
		case m.Error != "":
			notes = append(notes, fmt.Sprintf("- **%s**: %s", m.Title, m.Error))
		case m.Diagnosis != "":
			notes = append(notes, fmt.Sprintf("- **%s**: no data: %s", m.Title, m.Diagnosis))
		}
	}
	if len(notes) > 0 {
		b.WriteString("\n" + strings.Join(notes, "\n") + "\n")
	}
	b.WriteString("\n")
}

// shortTitles are the overview's names of the golden signals.
var shortTitles = map[string]string{sources.RPS: "rate", sources.ErrorRate: "errors", sources.P95Latency: "p95", sources.Memory: "mem"}

func (s metricsSection) Cells() []Cell {
	var out []Cell
	for _, k := range s.keys() {
		m := s.d.Metrics[k]
		text := cmp.Or(shortTitles[k], m.Title) + " " + m.value()
		if m.Error != "" && m.Value != nil {
			text = "⚠ " + text
		}
		out = append(out, Cell{Text: text, Status: sources.Status(m.Status)})
	}
	return out
}

// Findings are the gate's signals, the error rate and P95, at or over their
// critical thresholds, or unreadable: a gate that cannot see must not pass.
// No traffic (no value) passes.
func (s metricsSection) Findings() []Finding {
	var out []Finding
	for _, k := range s.keys() {
		if k != sources.ErrorRate && k != sources.P95Latency {
			continue
		}
		m := s.d.Metrics[k]
		switch {
		case m.Error != "":
			out = append(out, Finding{Level: sources.StatusCrit, Text: m.Title + ": cannot be read: " + m.Error})
		case m.Status == string(sources.StatusCrit):
			spec := s.d.specs[k]
			v := math.Inf(1) // the one critical value the snapshot leaves out of JSON
			if m.Value != nil {
				v = *m.Value
			}
			crit := "its critical threshold"
			if spec.Thresholds.Crit != nil {
				crit += " " + units.Format(*spec.Thresholds.Crit, spec.Unit)
			}
			out = append(out, Finding{Level: sources.StatusCrit, Text: fmt.Sprintf("%s is %s, at or over %s", m.Title, units.Format(v, spec.Unit), crit)})
		}
	}
	return out
}
