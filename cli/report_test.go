package cli

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/internal/snapshot"
	"github.com/opsdeck/opsdeck/sources"
)

func TestAddActionsFromAuditLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	audit := &actions.Audit{Path: path}
	at := time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)
	for i, r := range []actions.Record{
		{Time: at, Phase: "started", Environment: "qa", Action: "migrate", User: "alice"},
		{Time: at.Add(time.Second), Phase: "finished", Environment: "qa", Action: "migrate", User: "alice", ExitCode: new(0), DurationMS: 1000},
		{Time: at.Add(2 * time.Second), Phase: "finished", Environment: "production", Action: "reset", User: "mallory", ExitCode: new(0)},
		{Time: at.Add(3 * time.Second), Phase: "finished", Environment: "qa", Action: "reset", User: "bob", ExitCode: new(1), Error: "redis unreachable"},
	} {
		if err := audit.Write(r); err != nil {
			t.Fatal(i, err)
		}
	}
	d := &snapshot.Document{Environment: "qa", TakenAt: "2026-11-25T14:30:00Z", ChangesSince: "2026-11-25T13:30:00Z"}
	if err := addActions(d, audit, 10); err != nil {
		t.Fatal(err)
	}
	// The runs are changes too: qa's alone, one each, at their start.
	want := []snapshot.Change{{Time: "2026-11-25T14:00:00Z", Kind: sources.MarkAction, Text: "migrate by alice: done"},
		{Time: "2026-11-25T14:00:03Z", Kind: sources.MarkAction, Text: "reset by bob: exit 1"}}
	if !slices.Equal(d.Changes, want) {
		t.Errorf("changes %+v, want %+v", d.Changes, want)
	}
	if len(d.RecentActions) != 2 || d.RecentActions[0].Action != "reset" || d.RecentActions[0].Outcome != "exit 1: redis unreachable" ||
		d.RecentActions[1].Outcome != "exit 0" || d.RecentActions[1].Duration != "1s" {
		t.Errorf("recent actions of qa, newest first: %+v", d.RecentActions)
	}
	missing := &snapshot.Document{Environment: "qa"}
	if err := addActions(missing, &actions.Audit{Path: filepath.Join(t.TempDir(), "none.jsonl")}, 10); err != nil || missing.RecentActions == nil || len(missing.RecentActions) != 0 {
		t.Errorf("no audit log is an empty list: %v %+v", err, missing.RecentActions)
	}
	_ = os.Remove(path)
}
