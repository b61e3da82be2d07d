package snapshot

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/sources"
)

type deploysDouble map[[2]string]sources.DeployDiff

func (d deploysDouble) Between(_ context.Context, from, to string) (sources.DeployDiff, error) {
	if diff, ok := d[[2]string{from, to}]; ok {
		return diff, nil
	}
	return sources.DeployDiff{}, errors.New("git: exit 128")
}

// TestReportShowsWhatTheDeploysBrought: a deploy mark naming its versions
// gets its commits in the report (subject, author, files, migration
// flagged) and its row a summary; a version the repository lacks is said
// so; a hostile subject stays one harmless line.
func TestReportShowsWhatTheDeploysBrought(t *testing.T) {
	at := time.Date(2026, 12, 6, 14, 2, 0, 0, time.UTC)
	env := &sources.Environment{Name: "qa", MarksWindow: time.Hour, Marks: []sources.Mark{
		{At: at, Kind: sources.MarkDeploy, Text: "deploy 1.4.1 → 1.4.2 on api-1", From: "1.4.1", To: "1.4.2"},
		{At: at.Add(time.Second), Kind: sources.MarkDeploy, Text: "deploy 1.4.1 → 1.4.2 on api-2", From: "1.4.1", To: "1.4.2"},
		{At: at.Add(time.Minute), Kind: sources.MarkDeploy, Text: "deploy 1.4.2 → 9.9.9 on api-1", From: "1.4.2", To: "9.9.9"},
	}, Deploys: deploysDouble{
		{"1.4.1", "1.4.2"}: {From: "1.4.1", To: "1.4.2", Commits: []sources.DeployCommit{
			{Hash: "9f1c2ab77d0e1234", Author: "Bo", Subject: "add an index \x1b[2J| on messages", Files: []string{"alembic/versions/9f1.py"}, Migration: true},
			{Hash: "1234567890abcdef", Author: "Ana", Subject: "fix the login timeout", Files: []string{"app/login.py"}}}},
		{"1.4.2", "9.9.9"}: {From: "1.4.2", To: "9.9.9", Missing: []string{"9.9.9"}},
	}}
	d := &Document{Environment: "qa", TakenAt: at.Add(10 * time.Minute).Format(time.RFC3339Nano), ChangesSince: at.Add(-time.Hour).Format(time.RFC3339Nano)}
	readChanges(context.Background(), &reading{env: env, doc: d, now: at.Add(10 * time.Minute), window: time.Hour, lock: func() func() { return func() {} }})
	md := d.Markdown()
	for _, want := range []string{
		"| 14:02:00 | deploy | deploy 1.4.1 → 1.4.2 on api-1 · 2 commits, 1 with a migration |",
		"| 14:03:00 | deploy | deploy 1.4.2 → 9.9.9 on api-1 · 9.9.9 not in the repository |",
		"`git log 1.4.1..1.4.2`: 2 commits, 1 with a migration.",
		"- `9f1c2ab77d` add an index ␛[2J| on messages, by Bo **(migration)**: `alembic/versions/9f1.py`",
		"- `1234567890` fix the login timeout, by Ana: `app/login.py`",
		"9.9.9 not in the repository: the log between them cannot be read.",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the report lacks %q:\n%s", want, md)
		}
	}
	if n := strings.Count(md, "git log 1.4.1..1.4.2"); n != 1 {
		t.Errorf("the pair is listed %d times", n)
	}
}

// TestReportShowsWhatARollbackUndid: a deploy back to an older version
// lists the commits it took away, the migration among them flagged (the
// database may now be ahead of the code), where it said "0 commits".
func TestReportShowsWhatARollbackUndid(t *testing.T) {
	at := time.Date(2026, 12, 6, 14, 2, 0, 0, time.UTC)
	env := &sources.Environment{Name: "qa", MarksWindow: time.Hour, Marks: []sources.Mark{
		{At: at, Kind: sources.MarkDeploy, Text: "deploy 1.4.2 → 1.4.1 on api-1", From: "1.4.2", To: "1.4.1"},
	}, Deploys: deploysDouble{
		{"1.4.2", "1.4.1"}: {From: "1.4.2", To: "1.4.1", Undone: []sources.DeployCommit{
			{Hash: "9f1c2ab77d0e1234", Author: "Bo", Subject: "add an index", Files: []string{"alembic/versions/9f1.py"}, Migration: true},
			{Hash: "1234567890abcdef", Author: "Ana", Subject: "fix the login timeout", Files: []string{"app/login.py"}}}},
	}}
	d := &Document{Environment: "qa", TakenAt: at.Add(10 * time.Minute).Format(time.RFC3339Nano), ChangesSince: at.Add(-time.Hour).Format(time.RFC3339Nano)}
	readChanges(context.Background(), &reading{env: env, doc: d, now: at.Add(10 * time.Minute), window: time.Hour, lock: func() func() { return func() {} }})
	md := d.Markdown()
	for _, want := range []string{
		"| 14:02:00 | deploy | deploy 1.4.2 → 1.4.1 on api-1 · rollback: 2 commits undone, 1 with a migration |",
		"`git log 1.4.1..1.4.2`, undone: 2 commits, 1 with a migration.",
		"- `9f1c2ab77d` add an index, by Bo **(migration)**: `alembic/versions/9f1.py`",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the report lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "0 commits") {
		t.Errorf("the rollback reads as nothing:\n%s", md)
	}
}

// TestNoteInTheConsoleAndTheFileCountsOnce: the console's report gets a
// note twice, from the marks it shows (to the nanosecond) and from the
// notes file beside the audit log (the document keeps seconds): it is one
// row of the timeline, as is the audit log's run.
func TestNoteInTheConsoleAndTheFileCountsOnce(t *testing.T) {
	at := time.Date(2026, 12, 6, 14, 2, 0, 523456789, time.UTC)
	note := sources.Mark{At: at, Kind: sources.MarkNote, Text: "note by ana: rolling back"}
	pin := sources.Mark{At: at.Add(time.Millisecond), Kind: sources.MarkPin, Text: "pin by ana: Error rate (5xx) 5.68 %"}
	run := sources.Mark{At: at.Add(-time.Minute), Kind: sources.MarkAction, Text: "silence by ana"}
	env := &sources.Environment{Name: "qa", MarksWindow: time.Hour, Marks: []sources.Mark{run, note, pin}}
	for _, fileFirst := range []bool{true, false} {
		d := &Document{Environment: "qa", TakenAt: at.Add(10 * time.Minute).Format(time.RFC3339Nano), ChangesSince: at.Add(-time.Hour).Format(time.RFC3339Nano)}
		if fileFirst {
			d.AddActions(nil, []sources.Mark{run, note, pin})
		}
		readChanges(context.Background(), &reading{env: env, doc: d, now: at.Add(10 * time.Minute), window: time.Hour, lock: func() func() { return func() {} }})
		if !fileFirst {
			d.AddActions(nil, []sources.Mark{run, note, pin})
		}
		if len(d.Changes) != 3 {
			t.Errorf("file read first %v: %d rows: %+v", fileFirst, len(d.Changes), d.Changes)
		}
	}
}

// TestConsoleDeployMarkAnnotatedOnce: the console's deploy marks already
// say what the deploy brought; its report says it once, not twice.
func TestConsoleDeployMarkAnnotatedOnce(t *testing.T) {
	at := time.Date(2026, 12, 6, 14, 2, 0, 0, time.UTC)
	diffs := deploysDouble{{"1.4.1", "1.4.2"}: {From: "1.4.1", To: "1.4.2", Commits: []sources.DeployCommit{{Hash: "9f1c2ab77d0e1234", Author: "Bo", Subject: "x"}}}}
	mark := sources.Mark{At: at, Kind: sources.MarkDeploy, Text: "deploy 1.4.1 → 1.4.2 on api-1", From: "1.4.1", To: "1.4.2"}
	shown := sources.Annotated([]sources.Mark{mark}, sources.ReadDeploys(context.Background(), diffs, []sources.Mark{mark}, func(err error) string { return err.Error() }))
	env := &sources.Environment{Name: "qa", MarksWindow: time.Hour, Marks: shown, Deploys: diffs}
	d := &Document{Environment: "qa", TakenAt: at.Add(10 * time.Minute).Format(time.RFC3339Nano), ChangesSince: at.Add(-time.Hour).Format(time.RFC3339Nano)}
	readChanges(context.Background(), &reading{env: env, doc: d, now: at.Add(10 * time.Minute), window: time.Hour, lock: func() func() { return func() {} }})
	if len(d.Changes) != 1 || strings.Count(d.Changes[0].Text, "1 commit") != 1 {
		t.Errorf("the deploy reads %+v", d.Changes)
	}
}
