package actions

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/sources"
)

func TestAuditAppendsPrivatelyAndReadsBack(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := &Audit{Path: filepath.Join(dir, "state", "opsdeck", "audit.jsonl")}
	exit := 0
	long := make([]string, 50)
	for i := range long {
		long[i] = "line"
	}
	for _, r := range []Record{
		{Time: time.Now(), Phase: "started", Environment: "qa", Action: "migrate", Command: "alembic upgrade head", Target: "db.qa:5432/origin_db"},
		{Time: time.Now(), Phase: "finished", Environment: "qa", Action: "migrate", ExitCode: &exit, DurationMS: 1200, OutputTail: long},
	} {
		if err := a.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	st, err := os.Stat(a.Path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("audit file mode %v (%v)", st.Mode(), err)
	}
	if dst, _ := os.Stat(filepath.Dir(a.Path)); dst.Mode().Perm() != 0o700 {
		t.Errorf("audit directory mode %v", dst.Mode())
	}
	// A crash mid-write leaves a torn line: it is skipped.
	f, _ := os.OpenFile(a.Path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"phase":"sta`)
	f.Close()
	if err := a.Write(Record{Phase: "started", Action: "reset"}); err != nil {
		t.Fatal(err)
	}
	recs, err := a.Recent(10)
	if err == nil && (len(recs) != 3 || recs[2].Action != "reset") {
		t.Fatalf("the record after a torn line: %+v", recs)
	}
	recs = recs[:2]
	if err != nil || len(recs) != 2 || recs[0].Phase != "started" || recs[1].ExitCode == nil || len(recs[1].OutputTail) != auditTail {
		t.Fatalf("recent = %+v %v", recs, err)
	}
	if got := DefaultAuditPath(func(k string) (string, bool) { return map[string]string{"HOME": "/home/x"}[k], k == "HOME" }); !strings.HasSuffix(got, "/home/x/.local/state/opsdeck/audit.jsonl") {
		t.Errorf("default path %s", got)
	}
}

// TestAuditPathNeverRelative: with HOME unset, or XDG_STATE_HOME relative,
// the audit log is not written relative to wherever opsdeck was started.
func TestAuditPathNeverRelative(t *testing.T) {
	for _, env := range []map[string]string{{}, {"HOME": ""}, {"XDG_STATE_HOME": "state"}, {"XDG_STATE_HOME": "state", "HOME": "home"}} {
		got := DefaultAuditPath(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
		if !filepath.IsAbs(got) || !strings.HasSuffix(got, "/opsdeck/audit.jsonl") {
			t.Errorf("%v: audit log at %q", env, got)
		}
	}
}

// TestAuditMarks: each run of one environment is one mark at its start,
// saying how it ended; other environments' runs are not its marks; a
// change to the file is read, an unchanged file is not read again.
func TestAuditMarks(t *testing.T) {
	a := &Audit{Path: filepath.Join(t.TempDir(), "audit.jsonl")}
	if m, err := a.Marks("qa"); err != nil || len(m) != 0 {
		t.Fatalf("no log: %v %v", m, err)
	}
	start := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	zero, one := 0, 1
	for _, r := range []Record{
		{ID: "0", Time: start, Phase: "started", User: "ana", Environment: "qa", Action: "migration-sql", PartOf: "migrate preflight"},
		{ID: "0", Time: start, Phase: "finished", User: "ana", Environment: "qa", Action: "migration-sql", PartOf: "migrate preflight", ExitCode: &zero},
		{ID: "1", Time: start, Phase: "started", User: "ana", Environment: "qa", Action: "migrate"},
		{ID: "2", Time: start.Add(time.Minute), Phase: "started", User: "bo", Environment: "prod", Action: "reset"},
		{ID: "1", Time: start.Add(30 * time.Second), Phase: "finished", User: "ana", Environment: "qa", Action: "migrate", ExitCode: &zero},
		{ID: "3", Time: start.Add(2 * time.Minute), Phase: "started", User: "ana", Environment: "qa", Action: "reset\x1b[2J"},
	} {
		if err := a.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	marks, err := a.Marks("qa")
	if err != nil {
		t.Fatal(err)
	}
	// The preflight's render is a step of the migration, not a mark.
	want := []sources.Mark{
		{At: start, Kind: sources.MarkAction, Text: "migrate by ana: done"},
		{At: start.Add(2 * time.Minute), Kind: sources.MarkAction, Text: "reset␛[2J by ana: running"},
	}
	if len(marks) != len(want) {
		t.Fatalf("marks %+v, want %+v", marks, want)
	}
	for i := range want {
		if !marks[i].At.Equal(want[i].At) || marks[i].Text != want[i].Text || marks[i].Kind != want[i].Kind {
			t.Errorf("mark %d: %+v, want %+v", i, marks[i], want[i])
		}
	}
	if err := a.Write(Record{ID: "3", Time: start.Add(3 * time.Minute), Phase: "finished", User: "ana", Environment: "qa", Action: "reset", ExitCode: &one}); err != nil {
		t.Fatal(err)
	}
	if marks, _ = a.Marks("qa"); len(marks) != 2 || marks[1].Text != "reset␛[2J by ana: exit 1" {
		t.Errorf("after the run ended: %+v", marks)
	}
}
