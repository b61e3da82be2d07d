package actions

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// notALog is something other than a regular file at the audit log's path,
// made by make in dir, with the words its refusal must hold.
type notALog struct {
	name  string
	make  func(t *testing.T, dir, path string)
	words string
	// fifo is a FIFO an open of the path could wait on (nil when none).
	fifo func(dir string) string
}

func notALogs() []notALog {
	fifoAt := func(t *testing.T, p string) {
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	link := func(t *testing.T, to, p string) {
		if err := os.Symlink(to, p); err != nil {
			t.Fatal(err)
		}
	}
	return []notALog{
		{name: "a FIFO", make: func(t *testing.T, _, p string) { fifoAt(t, p) }, words: "is a FIFO, not a regular file",
			fifo: func(dir string) string { return filepath.Join(dir, "audit.jsonl") }},
		{name: "a symlink to a regular file", words: "is a symbolic link (to ", make: func(t *testing.T, dir, p string) {
			if err := os.WriteFile(filepath.Join(dir, "elsewhere"), []byte("kept\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			link(t, filepath.Join(dir, "elsewhere"), p)
		}},
		{name: "a symlink to /dev/zero", words: "is a symbolic link (to /dev/zero)", make: func(t *testing.T, _, p string) { link(t, "/dev/zero", p) }},
		{name: "a symlink to a FIFO", words: "is a symbolic link (to ", make: func(t *testing.T, dir, p string) {
			fifoAt(t, filepath.Join(dir, "fifo"))
			link(t, filepath.Join(dir, "fifo"), p)
		}, fifo: func(dir string) string { return filepath.Join(dir, "fifo") }},
		{name: "a directory", words: "is a directory, not a regular file", make: func(t *testing.T, _, p string) {
			if err := os.Mkdir(p, 0o700); err != nil {
				t.Fatal(err)
			}
		}},
	}
}

// unhang opens and closes both ends of fifo: whoever waits in an open of
// it goes on (a hung read then sees its end).
func unhang(fifo string) {
	if f, err := os.OpenFile(fifo, os.O_RDWR, 0); err == nil {
		f.Close()
	}
}

// TestAuditLogOnlyARegularFile: a FIFO, a symbolic link (to a regular file,
// to /dev/zero, to a FIFO) or a directory at the audit log's path is
// refused in words by every read and write, at once, and nothing is
// written through it. The time allowed is many times what the same calls
// take on a regular log.
func TestAuditLogOnlyARegularFile(t *testing.T) {
	t.Parallel()
	calls := map[string]func(a *Audit) error{
		"write":     func(a *Audit) error { return a.Write(Record{Phase: "started", Action: "migrate"}) },
		"recent":    func(a *Audit) error { _, err := a.Recent(10); return err },
		"abandoned": func(a *Audit) error { _, err := a.Abandoned("host", func(int) bool { return false }); return err },
		"marks":     func(a *Audit) error { _, err := a.Marks("qa"); return err },
		"warnings": func(a *Audit) error {
			if w := AbandonedWarnings(a, "host"); len(w) > 0 {
				return &wordsError{strings.Join(w, "\n")}
			}
			return nil
		},
	}
	// What the calls take on a regular log, written first.
	regular := &Audit{Path: filepath.Join(t.TempDir(), "audit.jsonl")}
	start := time.Now()
	for _, name := range []string{"write", "recent", "abandoned", "marks", "warnings"} {
		if err := calls[name](regular); err != nil {
			t.Fatalf("%s on a regular log: %v", name, err)
		}
	}
	allowed := 100*time.Since(start) + time.Second
	for _, c := range notALogs() {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "audit.jsonl")
			c.make(t, dir, path)
			a := &Audit{Path: path}
			for name, call := range calls {
				done := make(chan error, 1)
				go func() { done <- call(a) }()
				var err error
				select {
				case err = <-done:
				case <-time.After(allowed):
					t.Errorf("%s hung on %s (%v)", name, c.name, allowed)
					for got := false; !got; {
						if c.fifo != nil {
							unhang(c.fifo(dir))
						}
						select {
						case err = <-done:
							got = true
						case <-time.After(100 * time.Millisecond):
						}
					}
				}
				if err == nil || !strings.Contains(err.Error(), "the audit log "+path+" "+c.words) ||
					!strings.Contains(err.Error(), "opsdeck writes its audit trail only to a regular file") {
					t.Errorf("%s on %s: %v", name, c.name, err)
				}
			}
			if b, err := os.ReadFile(filepath.Join(dir, "elsewhere")); err == nil && string(b) != "kept\n" {
				t.Errorf("written through the symbolic link: %q", b)
			}
		})
	}
}

type wordsError struct{ s string }

func (e *wordsError) Error() string { return e.s }
