package snapshot

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/opsdeck/opsdeck/internal/safetext"
	"github.com/opsdeck/opsdeck/sources"
)

// Document is the snapshot. Its JSON shape is a public interface: fields are
// added, never renamed. Each source's section is declared with the source
// (Sources).
type Document struct {
	Environment string `json:"environment"`
	TakenAt     string `json:"taken_at"`
	// Focus is the label value the golden signals were read for, when the
	// console had one (handler="/api/chat").
	Focus      string `json:"focus,omitempty"`
	Prometheus string `json:"prometheus"`
	// Server is which Prometheus-compatible server answered, and its
	// version where it says one ("VictoriaMetrics", "Prometheus 3.16.0").
	Server      string            `json:"server,omitempty"`
	Metrics     map[string]Metric `json:"metrics"`
	Alerts      []Alert           `json:"alerts"`
	AlertsError string            `json:"alerts_error,omitempty"`
	// AlertsNote says why there are no alerts to read (direct /metrics mode).
	AlertsNote  string      `json:"alerts_note,omitempty"`
	Postgres    Postgres    `json:"postgres"`
	Redis       Redis       `json:"redis"`
	Celery      Celery      `json:"celery"`
	Migrations  Migrations  `json:"migrations"`
	SchemaDrift SchemaDrift `json:"schema_drift"`
	// RecentActions are the environment's last finished actions from the
	// audit log, newest first (absent when the audit log was not read).
	RecentActions []Action `json:"recent_actions,omitempty"`
	// Changes are what changed since ChangesSince, oldest first: alerts,
	// restarts, deploys, migrations and the console's own actions.
	Changes      []Change `json:"changes"`
	ChangesSince string   `json:"changes_since"`
	// Deploys are what the deploys among Changes brought, from the
	// repository (deploys.repo).
	Deploys      []sources.DeployChange `json:"deploys,omitempty"`
	ChangesError string                 `json:"changes_error,omitempty"`
	// SlowTraces are the slowest traced requests (the P95's exemplars) since
	// ChangesSince, slowest first; TracesNote says why there are none.
	SlowTraces []SlowTrace `json:"slow_traces"`
	TracesNote string      `json:"traces_note,omitempty"`
	// Alertmanager is the server the alerts and silences came from ("" when
	// the alerts are Prometheus's). Silences are those in force at some
	// point since ChangesSince: active, pending, or ended since then.
	Alertmanager  string    `json:"alertmanager,omitempty"`
	Silences      []Silence `json:"silences,omitempty"`
	SilencesError string    `json:"silences_error,omitempty"`
	// Logs is the log backend's section (absent when there is none).
	Logs *Logs `json:"logs,omitempty"`
	// SLOs are the service level objectives and how fast each burns.
	SLOs SLOs `json:"slos"`

	order []string // metric keys in display order
	specs map[string]sources.SignalSpec
	read  []string // the sources read, by name
}

// Take polls every source of env once. Failures are recorded in the
// document, never returned: a snapshot of a broken environment is the point.
func Take(ctx context.Context, env *sources.Environment, now time.Time) *Document {
	return TakeWith(ctx, env, now, Options{})
}

// TakeWith polls the sources o names (all when none) once, concurrently,
// each bounded by its own timeout.
func TakeWith(ctx context.Context, env *sources.Environment, now time.Time, o Options) *Document {
	d := &Document{Environment: env.Name, Metrics: map[string]Metric{}, Alerts: []Alert{}, Changes: []Change{},
		SlowTraces: []SlowTrace{}, specs: map[string]sources.SignalSpec{}}
	want := func(name string) bool { return len(o.Only) == 0 || slices.Contains(o.Only, name) }
	// Direct /metrics mode computes rates from its own samples: take one now
	// and read after a few seconds, so that there are two; the snapshot is
	// of that instant.
	// A zero now asks for the latest values, and stays zero.
	if want("metrics") && sources.Warm(ctx, env.Metrics.Source) && !now.IsZero() {
		now = now.Add(sources.SampleGap)
	}
	// Millisecond precision: the instant Prometheus evaluated the queries at.
	d.TakenAt = now.UTC().Truncate(time.Millisecond).Format("2006-01-02T15:04:05.000Z07:00")
	window := cmp.Or(o.Window, env.MarksWindow, ChangesWindow)
	d.ChangesSince = now.Add(-window).UTC().Format(time.RFC3339)
	for _, spec := range env.Signals {
		d.order = append(d.order, spec.Key)
		d.specs[spec.Key] = spec
	}
	var mu sync.Mutex
	r := &reading{env: env, doc: d, now: now, window: window, depth: o.Depth,
		lock: func() func() { mu.Lock(); return mu.Unlock }}
	var wg sync.WaitGroup
	for _, s := range Sources() {
		if !want(s.Name) {
			continue
		}
		d.read = append(d.read, s.Name)
		wg.Go(func() { s.read(ctx, r) })
	}
	wg.Wait()
	// Text reports are read in terminals: what the sources said is made
	// safe once, here, for every format.
	safetext.Value(d)
	return d
}

// Sections are the document's sections of the sources it read, in the
// readers' order.
func (d *Document) Sections() []Section {
	var out []Section
	for _, s := range Sources() {
		if d.read == nil || slices.Contains(d.read, s.Name) {
			out = append(out, s.section(d))
		}
	}
	return out
}

// JSON renders the documented JSON form.
func (d *Document) JSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		// A figure JSON cannot hold (Redis said inf, a save time in year
		// 3170843): written as null with the reason, the rest stands.
		return encodeSafe(d)
	}
	return buf.Bytes(), nil
}

// Text renders a human summary: a head line, then every source's section.
func (d *Document) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "opsdeck snapshot of %s at %s", d.Environment, d.TakenAt)
	if d.Prometheus != "" {
		fmt.Fprintf(&b, " (prometheus %s", d.Prometheus)
		if d.Server != "" {
			b.WriteString(", " + d.Server)
		}
		b.WriteString(")")
	}
	if d.Focus != "" {
		fmt.Fprintf(&b, ", focused on %s", d.Focus)
	}
	b.WriteString("\n\n")
	for _, s := range d.Sections() {
		n := b.Len()
		s.Text(&b)
		if b.Len() > n && !strings.HasSuffix(b.String(), "\n\n") {
			b.WriteString("\n")
		}
	}
	return b.String()
}

// Findings are what every section read judges wrong, in the readers' order.
func (d *Document) Findings() []Finding {
	var out []Finding
	for _, s := range d.Sections() {
		out = append(out, s.Findings()...)
	}
	return out
}

// Read names the sources the document read, in the readers' order.
func (d *Document) Read() []string { return d.read }

// Level is how bad the environment is: the worst of every section's cells.
// A signal that cannot be read warns (an unknown signal is not an outage in
// itself); a source that cannot be reached is critical.
func (d *Document) Level() sources.Status {
	level := sources.StatusOK
	for _, s := range d.Sections() {
		for _, c := range s.Cells() {
			if c.Status == sources.StatusError {
				c.Status = sources.StatusWarn
			}
			level = worst(level, c.Status)
		}
	}
	return level
}

// Glance is the document in one line, as the overview shows it: the
// environment, how bad it is, and every section's cells.
func (d *Document) Glance() string {
	var cells []string
	for _, s := range d.Sections() {
		for _, c := range s.Cells() {
			cells = append(cells, c.Text)
		}
	}
	return fmt.Sprintf("%s [%s] %s", d.Environment, strings.ToUpper(string(d.Level())), strings.Join(cells, " · "))
}
