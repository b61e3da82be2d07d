package actions

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
