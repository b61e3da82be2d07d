package snapshot

import (
	"cmp"

	"github.com/opsdeck/opsdeck/internal/safetext"

	"bytes"
	"context"
	"encoding/json"
	"errors"
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

// Document is the snapshot. Its JSON shape is a public interface: fields are
// added, never renamed. Later issues add postgres, redis, migrations and
// schema_drift sections.
type Document struct {
	Environment string `json:"environment"`
	TakenAt     string `json:"taken_at"`
	// Focus is the label value the golden signals were read for, when the
	// console had one (handler="/api/chat").
	Focus       string            `json:"focus,omitempty"`
	Prometheus  string            `json:"prometheus"`
	Metrics     map[string]Metric `json:"metrics"`
	Alerts      []Alert           `json:"alerts"`
	AlertsError string            `json:"alerts_error,omitempty"`
	// AlertsNote says why there are no alerts to read (direct /metrics mode).
	AlertsNote  string      `json:"alerts_note,omitempty"`
	Postgres    Postgres    `json:"postgres"`
	Redis       Redis       `json:"redis"`
	Migrations  Migrations  `json:"migrations"`
	SchemaDrift SchemaDrift `json:"schema_drift"`
	// RecentActions are the environment's last finished actions from the
	// audit log, newest first (absent when the audit log was not read).
	RecentActions []Action `json:"recent_actions,omitempty"`
	// Changes are what changed since ChangesSince, oldest first: alerts,
	// restarts, deploys, migrations and the console's own actions.
	Changes      []Change `json:"changes"`
	ChangesSince string   `json:"changes_since"`
	ChangesError string   `json:"changes_error,omitempty"`
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

	order []string // metric keys in display order
	specs map[string]sources.SignalSpec
}

// Change is one mark of what changed.
type Change struct {
	Time string           `json:"time"`
	Kind sources.MarkKind `json:"kind"`
	Text string           `json:"text"`
}

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

// readSlowTraces fills SlowTraces from the P95 signal's exemplars.
func (d *Document) readSlowTraces(ctx context.Context, env *sources.Environment, from, to time.Time) {
	d.SlowTraces = []SlowTrace{}
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
	r, err := src.Exemplars(ctx, *p95, from, to)
	switch {
	case err != nil:
		d.TracesNote = "exemplars: " + env.Scrubber.Error(err)
		return
	case r.Diagnosis != "":
		d.TracesNote = r.Diagnosis
	}
	for _, e := range r.Exemplars {
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

// setAlerts lists alerts in the document's form.
func (d *Document) setAlerts(alerts []sources.Alert) {
	for _, a := range alerts {
		out := Alert{Name: a.Name, State: a.State, Severity: a.Severity, Summary: a.Summary, Labels: a.Labels,
			SilencedBy: a.SilencedBy, RunbookURL: a.RunbookURL}
		if !a.ActiveAt.IsZero() {
			out.ActiveAt = a.ActiveAt.UTC().Format(time.RFC3339)
		}
		d.Alerts = append(d.Alerts, out)
	}
}

// readSilences lists the silences in force at some point since since.
func (d *Document) readSilences(ctx context.Context, env *sources.Environment, since time.Time) {
	sils, err := env.Alerting.Source.Silences(ctx)
	if err != nil {
		d.SilencesError = env.Scrubber.Error(err)
		return
	}
	d.Silences = []Silence{}
	for _, s := range sils {
		if s.State == "expired" && s.EndsAt.Before(since) {
			continue
		}
		out := Silence{ID: s.ID, State: s.State, StartsAt: s.StartsAt.UTC().Format(time.RFC3339), EndsAt: s.EndsAt.UTC().Format(time.RFC3339),
			CreatedBy: s.CreatedBy, Comment: s.Comment, Matchers: []string{}}
		for _, m := range s.Matchers {
			out.Matchers = append(out.Matchers, m.String())
		}
		d.Silences = append(d.Silences, out)
	}
}

// ChangesWindow is how far back a snapshot looks for changes when the
// console did not say (its chart window).
const ChangesWindow = time.Hour

// setChanges merges marks into Changes, in the window, oldest first.
func (d *Document) setChanges(marks []sources.Mark) {
	since, _ := time.Parse(time.RFC3339Nano, d.ChangesSince)
	taken, _ := time.Parse(time.RFC3339Nano, d.TakenAt)
	all := make([]sources.Mark, 0, len(d.Changes)+len(marks))
	for _, c := range d.Changes {
		at, _ := time.Parse(time.RFC3339Nano, c.Time)
		all = append(all, sources.Mark{At: at, Kind: c.Kind, Text: c.Text})
	}
	all = sources.SortMarks(append(all, sources.MarksIn(marks, since, taken)...))
	d.Changes = make([]Change, len(all))
	for i, m := range all {
		d.Changes[i] = Change{Time: m.At.UTC().Format(time.RFC3339), Kind: m.Kind, Text: safetext.String(m.Text)}
	}
}

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
}

// Alert is a firing or pending alert.
type Alert struct {
	Name string `json:"name"`
	// State is firing or pending (Prometheus), or active, suppressed or
	// unprocessed (Alertmanager).
	State    string            `json:"state"`
	Severity string            `json:"severity"`
	Summary  string            `json:"summary,omitempty"`
	ActiveAt string            `json:"active_at,omitempty"`
	Labels   map[string]string `json:"labels"`
	// SilencedBy are the silences that keep it quiet (Alertmanager).
	SilencedBy []string `json:"silenced_by,omitempty"`
	RunbookURL string   `json:"runbook_url,omitempty"`
}

// Firing reports whether the alert pages: firing, or active in Alertmanager.
func (a Alert) Firing() bool { return a.State == "firing" || a.State == sources.AlertActive }

// Silence is one of Alertmanager's silences.
type Silence struct {
	ID        string   `json:"id"`
	State     string   `json:"state"`
	Matchers  []string `json:"matchers"`
	StartsAt  string   `json:"starts_at"`
	EndsAt    string   `json:"ends_at"`
	CreatedBy string   `json:"created_by"`
	Comment   string   `json:"comment"`
}

// Postgres is the database section. When the server cannot be read only
// reachable, target and error are present.
type Postgres struct {
	Reachable bool   `json:"reachable"`
	Target    string `json:"target,omitempty"`
	Error     string `json:"error,omitempty"`
	*sources.DBState
	BlockedSessions           *int     `json:"blocked_sessions,omitempty"`
	LongestTransactionSeconds *float64 `json:"longest_transaction_seconds,omitempty"`
}

// Redis is the cache and Celery broker section, shaped like Postgres.
type Redis struct {
	Reachable bool   `json:"reachable"`
	Target    string `json:"target,omitempty"`
	Error     string `json:"error,omitempty"`
	*sources.CacheState
}

// Migrations is the Alembic section; error is set when the project could not
// be read (the database side's trouble is database_error).
type Migrations struct {
	Dir   string `json:"dir,omitempty"`
	Error string `json:"error,omitempty"`
	*sources.MigrationState
}

func pollMigrations(ctx context.Context, env *sources.Environment) Migrations {
	out := Migrations{Dir: env.Migrations.Target}
	if env.Migrations.Source == nil {
		out.Error = "no Alembic project: set alembic.dir in the config or ALEMBIC_DIR"
		return out
	}
	st, err := env.Migrations.Source.Poll(ctx)
	if err != nil {
		out.Error = env.Scrubber.Error(err)
		return out
	}
	if st.Pending == nil {
		st.Pending = []sources.Revision{}
	}
	if st.Problems == nil {
		st.Problems = []sources.Problem{}
	}
	out.MigrationState = &st
	return out
}

// SchemaDrift is the live schema against the reference; error alone when
// there is no reference or the comparison failed.
type SchemaDrift struct {
	Reference   string               `json:"reference,omitempty"`
	Differences []sources.Difference `json:"differences,omitempty"`
	Error       string               `json:"error,omitempty"`
}

func compareSchema(ctx context.Context, env *sources.Environment) SchemaDrift {
	if env.Drift.Source == nil {
		return SchemaDrift{Error: "no schema reference: set schema_reference to another environment or a file from `opsdeck schema dump`"}
	}
	d := env.Drift.Source.Compare(ctx, true)
	out := SchemaDrift{Reference: d.Reference, Differences: d.Differences, Error: env.Scrubber.String(d.Error)}
	if out.Error == "" && out.Differences == nil {
		out.Differences = []sources.Difference{}
	}
	return out
}

func pollPostgres(ctx context.Context, env *sources.Environment) Postgres {
	out := Postgres{Target: env.Database.Target}
	if env.Database.Source == nil {
		out.Error = env.Database.Problem
		return out
	}
	st, err := env.Database.Source.Poll(ctx, sources.DBRequest{})
	if err != nil {
		out.Error = env.Scrubber.Error(err)
		return out
	}
	blocked, longest := len(st.Blocked), 0.0
	if t := st.LongestTransaction; t != nil {
		longest = t.XactAge
	}
	out.Reachable, out.DBState, out.BlockedSessions, out.LongestTransactionSeconds = true, &st, &blocked, &longest
	return out
}

func pollRedis(ctx context.Context, env *sources.Environment) Redis {
	out := Redis{Target: env.Cache.Target}
	if env.Cache.Source == nil {
		out.Error = env.Cache.Problem
		return out
	}
	st, err := env.Cache.Source.Poll(ctx)
	if err != nil {
		out.Error = env.Scrubber.Error(err)
		return out
	}
	out.Reachable, out.CacheState = true, &st
	return out
}

// Take polls env's sources once, concurrently. Failures are recorded in the
// document, never returned: a snapshot of a broken environment is the point.
// ReadMetric reads one golden signal at now (zero: the latest) as the
// snapshot reports it: its value, status against its thresholds, or the
// error in words.
func ReadMetric(ctx context.Context, env *sources.Environment, spec sources.SignalSpec, now time.Time) Metric {
	m := Metric{Title: spec.Title, Query: spec.Query, Unit: string(spec.Unit)}
	if env.Metrics.Source == nil {
		m.Status, m.Error = string(sources.StatusError), env.Metrics.Problem
		return m
	}
	r, err := env.Metrics.Source.Read(ctx, spec, sources.Window{Now: now})
	if err != nil {
		m.Status, m.Error = string(sources.StatusError), env.Scrubber.Error(err)
		return m
	}
	m.Series, m.Diagnosis = r.Series, env.Scrubber.String(r.Diagnosis)
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

func Take(ctx context.Context, env *sources.Environment, now time.Time) *Document {
	d := &Document{
		Environment: env.Name,
		// Millisecond precision: the instant Prometheus evaluated the queries at.
		TakenAt:    now.UTC().Truncate(time.Millisecond).Format("2006-01-02T15:04:05.000Z07:00"),
		Prometheus: env.Metrics.Target,
		Focus:      env.Focus.String(),
		Metrics:    map[string]Metric{},
		Alerts:     []Alert{},
		specs:      map[string]sources.SignalSpec{},
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	wg.Go(func() { d.Postgres = pollPostgres(ctx, env) })
	wg.Go(func() { d.Redis = pollRedis(ctx, env) })
	wg.Go(func() { d.Migrations = pollMigrations(ctx, env) })
	wg.Go(func() { d.SchemaDrift = compareSchema(ctx, env) })
	// Direct /metrics mode computes rates from its own samples: take one now
	// and read after a few seconds, so that there are two.
	if sources.Warm(ctx, env.Metrics.Source) {
		now = now.Add(sources.SampleGap)
		d.TakenAt = now.UTC().Truncate(time.Millisecond).Format("2006-01-02T15:04:05.000Z07:00")
	}
	for _, spec := range env.Signals {
		d.order = append(d.order, spec.Key)
		d.specs[spec.Key] = spec
		if env.Metrics.Source == nil {
			d.Metrics[spec.Key] = ReadMetric(ctx, env, spec, now)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := ReadMetric(ctx, env, spec, now)
			mu.Lock()
			d.Metrics[spec.Key] = m
			mu.Unlock()
		}()
	}
	window := cmp.Or(env.MarksWindow, ChangesWindow)
	d.ChangesSince, d.Changes = now.Add(-window).UTC().Format(time.RFC3339), []Change{}
	wg.Go(func() { d.readSlowTraces(ctx, env, now.Add(-window), now) })
	switch src, ok := env.Metrics.Source.(sources.Changes); {
	case env.Marks != nil:
		d.setChanges(env.Marks) // what the console showed
	case ok:
		wg.Go(func() {
			// Up to the instant itself, not the last whole step: a change of
			// the last seconds is in the report.
			w := sources.Window{Now: now, End: now, Length: window, Step: max(window/240, time.Second)}
			marks, err := src.Changes(ctx, w)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				d.ChangesError = env.Scrubber.Error(err)
			}
			d.setChanges(marks)
		})
	}
	if env.Alerting.Source != nil {
		d.Alertmanager = env.Alerting.Source.String()
		wg.Go(func() { d.readSilences(ctx, env, now.Add(-window)) })
		gs, err := env.Alerting.Source.Groups(ctx)
		if err != nil {
			d.AlertsError = env.Scrubber.Error(err)
		}
		d.setAlerts(sources.Flatten(gs))
	} else if env.Metrics.Source != nil {
		alerts, err := env.Metrics.Source.Alerts(ctx)
		switch {
		case errors.Is(err, sources.ErrNoAlerting):
			d.AlertsNote = err.Error()
		case err != nil:
			d.AlertsError = env.Scrubber.Error(err)
		}
		d.setAlerts(alerts)
	} else {
		d.AlertsError = env.Metrics.Problem
	}
	wg.Wait()
	// Text reports are read in terminals: what the sources said is made
	// safe once, here, for every format.
	safetext.Value(d)
	return d
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

// Text renders a human summary.
func (d *Document) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "opsdeck snapshot of %s at %s", d.Environment, d.TakenAt)
	if d.Prometheus != "" {
		fmt.Fprintf(&b, " (prometheus %s)", d.Prometheus)
	}
	if d.Focus != "" {
		fmt.Fprintf(&b, ", focused on %s", d.Focus)
	}
	b.WriteString("\n\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	keys := d.order
	if len(keys) == 0 {
		for k := range d.Metrics {
			keys = append(keys, k)
		}
		sort.Strings(keys)
	}
	var notes []string
	for _, k := range keys {
		m := d.Metrics[k]
		value := "–"
		if m.Value != nil {
			value = units.Format(*m.Value, units.Unit(m.Unit))
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", m.Title, value, strings.ToUpper(m.Status))
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
	firing := 0
	for _, a := range d.Alerts {
		if a.Firing() {
			firing++
		}
	}
	switch {
	case d.AlertsError != "":
		fmt.Fprintf(&b, "Alerts: unknown (%s)\n", d.AlertsError)
	case d.AlertsNote != "":
		fmt.Fprintf(&b, "Alerts: none to read (%s)\n", d.AlertsNote)
	case len(d.Alerts) == 0:
		b.WriteString("Alerts: none firing\n")
	default:
		quiet := "pending"
		if d.Alertmanager != "" {
			quiet = "silenced or not yet processed"
		}
		fmt.Fprintf(&b, "Alerts: %d firing, %d %s\n", firing, len(d.Alerts)-firing, quiet)
		for _, a := range d.Alerts {
			fmt.Fprintf(&b, "  %-7s %s (%s) %s\n", a.State, a.Name, a.Severity, a.Summary)
		}
	}
	switch {
	case d.SilencesError != "":
		fmt.Fprintf(&b, "Silences: unknown (%s)\n", d.SilencesError)
	case len(d.Silences) > 0:
		fmt.Fprintf(&b, "Silences since %s: %d\n", d.ChangesSince, len(d.Silences))
		for _, s := range d.Silences {
			fmt.Fprintf(&b, "  %-7s until %s by %s: %s (%s)\n", s.State, s.EndsAt, s.CreatedBy, strings.Join(s.Matchers, ", "), s.Comment)
		}
	}
	if d.ChangesError != "" {
		fmt.Fprintf(&b, "Changes: not all read (%s)\n", d.ChangesError)
	}
	if len(d.Changes) > 0 {
		fmt.Fprintf(&b, "Changes since %s: %d\n", d.ChangesSince, len(d.Changes))
		for _, c := range d.Changes {
			fmt.Fprintf(&b, "  %s %-9s %s\n", c.Time, c.Kind, c.Text)
		}
	}
	b.WriteString("\n" + d.Postgres.text() + "\n" + d.Redis.text() + "\n" + d.Migrations.text() + "\n" + d.SchemaDrift.text())
	return b.String()
}

func (p Postgres) text() string {
	var b strings.Builder
	if !p.Reachable {
		fmt.Fprintf(&b, "Postgres: unreachable (%s)\n", p.Error)
		return b.String()
	}
	st := p.DBState
	c := st.Connections
	fmt.Fprintf(&b, "Postgres %s %s at %s: %d/%d connections (%d active, %d idle, %d idle in transaction), %d blocked, size %s\n",
		st.Version, st.Role, p.Target, c.Total, c.Max, c.Active, c.Idle, c.IdleInTransaction, len(st.Blocked), units.Format(float64(st.DatabaseSize), units.Bytes))
	if t := st.LongestTransaction; t != nil {
		fmt.Fprintf(&b, "  longest transaction: %s, pid %d %s (%s): %s\n", units.Span(units.FromSeconds(t.XactAge)), t.PID, t.User, t.State, strings.Join(strings.Fields(t.Query), " "))
	}
	for _, bl := range st.Blocked {
		fmt.Fprintf(&b, "  blocked: pid %d by %v: %s\n", bl.PID, bl.BlockedBy, strings.Join(strings.Fields(bl.Query), " "))
	}
	for _, d := range details(st) {
		b.WriteString("  " + d + "\n")
	}
	return b.String()
}

// details are the Postgres findings both the text and the Markdown list:
// missing extensions, replication, pgbouncer trouble and what the role cannot see.
func details(st *sources.DBState) []string {
	var out []string
	for _, m := range st.MissingExtensions {
		out = append(out, "missing extension: "+m)
	}
	for _, r := range st.Replication.Replicas {
		out = append(out, fmt.Sprintf("replica %s (%s): %s", r.Name, r.Client, r.State))
	}
	if u := st.Replication.Upstream; u != nil {
		out = append(out, fmt.Sprintf("replica of %s: %s", u.Sender, u.Status))
	}
	if bo := st.Pgbouncer; bo != nil && bo.Error != "" {
		out = append(out, "pgbouncer: "+bo.Error)
	}
	for _, h := range st.Hidden {
		out = append(out, "note: "+h)
	}
	return out
}

func (r Redis) text() string {
	var b strings.Builder
	if !r.Reachable {
		fmt.Fprintf(&b, "Redis: unreachable (%s)\n", r.Error)
		return b.String()
	}
	st := r.CacheState
	fmt.Fprintf(&b, "Redis %s %s at %s: %s used, %d clients, %s ops/s\n", st.Version, st.Role, r.Target,
		units.Format(float64(st.UsedMemory), units.Bytes), st.ConnectedClients, units.FormatShort(st.OpsPerSec, units.None))
	for _, q := range st.Queues {
		if q.Error != "" {
			fmt.Fprintf(&b, "  queue %s: %s\n", q.Name, q.Error)
		} else {
			fmt.Fprintf(&b, "  queue %s: %d waiting\n", q.Name, q.Length)
		}
	}
	for _, k := range st.Keyspace {
		fmt.Fprintf(&b, "  db%d: %d keys, %d expiring\n", k.DB, k.Keys, k.Expires)
	}
	return b.String()
}

func (m Migrations) text() string {
	var b strings.Builder
	if m.MigrationState == nil {
		fmt.Fprintf(&b, "Migrations: unknown (%s)\n", m.Error)
		return b.String()
	}
	st := m.MigrationState
	fmt.Fprintf(&b, "Migrations: %s (database at %s; heads %s; %d revisions)\n", st.Status, strings.Join(st.Current, ", "), strings.Join(st.Heads, ", "), st.Revisions)
	for _, r := range st.Pending {
		fmt.Fprintf(&b, "  pending %s %s\n", r.ID, r.Message)
	}
	if st.DatabaseError != "" {
		fmt.Fprintf(&b, "  database: %s\n", st.DatabaseError)
	}
	for _, p := range st.Problems {
		fmt.Fprintf(&b, "  %s: %s\n", p.Severity, p.Message)
	}
	return b.String()
}

func (s SchemaDrift) text() string {
	var b strings.Builder
	switch {
	case s.Error != "":
		fmt.Fprintf(&b, "Schema: not compared (%s)\n", s.Error)
	case len(s.Differences) == 0:
		fmt.Fprintf(&b, "Schema: equal to %s\n", s.Reference)
	default:
		fmt.Fprintf(&b, "Schema: %d difference(s) from %s\n", len(s.Differences), s.Reference)
		for _, d := range s.Differences {
			fmt.Fprintf(&b, "  %s\n", d.Detail)
		}
	}
	return b.String()
}
