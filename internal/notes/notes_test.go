package notes

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
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

// TestNoteKeptIsReadBack: a note the input allows (MaxText characters,
// control characters or letters of two bytes among them) is kept, and
// read back the same after a restart: none is dropped on reading for
// growing when its control characters were made visible.
func TestNoteKeptIsReadBack(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	for _, text := range []string{
		strings.Repeat("\x1b", 400) + strings.Repeat("x", MaxText-400),
		strings.Repeat("é", MaxText),
		"paste \u202eevil\u202c and \x07 bell",
	} {
		kept, err := s.Add(Entry{Time: time.Now(), Environment: "qa", User: "ana", Kind: Note, Text: text})
		if err != nil {
			t.Errorf("%.20q… not kept: %v", text, err)
			continue
		}
		got, err := s.Read("qa")
		if err != nil || len(got) == 0 || got[len(got)-1].Text != kept.Text {
			t.Errorf("%.20q… kept as %.40q, read back as %v (%v)", text, kept.Text, len(got), err)
		}
	}
	if _, err := s.Add(Entry{Environment: "qa", Kind: Note, Text: strings.Repeat("é", MaxText+1)}); err == nil {
		t.Error("a note over MaxText characters was kept")
	}
}

// TestCorruptNotesFileKeepsTheRest: a line too long to be a note (a
// corrupt or foreign file), garbage and a NUL-filled block (a crash on
// some file systems) lose only themselves: the notes after them are read.
func TestCorruptNotesFileKeepsTheRest(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	if _, err := s.Add(Entry{Time: time.Now(), Environment: "qa", User: "ana", Kind: Note, Text: "before"}); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(s.Path("qa"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"text":"` + strings.Repeat("A", 3<<20) + "\"}\n")
	f.WriteString("garbage\n" + strings.Repeat("\x00", 4096) + "\n")
	f.Close()
	if _, err := s.Add(Entry{Time: time.Now(), Environment: "qa", User: "bo", Kind: Note, Text: "after"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Read("qa")
	if err != nil || len(got) != 2 || got[0].Text != "before" || got[1].Text != "after" {
		t.Errorf("read %d entries (%v): %+v", len(got), err, got)
	}
}

// TestTwoConsolesWriteAtOnce: two stores on one file (two consoles on
// one machine) adding at the same time lose no note and tear none.
func TestTwoConsolesWriteAtOnce(t *testing.T) {
	dir := t.TempDir()
	const each = 200
	var wg sync.WaitGroup
	errs := make(chan error, 2*each)
	for _, who := range []string{"ana", "bo"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := &Store{Dir: dir}
			for i := range each {
				if _, err := s.Add(Entry{Time: time.Now(), Environment: "qa", User: who, Kind: Note, Text: fmt.Sprintf("%s %d %s", who, i, strings.Repeat("y", 900))}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got, err := (&Store{Dir: dir}).Read("qa")
	if err != nil || len(got) != 2*each {
		t.Errorf("read %d of %d notes: %v", len(got), 2*each, err)
	}
}

// TestNoteFieldsShownNotObeyed: who wrote an entry (a user or host name
// from the file, or from the account) reaches the time axis and the
// report as text: controls made visible, cut to a name's length.
func TestNoteFieldsShownNotObeyed(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	line := `{"time":"2026-12-06T14:00:00Z","environment":"qa","user":"ana\u001b]0;pwned\u0007","host":"h\u202eost` + strings.Repeat("x", 500) + `","kind":"note","text":"hi"}` + "\n"
	if err := os.WriteFile(s.Path("qa"), []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := s.Read("qa")
	if err != nil || len(got) != 1 {
		t.Fatalf("%+v %v", got, err)
	}
	if e := got[0]; strings.ContainsAny(e.User+e.Host, "\x1b\x07\u202e") || len(e.Host) > 4*maxName || !strings.HasPrefix(e.User, "ana") {
		t.Errorf("user %q host %q", e.User, e.Host)
	}
	if m := Marks(got); strings.ContainsAny(m[0].Text, "\x1b\x07") {
		t.Errorf("mark %q", m[0].Text)
	}
}

// TestBackdatedNoteSaysWhenWritten: a note put at the cursor's instant
// (ten minutes back) is marked there and says when it was written: the
// postmortem's timeline must not read it as said at the time.
func TestBackdatedNoteSaysWhenWritten(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 14, 10, 0, 0, time.UTC)
	m := Marks([]Entry{
		{Time: t0, At: t0.Add(-10 * time.Minute), Environment: "qa", User: "ana", Kind: Note, Text: "the spike began here"},
		{Time: t0, At: t0.Add(-10 * time.Minute), Environment: "qa", User: "ana", Kind: Pin, Text: "Error rate (5xx) 3.2 %"},
		{Time: t0, Environment: "qa", User: "bo", Kind: Note, Text: "rolling back"},
	})
	want := []string{"note by ana (written 14:10:00 UTC): the spike began here", "pin by ana: Error rate (5xx) 3.2 %", "note by bo: rolling back"}
	for i, w := range want {
		if i >= len(m) || m[i].Text != w {
			t.Errorf("mark %d: %+v, want %q", i, m, w)
		}
	}
}
