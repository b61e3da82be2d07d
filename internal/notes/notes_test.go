package notes

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/sources"
)

// TestNotesSurviveAndStayPerEnvironment: notes and pins written by one
// store are read by another on the same directory (a restart), oldest
// first, each environment its own; the file is private; a torn line is
// skipped and the next entry starts on a line of its own.
func TestNotesSurviveAndStayPerEnvironment(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "opsdeck")
	s := Beside(filepath.Join(dir, "audit.jsonl"))
	t0 := time.Date(2026, 12, 6, 14, 0, 0, 0, time.UTC)
	must := func(_ Entry, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.Add(Entry{Time: t0, Environment: "qa", User: "ana", Kind: Note, Text: "  rolled back\nthe   deploy \x1b[2J "}))
	must(s.Add(Entry{Time: t0.Add(time.Minute), Environment: "prod", User: "bo", Kind: Note, Text: "prod only"}))
	f, _ := os.OpenFile(s.Path("qa"), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"time":"2026-12-06T14:0`)
	f.Close()
	must(s.Add(Entry{Time: t0.Add(2 * time.Minute), At: t0.Add(-time.Minute), Environment: "qa", User: "ana", Kind: Pin, Text: "Error rate (5xx) 3.2 %"}))

	got, err := Beside(filepath.Join(dir, "audit.jsonl")).Read("qa")
	if err != nil || len(got) != 2 {
		t.Fatalf("read %+v, %v", got, err)
	}
	if got[0].Text != "rolled back the deploy ␛[2J" || got[0].User != "ana" || !got[0].Time.Equal(t0) {
		t.Errorf("the note reads %+v", got[0])
	}
	marks := Marks(got)
	if len(marks) != 2 || marks[0].Kind != sources.MarkPin || !marks[0].At.Equal(t0.Add(-time.Minute)) ||
		marks[0].Text != "pin by ana: Error rate (5xx) 3.2 %" || marks[1].Kind != sources.MarkNote {
		t.Errorf("marks %+v", marks)
	}
	if st, err := os.Stat(s.Path("qa")); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v %v", st.Mode(), err)
	}
	if prod, _ := s.Read("prod"); len(prod) != 1 || prod[0].Text != "prod only" {
		t.Errorf("prod reads %+v", prod)
	}
}

// TestNotesRefused: an empty or oversized note, and a notes file that is a
// link, are refused; nothing is written through the link.
func TestNotesRefused(t *testing.T) {
	dir := t.TempDir()
	s := &Store{Dir: dir}
	for _, e := range []Entry{
		{Environment: "qa", Kind: Note, Text: "   "},
		{Environment: "qa", Kind: Note, Text: strings.Repeat("x", MaxText+1)},
		{Environment: "qa", Kind: "shout", Text: "x"},
		{Environment: "../x", Kind: Note, Text: "x"},
	} {
		if _, err := s.Add(e); err == nil {
			t.Errorf("kept %+v", e)
		}
	}
	target := filepath.Join(dir, "elsewhere")
	if err := os.Symlink(target, s.Path("qa")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Add(Entry{Environment: "qa", Kind: Note, Text: "x"}); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("through a link: %v", err)
	}
	if _, err := os.Stat(target); err == nil {
		t.Error("written through the link")
	}
}
