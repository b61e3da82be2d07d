package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/internal/notes"
	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/internal/snapshot"
	"github.com/opsdeck/opsdeck/sources"
)

// TestNotesAuditedSurviveAndReachTheReport: a note and a pin are audited
// (who, when, what, a secret typed into them masked), kept beside the
// audit log, read back by the next console (a restart), marked once (not
// again as an action), and rows of the report's timeline, oldest first,
// among the actions.
func TestNotesAuditedSurviveAndReachTheReport(t *testing.T) {
	dir := t.TempDir()
	audit := &actions.Audit{Path: filepath.Join(dir, "opsdeck", "audit.jsonl")}
	who := actions.Who{User: "ana", Host: "laptop"}
	keeper := func() noteKeeper {
		return noteKeeper{store: notes.Beside(audit.Path), audit: audit, who: who, scrub: redact.NewScrubber("s3cretpw")}
	}
	at := time.Date(2026, 12, 6, 14, 5, 0, 0, time.UTC)
	k := keeper()
	if _, err := k.add(context.Background(), notes.Entry{Time: at, Environment: "qa", Kind: notes.Note, Text: "restarted the worker with s3cretpw"}); err != nil {
		t.Fatal(err)
	}
	if _, err := k.add(context.Background(), notes.Entry{Time: at.Add(time.Minute), At: at.Add(-2 * time.Minute), Environment: "qa", Kind: notes.Pin, Text: "P95 latency 2.1 s"}); err != nil {
		t.Fatal(err)
	}
	must(t, audit.Write(actions.Record{Time: at.Add(-time.Minute), Phase: "finished", Environment: "qa", Action: "migrate", User: "bo", ExitCode: new(0)}))

	recs, err := audit.Recent(10)
	must(t, err)
	if len(recs) != 3 || recs[0].Phase != "noted" || recs[0].Kind != "note" || recs[0].User != "ana" || recs[0].Target != "restarted the worker with xxxxx" || recs[1].Kind != "pin" {
		t.Fatalf("audit records %+v", recs)
	}
	if marks, _ := audit.Marks("qa"); len(marks) != 1 || marks[0].Kind != sources.MarkAction {
		t.Errorf("the audit log marks the note as an action too: %+v", marks)
	}
	marks, err := keeper().marks(context.Background(), "qa") // the next console
	if err != nil || len(marks) != 2 || marks[1].Text != "note by ana: restarted the worker with xxxxx" || !marks[0].At.Equal(at.Add(-2*time.Minute)) {
		t.Fatalf("after a restart: %+v %v", marks, err)
	}
	raw, _ := os.ReadFile(notes.Beside(audit.Path).Path("qa"))
	if strings.Contains(string(raw), "s3cretpw") {
		t.Error("the notes file holds the secret")
	}
	d := &snapshot.Document{Environment: "qa", TakenAt: "2026-12-06T14:30:00Z", ChangesSince: "2026-12-06T13:30:00Z"}
	must(t, addActions(d, audit, 10))
	md := d.Markdown()
	for _, row := range []string{"| 14:03:00 | pin | pin by ana: P95 latency 2.1 s |\n| 14:04:00 | action | migrate by bo: done |\n| 14:05:00 | note | note by ana: restarted the worker with xxxxx |"} {
		if !strings.Contains(md, row) {
			t.Errorf("the report's timeline lacks\n%s\nin\n%s", row, md)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
