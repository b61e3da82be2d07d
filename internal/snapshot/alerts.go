package snapshot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/alerthistory"
)

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
	// History is how often and how long it fired (Prometheus's ALERTS),
	// nil when it was not read (a glance, no Prometheus).
	History *AlertHistory `json:"history,omitempty"`
}

// AlertHistory is one alert's firings over the last 24 hours and 7 days.
type AlertHistory struct {
	Fired24h         int     `json:"fired_24h"`
	Fired7d          int     `json:"fired_7d"`
	FiringSeconds24h float64 `json:"firing_seconds_24h"`
	FiringSeconds7d  float64 `json:"firing_seconds_7d"`
	// MedianSeconds is the median firing's length over 7 days.
	MedianSeconds float64 `json:"median_seconds"`
	LastResolved  string  `json:"last_resolved,omitempty"`
	// Flapping: it fired sources.FlapFirings times or more in 24 h.
	Flapping bool `json:"flapping"`
	// Line is the history in words: "fired 14 times in 7 days, median 4m".
	Line string `json:"line"`
	// Note says why there is no history ("" when there is).
	Note string `json:"note,omitempty"`
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

// alertsSource reads the alerts from Alertmanager where there is one, from
// Prometheus otherwise.
func alertsSource() Source {
	return Source{Name: "alerts", Key: "alerts", Gate: GateNever,
		configured: func(env *sources.Environment) bool { return isSet(env.Alerting) || isSet(env.Metrics) },
		read:       readAlerts, section: func(d *Document) Section { return alertsSection{d} }}
}

func readAlerts(ctx context.Context, r *reading) {
	env, d := r.env, r.doc
	var read []sources.Alert
	defer func() {
		if r.depth == Full {
			d.readHistory(ctx, env, read, r.now)
		}
	}()
	switch {
	case env.Alerting.Source != nil:
		d.Alertmanager = cmp.Or(env.Alerting.Target, env.Alerting.Source.String())
		if r.depth == Full {
			d.readSilences(ctx, env, r.now.Add(-r.window))
		}
		gs, err := env.Alerting.Source.Groups(ctx)
		if err != nil {
			d.AlertsError = env.Scrubber.Error(err)
		}
		read = sources.Flatten(gs)
		d.setAlerts(read)
	case env.Metrics.Source != nil:
		alerts, err := env.Metrics.Source.Alerts(ctx)
		switch {
		case errors.Is(err, sources.ErrNoAlerting):
			d.AlertsNote = err.Error()
		case err != nil:
			d.AlertsError = env.Scrubber.Error(err)
		}
		read = alerts
		d.setAlerts(alerts)
	default:
		d.AlertsError = notConfigured(env.Metrics.Problem)
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

// readHistory adds each alert's history, in one query for all of them
// (alerthistory), when the environment's Prometheus keeps one.
func (d *Document) readHistory(ctx context.Context, env *sources.Environment, alerts []sources.Alert, now time.Time) {
	if now.IsZero() { // the latest values asked for
		now = time.Now()
	}
	hist := alerthistory.For(env.Metrics.Source, alerthistory.Options{Now: func() time.Time { return now }})
	if hist == nil || len(alerts) == 0 || len(alerts) != len(d.Alerts) {
		return
	}
	h, err := hist.Read(ctx, alerts)
	note := h.Note
	if err != nil {
		note = "not read: " + env.Scrubber.Error(err)
	}
	for i, a := range alerts {
		out := &AlertHistory{Note: note}
		if ah, ok := h.For(a); ok && note == "" {
			out = historyOf(ah, now)
		} else if note == "" {
			out.Line = "no firing in Prometheus's ALERTS over " + sources.SpanWords(sources.HistoryWeek)
		}
		d.Alerts[i].History = out
	}
}

// historyOf is h as the snapshot holds it.
func historyOf(h sources.AlertHistory, now time.Time) *AlertHistory {
	day, week := h.Stats(now, sources.HistoryDay), h.Stats(now, sources.HistoryWeek)
	out := &AlertHistory{Fired24h: day.Count, Fired7d: week.Count, FiringSeconds24h: day.Total.Seconds(), FiringSeconds7d: week.Total.Seconds(),
		MedianSeconds: week.Median.Seconds(), Flapping: h.Flapping(now), Line: h.Line(now, sources.HistoryWeek)}
	if at, ok := h.LastResolved(); ok {
		out.LastResolved = at.UTC().Format(time.RFC3339)
	}
	return out
}

// historyWords are an alert's history in the report's words: "fired 14
// times in 7 days, median 4m, 1h in all; 5 times in 24 h, flapping; last
// resolved 2026-11-30T12:36:00Z".
func (h *AlertHistory) words() string {
	if h.Note != "" {
		return "history " + oneLine(h.Note)
	}
	s := h.Line
	if h.Fired7d > 0 {
		s += fmt.Sprintf("; %s in 24 h", times(h.Fired24h))
	}
	if h.Flapping {
		s += fmt.Sprintf(", flapping (%d or more firings in 24 h)", sources.FlapFirings)
	}
	if h.LastResolved != "" {
		s += "; last resolved " + h.LastResolved
	}
	return s
}

// times is "once", "5 times".
func times(n int) string {
	if n == 1 {
		return "once"
	}
	return fmt.Sprintf("%d times", n)
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

// alertsSection is the alerts' and silences' part of a snapshot.
type alertsSection struct{ d *Document }

func (s alertsSection) Down() string { return s.d.AlertsError }

// firing counts the alerts that page, and names the worst severity.
func (s alertsSection) firing() (n int, worst string) {
	for _, a := range s.d.Alerts {
		if a.Firing() {
			n++
			if sources.SeverityRank(a.Severity) > sources.SeverityRank(worst) {
				worst = a.Severity
			}
		}
	}
	return n, worst
}

func (s alertsSection) Text(b *strings.Builder) {
	d := s.d
	firing, _ := s.firing()
	switch {
	case d.AlertsError != "":
		fmt.Fprintf(b, "Alerts: unknown (%s)\n", d.AlertsError)
	case d.AlertsNote != "":
		fmt.Fprintf(b, "Alerts: none to read (%s)\n", d.AlertsNote)
	case len(d.Alerts) == 0:
		b.WriteString("Alerts: none firing\n")
	default:
		quiet := "pending"
		if d.Alertmanager != "" {
			quiet = "silenced or not yet processed"
		}
		fmt.Fprintf(b, "Alerts: %d firing, %d %s\n", firing, len(d.Alerts)-firing, quiet)
		for _, a := range d.Alerts {
			fmt.Fprintf(b, "  %-7s %s (%s) %s\n", a.State, a.Name, a.Severity, a.Summary)
			if a.History != nil {
				fmt.Fprintf(b, "          %s\n", a.History.words())
			}
		}
	}
	switch {
	case d.SilencesError != "":
		fmt.Fprintf(b, "Silences: unknown (%s)\n", d.SilencesError)
	case len(d.Silences) > 0:
		fmt.Fprintf(b, "Silences since %s: %d\n", d.ChangesSince, len(d.Silences))
		for _, x := range d.Silences {
			fmt.Fprintf(b, "  %-7s until %s by %s: %s (%s)\n", x.State, x.EndsAt, x.CreatedBy, strings.Join(x.Matchers, ", "), x.Comment)
		}
	}
}

func (s alertsSection) Markdown(b *strings.Builder) {
	d := s.d
	b.WriteString("## Alerts\n\n")
	switch {
	case d.AlertsError != "":
		fmt.Fprintf(b, "Unknown: %s\n\n", d.AlertsError)
		return
	case d.AlertsNote != "":
		fmt.Fprintf(b, "None to read: %s\n\n", d.AlertsNote)
		return
	case len(d.Alerts) == 0:
		b.WriteString("None firing.\n\n")
		return
	}
	for _, a := range d.Alerts {
		icon := "🟡"
		switch {
		case a.Firing():
			icon = "🔴"
		case a.State == sources.AlertSuppressed:
			icon = "🔕"
		}
		fmt.Fprintf(b, "- %s **%s** %s", icon, a.Name, a.State)
		if a.Severity != "" {
			fmt.Fprintf(b, ", %s", a.Severity)
		}
		if a.ActiveAt != "" {
			fmt.Fprintf(b, ", since %s", a.ActiveAt)
		}
		if a.Summary != "" {
			fmt.Fprintf(b, ": %s", a.Summary)
		}
		if a.RunbookURL != "" {
			fmt.Fprintf(b, " ([runbook](%s))", a.RunbookURL)
		}
		if a.History != nil {
			fmt.Fprintf(b, " — %s", a.History.words())
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	s.silencesMarkdown(b)
}

// silencesMarkdown is the report's silences: who silenced what, until when
// and why.
func (s alertsSection) silencesMarkdown(b *strings.Builder) {
	d := s.d
	switch {
	case d.Alertmanager == "":
		return
	case d.SilencesError != "":
		fmt.Fprintf(b, "## Silences\n\nUnknown: %s\n\n", oneLine(d.SilencesError))
		return
	case len(d.Silences) == 0:
		b.WriteString("## Silences\n\nNone since " + d.ChangesSince + ".\n\n")
		return
	}
	b.WriteString("## Silences\n\n| State | Until | By | Matchers | Comment |\n|---|---|---|---|---|\n")
	for _, x := range d.Silences {
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", x.State, x.EndsAt, cell(x.CreatedBy), cell(strings.Join(x.Matchers, ", ")), cell(x.Comment))
	}
	b.WriteString("\n")
}

func (s alertsSection) Cells() []Cell {
	n, worst := s.firing()
	switch {
	case s.d.AlertsNote != "":
		return []Cell{{Text: "no alerts to read"}}
	case s.d.AlertsError != "":
		return []Cell{{Text: "alerts ?", Status: sources.StatusError}}
	case n == 0:
		return []Cell{{Text: "no alerts", Status: sources.StatusOK}}
	}
	st := sources.StatusWarn
	if sources.Critical(worst) {
		st = sources.StatusCrit
	}
	return []Cell{{Text: fmt.Sprintf("%d firing (%s)", n, cmp.Or(worst, "no severity")), Status: st}}
}

// Findings: none. A firing alert does not stop a deploy: the deploy may be
// the fix; Alertmanager routes alerts to people, and the signals behind
// them are judged with check --metrics.
func (s alertsSection) Findings() []Finding { return nil }
