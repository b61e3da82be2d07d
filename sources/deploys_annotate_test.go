package sources

import (
	"context"
	"errors"
	"testing"
	"time"
)

type pairs map[[2]string]DeployDiff

func (p pairs) Between(_ context.Context, from, to string) (DeployDiff, error) {
	if d, ok := p[[2]string{from, to}]; ok {
		return d, nil
	}
	return DeployDiff{}, errors.New("refused: opsdeck runs with --readonly")
}

// TestAnnotatedDeploys: each deploy naming its versions says what it
// brought, read once per pair; one that could not be read says why; a
// deploy without versions and other marks are left as they are.
func TestAnnotatedDeploys(t *testing.T) {
	at := time.Date(2026, 12, 6, 14, 0, 0, 0, time.UTC)
	marks := []Mark{
		{At: at, Kind: MarkDeploy, Text: "deploy 1 → 2 on a", From: "1", To: "2"},
		{At: at.Add(time.Second), Kind: MarkDeploy, Text: "deploy 1 → 2 on b", From: "1", To: "2"},
		{At: at.Add(time.Minute), Kind: MarkDeploy, Text: "deploy 2 → 3 on a", From: "2", To: "3"},
		{At: at.Add(time.Hour), Kind: MarkDeploy, Text: "deploy version=x on a"},
		{At: at, Kind: MarkAlert, Text: "HighErrorRate firing"},
	}
	ds := ReadDeploys(context.Background(), pairs{{"1", "2"}: {Commits: []DeployCommit{{Subject: "s", Migration: true}}}}, marks, func(e error) string { return e.Error() })
	if len(ds) != 2 || ds[1].Err != "refused: opsdeck runs with --readonly" {
		t.Fatalf("read %+v", ds)
	}
	got := Annotated(marks, ds)
	for i, want := range []string{"deploy 1 → 2 on a · 1 commit, 1 with a migration", "deploy 1 → 2 on b · 1 commit, 1 with a migration",
		"deploy 2 → 3 on a · commits not read: refused: opsdeck runs with --readonly", "deploy version=x on a", "HighErrorRate firing"} {
		if got[i].Text != want {
			t.Errorf("mark %d: %q, want %q", i, got[i].Text, want)
		}
	}
	if marks[0].Text != "deploy 1 → 2 on a" {
		t.Error("the marks given were changed")
	}
}
