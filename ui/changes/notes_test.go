package changes

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/sources"
)

// TestNotesJoinTheAuditLogsMarks: notes and pins are read beside the
// audit log's runs, a failing notes file named as such while the runs
// still mark; a note marked at once and read again later counts once.
func TestNotesJoinTheAuditLogsMarks(t *testing.T) {
	note := sources.Mark{At: t0.Add(-time.Minute), Kind: sources.MarkNote, Text: "note by ana: rolled back"}
	audit := func(context.Context) ([]sources.Mark, error) {
		return []sources.Mark{{At: t0.Add(-2 * time.Minute), Kind: sources.MarkAction, Text: "migrate"}}, nil
	}
	notes := func(context.Context) ([]sources.Mark, error) { return []sources.Mark{note}, nil }
	w := sources.WindowFor(t0, 15*time.Minute, points)
	f, err := read(context.Background(), nil, joinReads(audit, notes), w, nil)
	if err != nil || len(f.Marks) != 2 || f.Marks[1] != note {
		t.Fatalf("%+v %v", f.Marks, err)
	}
	broken := func(context.Context) ([]sources.Mark, error) {
		return nil, errors.New("notes-qa.jsonl is not a regular file")
	}
	f, err = read(context.Background(), &fakeSource{}, joinReads(audit, broken), w, nil)
	if err != nil || len(f.Marks) != 1 || !strings.Contains(f.Problem, "notes: notes-qa.jsonl is not a regular file") {
		t.Errorf("a broken notes file: %+v %v", f, err)
	}
	m := &Model{}
	m.Poll.Last, m.Poll.HasLast = Found{Marks: []sources.Mark{note}}, true
	m.Add(note)
	if got := m.Marks(); len(got) != 1 {
		t.Errorf("a note marked twice: %+v", got)
	}
}
