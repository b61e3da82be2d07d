package snapshot

import (
	"fmt"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/internal/safetext"
	"github.com/opsdeck/opsdeck/sources"
)

// AddActions sets RecentActions (newest first) and merges the marks of the
// runs into Changes: the audit log is read by the caller.
func (d *Document) AddActions(list []Action, marks []sources.Mark) {
	d.RecentActions = make([]Action, len(list))
	for i, a := range list {
		safetext.Value(&a) // the audit log is a file anyone with access may have edited
		d.RecentActions[i] = a
	}
	d.setChanges(marks) // the runs are changes too
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
		fmt.Fprintf(&b, "Metrics from `%s`", d.Prometheus)
		if d.Server != "" {
			fmt.Fprintf(&b, " (%s)", d.Server)
		}
		b.WriteString(".\n\n")
	}
	if d.Focus != "" {
		fmt.Fprintf(&b, "**Focused on `%s`**: the golden signals below are that value's alone.\n\n", d.Focus)
	}
	for _, s := range d.Sections() {
		s.Markdown(&b)
	}
	b.WriteString(d.actionsMarkdown())
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
