package changes

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/sources"
)

type fakeSource struct {
	marks []sources.Mark
	err   error
	reads int
}

func (f *fakeSource) Changes(context.Context, sources.Window) ([]sources.Mark, error) {
	f.reads++
	return f.marks, f.err
}

var t0 = time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)

// TestReadMergesKeepsAndSaysWhatFailed: the source's marks and the audit
// log's are merged oldest first; kept source marks are not read again; one
// source failing is a problem in words, both failing an error.
func TestReadMergesKeepsAndSaysWhatFailed(t *testing.T) {
	src := &fakeSource{marks: []sources.Mark{{At: t0.Add(-time.Minute), Kind: sources.MarkDeploy, Text: "deploy"}}}
	audit := func(context.Context) ([]sources.Mark, error) {
		return []sources.Mark{{At: t0.Add(-2 * time.Minute), Kind: sources.MarkAction, Text: "migrate"},
			{At: t0.Add(-time.Hour), Kind: sources.MarkAction, Text: "long ago"}}, nil
	}
	w := sources.WindowFor(t0, 15*time.Minute, points)
	f, err := read(context.Background(), src, audit, w, nil)
	if err != nil || len(f.Marks) != 2 || f.Marks[0].Text != "migrate" || f.Marks[1].Text != "deploy" {
		t.Fatalf("merged %+v %v: want migrate then deploy, the old run outside the window", f.Marks, err)
	}
	if _, err := read(context.Background(), src, audit, w, &f); err != nil || src.reads != 1 {
		t.Errorf("kept marks were read again (%d reads, %v)", src.reads, err)
	}
	src.marks, src.err = nil, errors.New("prometheus down")
	f, err = read(context.Background(), src, audit, w, nil)
	if err != nil || !strings.Contains(f.Problem, "prometheus down") || len(f.Marks) != 1 {
		t.Errorf("one source failing: %+v %v", f, err)
	}
	broken := func(context.Context) ([]sources.Mark, error) { return nil, errors.New("unreadable") }
	if _, err := read(context.Background(), src, broken, w, nil); err == nil || !strings.Contains(err.Error(), "audit log: unreadable") {
		t.Errorf("both failing must fail, naming each: %v", err)
	}
}

// TestObserveMarksAMovedRevision: the first revision seen is no migration;
// each change after it is one, bounded in number.
func TestObserveMarksAMovedRevision(t *testing.T) {
	m := &Model{}
	if m.Observe([]string{"a1"}, t0) {
		t.Fatal("the first revision seen is marked")
	}
	if m.Observe([]string{"a1"}, t0.Add(time.Second)) {
		t.Fatal("an unchanged revision is marked")
	}
	if !m.Observe([]string{"b2"}, t0.Add(2*time.Second)) || !m.Observe(nil, t0.Add(3*time.Second)) {
		t.Fatal("a moved revision is not marked")
	}
	got := m.Marks()
	if len(got) != 2 || got[0].Text != "migration a1 → b2" || got[1].Text != "migration b2 → (none)" || got[1].Kind != sources.MarkMigration {
		t.Errorf("marks %+v", got)
	}
	for i := range 2 * maxSeen {
		m.Observe([]string{string(rune('a' + i%2))}, t0.Add(time.Duration(i)*time.Minute))
	}
	if n := len(m.Marks()); n != maxSeen {
		t.Errorf("%d migrations kept, want at most %d", n, maxSeen)
	}
}
