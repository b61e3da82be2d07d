package snapshot

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/internal/safetext"
	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
)

// AddActions fills RecentActions with env's last n finished actions from an
// audit log, newest first. A missing log is an empty list.
func (d *Document) AddActions(audit *actions.Audit, n int) error {
	// One read serves the actions and the marks: started and finished
	// records, other environments' too.
	recs, err := audit.Recent(max(50*n, actions.MarksRead))
	d.RecentActions = []Action{}
	for i := len(recs) - 1; i >= 0 && len(d.RecentActions) < n; i-- {
		r := recs[i]
		if r.Phase != "finished" || r.Environment != d.Environment || r.PartOf != "" { // a preflight's steps are not actions
			continue
		}
		a := Action{Time: r.Time.UTC().Format("2006-01-02 15:04:05Z"), Environment: r.Environment, Action: r.Action,
			User: r.User, Command: r.Command, Outcome: r.Error}
		if r.ExitCode != nil {
			a.Outcome = strings.TrimSuffix(fmt.Sprintf("exit %d: %s", *r.ExitCode, r.Error), ": ")
		}
		if r.DurationMS > 0 {
			a.Duration = units.Span(time.Duration(r.DurationMS) * time.Millisecond)
		}
		safetext.Value(&a) // the audit log is a file anyone with access may have edited
		d.RecentActions = append(d.RecentActions, a)
	}
	d.setChanges(actions.MarksOf(recs, d.Environment)) // the runs are changes too
	return err
}

// Action is one finished action from the audit log, as the report lists it.
type Action struct {
	Time        string `json:"time"`
	Environment string `json:"environment"`
	Action      string `json:"action"`
	User        string `json:"user"`
	Command     string `json:"command,omitempty"`
	// Outcome is "exit 0", "exit 1", "cancelled"... in words.
	Outcome  string `json:"outcome"`
	Duration string `json:"duration,omitempty"`
}

// Markdown renders the incident report: every section of the snapshot in a
// form that reads well pasted into a chat or a postmortem (GitHub-flavoured
// tables, no terminal colours). Every string in it is already scrubbed.
func (d *Document) Markdown() string {
	var b strings.Builder
	taken := d.TakenAt
	if t, err := time.Parse(time.RFC3339Nano, d.TakenAt); err == nil {
		taken = t.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	fmt.Fprintf(&b, "# opsdeck report: %s, %s\n\n", d.Environment, taken)
	if d.Prometheus != "" {
		fmt.Fprintf(&b, "Metrics from `%s`.\n\n", d.Prometheus)
	}
	if d.Focus != "" {
		fmt.Fprintf(&b, "**Focused on `%s`**: the golden signals below are that value's alone.\n\n", d.Focus)
	}
	b.WriteString(d.signalsMarkdown())
	b.WriteString(d.alertsMarkdown())
	b.WriteString(d.changesMarkdown())
	b.WriteString(d.tracesMarkdown())
	b.WriteString(d.Postgres.markdown())
	b.WriteString(d.Redis.markdown())
	b.WriteString(d.Migrations.markdown())
	b.WriteString(d.SchemaDrift.markdown())
	b.WriteString(d.actionsMarkdown())
	return b.String()
}

// tracesMarkdown lists the slowest traced requests, with their traces.
func (d *Document) tracesMarkdown() string {
	if len(d.SlowTraces) == 0 && d.TracesNote == "" {
		return ""
	}
	var b strings.Builder
	b.WriteString("## Slowest traced requests\n\n")
	if len(d.SlowTraces) == 0 {
		fmt.Fprintf(&b, "None: %s\n\n", oneLine(d.TracesNote))
		return b.String()
	}
	b.WriteString("| Time (UTC) | Latency | Route | Trace |\n|---|---:|---|---|\n")
	for _, t := range d.SlowTraces {
		at := clock(t.Time, "15:04:05")
		trace := "`" + t.TraceID + "`"
		if t.URL != "" {
			trace = "[" + t.TraceID + "](" + t.URL + ")"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", at, units.Format(t.Seconds, units.Seconds), cell(t.Route), trace)
	}
	b.WriteString("\n")
	return b.String()
}

// changesMarkdown lists what changed in the window, oldest first.
func (d *Document) changesMarkdown() string {
	var b strings.Builder
	b.WriteString("## What changed\n\n")
	since := clock(d.ChangesSince, "15:04:05 UTC")
	if d.ChangesError != "" {
		fmt.Fprintf(&b, "Not every change could be read: %s\n\n", oneLine(d.ChangesError))
	}
	if len(d.Changes) == 0 {
		b.WriteString("Nothing marked")
		if since != "" {
			b.WriteString(" since " + since)
		}
		b.WriteString(" (alerts, restarts, deploys, migrations, actions).\n\n")
		return b.String()
	}
	fmt.Fprintf(&b, "Since %s, oldest first:\n\n| Time (UTC) | Change | What |\n|---|---|---|\n", since)
	for _, c := range d.Changes {
		at := clock(c.Time, "15:04:05")
		fmt.Fprintf(&b, "| %s | %s | %s |\n", at, c.Kind, cell(c.Text))
	}
	b.WriteString("\n")
	return b.String()
}

func (d *Document) signalsMarkdown() string {
	var b strings.Builder
	b.WriteString("## Golden signals\n\n")
	keys := d.order
	if len(keys) == 0 {
		for k := range d.Metrics {
			keys = append(keys, k)
		}
		sort.Strings(keys)
	}
	if len(keys) == 0 {
		b.WriteString("No metrics configured.\n\n")
		return b.String()
	}
	b.WriteString("| Signal | Value | Status |\n|---|---:|---|\n")
	var notes []string
	for _, k := range keys {
		m := d.Metrics[k]
		value := "–"
		if m.Value != nil {
			value = units.Format(*m.Value, units.Unit(m.Unit))
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", cell(m.Title), value, statusBadge(m.Status))
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
	return b.String()
}

func statusBadge(s string) string {
	switch s {
	case "crit":
		return "🔴 CRIT"
	case "warn":
		return "🟡 WARN"
	case "ok":
		return "🟢 ok"
	case "no_data":
		return "⚪ no data"
	case "error":
		return "⚠️ error"
	}
	return s
}

func (d *Document) alertsMarkdown() string {
	var b strings.Builder
	b.WriteString("## Alerts\n\n")
	switch {
	case d.AlertsError != "":
		fmt.Fprintf(&b, "Unknown: %s\n\n", d.AlertsError)
		return b.String()
	case d.AlertsNote != "":
		fmt.Fprintf(&b, "None to read: %s\n\n", d.AlertsNote)
		return b.String()
	case len(d.Alerts) == 0:
		b.WriteString("None firing.\n\n")
		return b.String()
	}
	for _, a := range d.Alerts {
		icon := "🟡"
		switch {
		case a.Firing():
			icon = "🔴"
		case a.State == sources.AlertSuppressed:
			icon = "🔕"
		}
		fmt.Fprintf(&b, "- %s **%s** %s", icon, a.Name, a.State)
		if a.Severity != "" {
			fmt.Fprintf(&b, ", %s", a.Severity)
		}
		if a.ActiveAt != "" {
			fmt.Fprintf(&b, ", since %s", a.ActiveAt)
		}
		if a.Summary != "" {
			fmt.Fprintf(&b, ": %s", a.Summary)
		}
		if a.RunbookURL != "" {
			fmt.Fprintf(&b, " ([runbook](%s))", a.RunbookURL)
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	b.WriteString(d.silencesMarkdown())
	return b.String()
}

// silencesMarkdown is the report's silences: who silenced what, until when
// and why.
func (d *Document) silencesMarkdown() string {
	var b strings.Builder
	switch {
	case d.Alertmanager == "":
		return ""
	case d.SilencesError != "":
		fmt.Fprintf(&b, "## Silences\n\nUnknown: %s\n\n", oneLine(d.SilencesError))
		return b.String()
	case len(d.Silences) == 0:
		return "## Silences\n\nNone since " + d.ChangesSince + ".\n\n"
	}
	b.WriteString("## Silences\n\n| State | Until | By | Matchers | Comment |\n|---|---|---|---|---|\n")
	for _, s := range d.Silences {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", s.State, s.EndsAt, cell(s.CreatedBy), cell(strings.Join(s.Matchers, ", ")), cell(s.Comment))
	}
	b.WriteString("\n")
	return b.String()
}

func (p Postgres) markdown() string {
	var b strings.Builder
	b.WriteString("## PostgreSQL\n\n")
	if !p.Reachable {
		fmt.Fprintf(&b, "Unreachable: %s\n\n", orNone(p.Error))
		return b.String()
	}
	st := p.DBState
	c := st.Connections
	fmt.Fprintf(&b, "- %s %s at `%s`, size %s\n", st.Role, st.Version, p.Target, units.Format(float64(st.DatabaseSize), units.Bytes))
	fmt.Fprintf(&b, "- Connections: %d of %d (%d active, %d idle, %d idle in transaction)\n", c.Total, c.Max, c.Active, c.Idle, c.IdleInTransaction)
	fmt.Fprintf(&b, "- Blocked sessions: %d\n", len(st.Blocked))
	for _, bl := range st.Blocked {
		by := make([]string, len(bl.BlockedBy))
		for i, p := range bl.BlockedBy {
			by[i] = fmt.Sprint(p)
		}
		fmt.Fprintf(&b, "  - pid %d blocked by pid %s: `%s`\n", bl.PID, strings.Join(by, ", "), oneLine(bl.Query))
	}
	if t := st.LongestTransaction; t != nil {
		fmt.Fprintf(&b, "- Longest transaction: %s, pid %d %s (%s): `%s`\n", units.Span(units.FromSeconds(t.XactAge)), t.PID, t.User, t.State, oneLine(t.Query))
	}
	if q := st.LongestQuery; q != nil {
		fmt.Fprintf(&b, "- Longest query: %s, pid %d %s: `%s`\n", units.Span(units.FromSeconds(q.QueryAge)), q.PID, q.User, oneLine(q.Query))
	}
	if r := st.CacheHitRatio; r != nil {
		fmt.Fprintf(&b, "- Cache hit ratio: %s\n", units.Format(*r, units.Ratio))
	}
	for _, d := range details(st) {
		b.WriteString("- " + strings.ToUpper(d[:1]) + d[1:] + "\n")
	}
	b.WriteString("\n")
	return b.String()
}

func (r Redis) markdown() string {
	var b strings.Builder
	b.WriteString("## Redis\n\n")
	if !r.Reachable {
		fmt.Fprintf(&b, "Unreachable: %s\n\n", orNone(r.Error))
		return b.String()
	}
	st := r.CacheState
	fmt.Fprintf(&b, "- %s %s at `%s`: %s used", st.Role, st.Version, r.Target, units.Format(float64(st.UsedMemory), units.Bytes))
	if st.MaxMemory > 0 {
		fmt.Fprintf(&b, " of %s", units.Format(float64(st.MaxMemory), units.Bytes))
	}
	fmt.Fprintf(&b, ", %d clients, %s ops/s\n", st.ConnectedClients, units.FormatShort(st.OpsPerSec, units.None))
	for _, q := range st.Queues {
		switch {
		case q.Error != "":
			fmt.Fprintf(&b, "- Queue `%s`: %s\n", q.Name, q.Error)
		case q.Growth != nil:
			fmt.Fprintf(&b, "- Queue `%s`: %d waiting (%+d over %s)\n", q.Name, q.Length, *q.Growth, units.ShortDuration(q.GrowthOver))
		default:
			fmt.Fprintf(&b, "- Queue `%s`: %d waiting\n", q.Name, q.Length)
		}
	}
	for _, k := range st.Keyspace {
		fmt.Fprintf(&b, "- db%d: %d keys\n", k.DB, k.Keys)
	}
	b.WriteString("\n")
	return b.String()
}

func (m Migrations) markdown() string {
	var b strings.Builder
	b.WriteString("## Migrations\n\n")
	if m.MigrationState == nil {
		fmt.Fprintf(&b, "Unknown: %s\n\n", orNone(m.Error))
		return b.String()
	}
	st := m.MigrationState
	fmt.Fprintf(&b, "- Status: **%s**; database at %s; heads %s (%d revisions)\n", strings.ReplaceAll(st.Status, "_", " "),
		orNone(strings.Join(st.Current, ", ")), orNone(strings.Join(st.Heads, ", ")), st.Revisions)
	for _, r := range st.Pending {
		fmt.Fprintf(&b, "- Pending: `%s` %s\n", r.ID, r.Message)
	}
	if st.DatabaseError != "" {
		fmt.Fprintf(&b, "- Database: %s\n", st.DatabaseError)
	}
	for _, p := range st.Problems {
		fmt.Fprintf(&b, "- %s: %s\n", p.Severity, p.Message)
	}
	b.WriteString("\n")
	return b.String()
}

func (s SchemaDrift) markdown() string {
	var b strings.Builder
	b.WriteString("## Schema drift\n\n")
	switch {
	case s.Error != "":
		fmt.Fprintf(&b, "Not compared: %s\n\n", s.Error)
	case len(s.Differences) == 0:
		fmt.Fprintf(&b, "Equal to %s.\n\n", s.Reference)
	default:
		fmt.Fprintf(&b, "%d difference(s) from %s:\n\n", len(s.Differences), s.Reference)
		for _, d := range s.Differences {
			mark := ""
			if d.Hazardous {
				mark = " ⚠️ hazardous to mend"
			}
			fmt.Fprintf(&b, "- %s%s\n", d.Detail, mark)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func (d *Document) actionsMarkdown() string {
	if d.RecentActions == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("## Recent actions\n\n")
	if len(d.RecentActions) == 0 {
		b.WriteString("None recorded.\n")
		return b.String()
	}
	b.WriteString("| Time | Action | By | Outcome | Took |\n|---|---|---|---|---:|\n")
	for _, a := range d.RecentActions {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", a.Time, cell(a.Action), cell(a.User), cell(a.Outcome), a.Duration)
	}
	return b.String()
}

// cell keeps a value from breaking a Markdown table row.
// clock is an RFC 3339 time as layout writes it in UTC; the text as it is
// when it is not one.
func clock(rfc3339, layout string) string {
	if t, err := time.Parse(time.RFC3339, rfc3339); err == nil {
		return t.UTC().Format(layout)
	}
	return rfc3339
}

func cell(s string) string {
	return strings.ReplaceAll(oneLine(s), "|", `\|`)
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, "`", "'")
	if r := []rune(s); len(r) > 160 {
		s = string(r[:159]) + "…"
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
