package sources

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// MarkKind is what a mark on the charts' time axis records; the strings are
// the snapshot's.
type MarkKind string

const (
	MarkAction    MarkKind = "action"    // the console's own: a migration, reset or command
	MarkAlert     MarkKind = "alert"     // an alert started firing
	MarkResolved  MarkKind = "resolved"  // an alert stopped firing
	MarkRestart   MarkKind = "restart"   // a process started again
	MarkDeploy    MarkKind = "deploy"    // a new build or version
	MarkMigration MarkKind = "migration" // the database's revision moved
	MarkNote      MarkKind = "note"      // a responder's note
	MarkPin       MarkKind = "pin"       // a figure a responder pinned
)

// Mark is one change at one instant: what the charts mark on their time axis
// and the report lists under "What changed".
type Mark struct {
	At   time.Time `json:"at"`
	Kind MarkKind  `json:"kind"`
	Text string    `json:"text"`
	// From and To are a deploy's versions (a revision or a version label),
	// "" when its build series does not say: what a repository's log is
	// asked between.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
}

// Changes reads what changed over a window: alerts starting and resolving,
// restarts and deploys (Prometheus); a source without history has none.
type Changes interface {
	Changes(ctx context.Context, w Window) ([]Mark, error)
}

// Earlier reads a signal's chart over w moved back by offset (a day, a week),
// on w's own grid: the ghost line a chart is compared with. A source without
// history (direct /metrics mode) does not implement it.
type Earlier interface {
	Earlier(ctx context.Context, spec SignalSpec, w Window, offset time.Duration) ([]float64, error)
}

// SortMarks orders marks oldest first and drops repeats (the same change
// seen by two sources, or by two polls).
func SortMarks(marks []Mark) []Mark {
	slices.SortStableFunc(marks, func(a, b Mark) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Text, b.Text))
	})
	return slices.CompactFunc(marks, func(a, b Mark) bool { return a.At.Equal(b.At) && a.Kind == b.Kind && a.Text == b.Text })
}

// MarksIn are the marks in [from, to].
func MarksIn(marks []Mark, from, to time.Time) []Mark {
	var out []Mark
	for _, k := range marks {
		if !k.At.Before(from) && !k.At.After(to) {
			out = append(out, k)
		}
	}
	return out
}

// Deploys reads what a deploy brought from the application's repository.
type Deploys interface {
	// Between is what the deploy from → to brought (DeployDiff.Missing
	// names a version the repository does not know).
	Between(ctx context.Context, from, to string) (DeployDiff, error)
}

// DeployCommit is one commit a deploy brought.
type DeployCommit struct {
	Hash    string   `json:"hash"`
	Author  string   `json:"author"`
	Subject string   `json:"subject"`
	Files   []string `json:"files,omitempty"`
	// Migration: it touches the Alembic versions directory.
	Migration bool `json:"migration,omitempty"`
}

// DeployDiff is what a deploy from From to To brought.
type DeployDiff struct {
	From    string         `json:"from"`
	To      string         `json:"to"`
	Commits []DeployCommit `json:"commits"`
	// Undone are the commits From had and To lacks (git log to..from):
	// a rollback's, or a diverged branch's other side.
	Undone []DeployCommit `json:"undone,omitempty"`
	// More and UndoneMore: the repository holds more commits than
	// Commits (Undone) lists; a log is read to a bound.
	More       bool `json:"more,omitempty"`
	UndoneMore bool `json:"undone_more,omitempty"`
	// Missing are the versions the repository does not know.
	Missing []string `json:"missing,omitempty"`
}

// Migrations counts the commits that touch a migration.
func (d DeployDiff) Migrations() int { return migrations(d.Commits) }

func migrations(cs []DeployCommit) int {
	n := 0
	for _, c := range cs {
		if c.Migration {
			n++
		}
	}
	return n
}

// Summary is the diff in one line, for a mark on the time axis.
func (d DeployDiff) Summary() string {
	if len(d.Missing) > 0 {
		return strings.Join(d.Missing, " and ") + " not in the repository"
	}
	undone := ""
	if len(d.Undone) > 0 {
		undone = commitsText(d.Undone, d.UndoneMore) + " undone"
		if n := migrations(d.Undone); n > 0 {
			undone += fmt.Sprintf(", %d with a migration", n)
		}
	}
	if len(d.Commits) == 0 && undone != "" {
		return "rollback: " + undone
	}
	s := commitsText(d.Commits, d.More)
	if n := d.Migrations(); n > 0 {
		s += fmt.Sprintf(", %d with a migration", n)
	}
	if undone != "" {
		s += "; " + undone
	}
	return s
}

func commitsText(cs []DeployCommit, more bool) string {
	switch {
	case more:
		return fmt.Sprintf("more than %d commits", len(cs))
	case len(cs) == 1:
		return "1 commit"
	}
	return fmt.Sprintf("%d commits", len(cs))
}

// DeployChange is what one deploy (a pair of versions) brought, or why it
// could not be read.
type DeployChange struct {
	At   time.Time  `json:"at"`
	Text string     `json:"text"`
	Diff DeployDiff `json:"diff"`
	Err  string     `json:"error,omitempty"`
}

// maxDeploysRead bounds the pairs read for one window.
const maxDeploysRead = 20

// ReadDeploys reads what each deploy among marks brought (those naming
// both versions), once per pair of versions, oldest first.
func ReadDeploys(ctx context.Context, d Deploys, marks []Mark, scrub func(error) string) []DeployChange {
	if d == nil {
		return nil
	}
	var out []DeployChange
	seen := map[[2]string]bool{}
	for _, m := range marks {
		k := [2]string{m.From, m.To}
		if m.Kind != MarkDeploy || m.From == "" || m.To == "" || seen[k] || len(out) == maxDeploysRead {
			continue
		}
		seen[k] = true
		diff, err := d.Between(ctx, m.From, m.To)
		diff.From, diff.To = m.From, m.To
		c := DeployChange{At: m.At, Text: m.Text, Diff: diff}
		if err != nil {
			c.Err = scrub(err)
		}
		out = append(out, c)
	}
	return out
}

// Annotated is marks with each deploy's text followed by what it brought
// ("… · 3 commits, 1 with a migration"), or why that is not known.
func Annotated(marks []Mark, ds []DeployChange) []Mark {
	if len(ds) == 0 {
		return marks
	}
	by := map[[2]string]DeployChange{}
	for _, d := range ds {
		by[[2]string{d.Diff.From, d.Diff.To}] = d
	}
	out := slices.Clone(marks)
	for i, m := range out {
		d, ok := by[[2]string{m.From, m.To}]
		if m.Kind != MarkDeploy || !ok {
			continue
		}
		note := " · " + d.Diff.Summary()
		if d.Err != "" {
			note = " · commits not read: " + d.Err
		}
		// A mark annotated already (the console's, in its report) keeps
		// one annotation.
		if !strings.HasSuffix(m.Text, note) {
			out[i].Text += note
		}
	}
	return out
}
