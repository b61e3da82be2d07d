package snapshot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/internal/safetext"
	"github.com/opsdeck/opsdeck/sources"
)

// Change is one mark of what changed.
type Change struct {
	Time string           `json:"time"`
	Kind sources.MarkKind `json:"kind"`
	Text string           `json:"text"`
}

// ChangesWindow is how far back a snapshot looks for changes when the
// console did not say (its chart window).
const ChangesWindow = time.Hour

// changesSource is what changed in the window: alerts, restarts, deploys and
// migrations Prometheus marks, or the marks the console showed.
func changesSource() Source {
	return Source{Name: "changes", Key: "changes", Gate: GateNever,
		configured: func(env *sources.Environment) bool {
			_, ok := env.Metrics.Source.(sources.Changes)
			return ok || env.Marks != nil
		},
		read: readChanges, section: func(d *Document) Section { return changesSection{d} }}
}

func readChanges(ctx context.Context, r *reading) {
	env, d := r.env, r.doc
	src, ok := env.Metrics.Source.(sources.Changes)
	var marks []sources.Mark
	var err error
	switch {
	case env.Marks != nil:
		marks = env.Marks // what the console showed
	case ok:
		// Up to the instant itself, not the last whole step: a change of
		// the last seconds is in the report.
		w := sources.Window{Now: r.now, End: r.now, Length: r.window, Step: max(r.window/240, time.Second)}
		marks, err = src.Changes(ctx, w)
	default:
		return
	}
	// What the deploys brought, read from the repository before the
	// document is locked: git may take a moment.
	deploys := sources.ReadDeploys(ctx, env.Deploys, marks, env.Scrubber.Error)
	defer r.lock()()
	if err != nil {
		d.ChangesError = env.Scrubber.Error(err)
	}
	d.setChanges(sources.Annotated(marks, deploys))
	for _, c := range deploys {
		c.Text, c.Err = safetext.String(c.Text), safetext.String(c.Err)
		safetext.Value(&c.Diff) // a commit's subject and author are anyone's text
		d.Deploys = append(d.Deploys, c)
	}
}

// setChanges merges marks into Changes, in the window, oldest first.
func (d *Document) setChanges(marks []sources.Mark) {
	since, _ := time.Parse(time.RFC3339Nano, d.ChangesSince)
	taken, _ := time.Parse(time.RFC3339Nano, d.TakenAt)
	all := make([]sources.Mark, 0, len(d.Changes)+len(marks))
	for _, c := range d.Changes {
		at, _ := time.Parse(time.RFC3339Nano, c.Time)
		all = append(all, sources.Mark{At: at, Kind: c.Kind, Text: c.Text})
	}
	// The document keeps seconds: a mark read twice (the console's, to
	// the nanosecond, and the notes file's or the audit log's, already
	// here) must compare at that precision to count once.
	for _, m := range sources.MarksIn(marks, since, taken) {
		m.At = m.At.Truncate(time.Second)
		all = append(all, m)
	}
	all = sources.SortMarks(all)
	d.Changes = make([]Change, len(all))
	for i, m := range all {
		d.Changes[i] = Change{Time: m.At.UTC().Format(time.RFC3339), Kind: m.Kind, Text: safetext.String(m.Text)}
	}
}

// changesSection is what changed in the window.
type changesSection struct{ d *Document }

func (s changesSection) Down() string { return s.d.ChangesError }

func (s changesSection) Text(b *strings.Builder) {
	d := s.d
	if d.ChangesError != "" {
		fmt.Fprintf(b, "Changes: not all read (%s)\n", d.ChangesError)
	}
	if len(d.Changes) > 0 {
		fmt.Fprintf(b, "Changes since %s: %d\n", d.ChangesSince, len(d.Changes))
		for _, c := range d.Changes {
			fmt.Fprintf(b, "  %s %-9s %s\n", c.Time, c.Kind, c.Text)
		}
	} else {
		fmt.Fprintf(b, "Changes since %s: none marked\n", d.ChangesSince)
	}
}

func (s changesSection) Markdown(b *strings.Builder) {
	d := s.d
	b.WriteString("## What changed\n\n")
	since := clock(d.ChangesSince, "15:04:05 UTC")
	if d.ChangesError != "" {
		fmt.Fprintf(b, "Not every change could be read: %s\n\n", oneLine(d.ChangesError))
	}
	if len(d.Changes) == 0 {
		b.WriteString("Nothing marked")
		if since != "" {
			b.WriteString(" since " + since)
		}
		b.WriteString(" (alerts, restarts, deploys, migrations, actions, notes, pins).\n\n")
		return
	}
	fmt.Fprintf(b, "Since %s, oldest first: alerts, deploys, migrations, actions and the responders' notes and pins, the postmortem's timeline.\n\n| Time (UTC) | Change | What |\n|---|---|---|\n", since)
	for _, c := range d.Changes {
		fmt.Fprintf(b, "| %s | %s | %s |\n", clock(c.Time, "15:04:05"), c.Kind, cell(c.Text))
	}
	b.WriteString("\n")
	deploysMarkdown(b, d.Deploys)
}

// deploysMarkdown lists what each deploy brought: its commits, newest
// first, with their authors and files, the migrations flagged.
func deploysMarkdown(b *strings.Builder, ds []sources.DeployChange) {
	for _, c := range ds {
		fmt.Fprintf(b, "### %s (%s UTC)\n\n", oneLine(c.Text), c.At.UTC().Format("15:04:05"))
		switch {
		case c.Err != "":
			fmt.Fprintf(b, "Its commits could not be read: %s\n\n", oneLine(c.Err))
			continue
		case len(c.Diff.Missing) > 0:
			fmt.Fprintf(b, "%s: the log between them cannot be read.\n\n", oneLine(c.Diff.Summary()))
			continue
		}
		if len(c.Diff.Commits) > 0 || len(c.Diff.Undone) == 0 {
			fmt.Fprintf(b, "`git log %s..%s`: %s.\n\n", oneLine(c.Diff.From), oneLine(c.Diff.To), c.Diff.Summary())
			commitsMarkdown(b, c.Diff.Commits)
		}
		if len(c.Diff.Undone) > 0 {
			// A rollback's commits, or a diverged branch's other side: what
			// ran before and runs no more.
			fmt.Fprintf(b, "`git log %s..%s`, undone: %s.\n\n", oneLine(c.Diff.To), oneLine(c.Diff.From), sources.DeployDiff{Commits: c.Diff.Undone}.Summary())
			commitsMarkdown(b, c.Diff.Undone)
		}
	}
}

// commitsMarkdown lists commits, newest first, with their authors and
// files, the migrations flagged.
func commitsMarkdown(b *strings.Builder, cs []sources.DeployCommit) {
	for _, k := range cs {
		flag := ""
		if k.Migration {
			flag = " **(migration)**"
		}
		fmt.Fprintf(b, "- `%.10s` %s, by %s%s", k.Hash, oneLine(k.Subject), oneLine(k.Author), flag)
		if len(k.Files) > 0 {
			files := k.Files
			more := ""
			if len(files) > 8 {
				files, more = files[:8], fmt.Sprintf(" and %d more", len(k.Files)-8)
			}
			shown := make([]string, len(files))
			for i, f := range files {
				shown[i] = "`" + cell(f) + "`"
			}
			fmt.Fprintf(b, ": %s%s", strings.Join(shown, ", "), more)
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
}

// Cells: the overview shows the newest change, since the last deploy or
// restart is the first question of an incident.
func (s changesSection) Cells() []Cell {
	if n := len(s.d.Changes); n > 0 {
		c := s.d.Changes[n-1]
		return []Cell{{Text: fmt.Sprintf("%s %s", c.Kind, clock(c.Time, "15:04")), Status: sources.StatusOK}}
	}
	return nil
}

// Findings: a change is news, not a fault.
func (s changesSection) Findings() []Finding { return nil }
