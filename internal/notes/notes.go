// Package notes keeps the responders' timeline of an environment: notes
// typed during an incident and figures pinned from the charts, each with
// who and when, in a JSON Lines file per environment beside the audit log.
// They become marks on every time axis and rows of the report's timeline.
package notes

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/opsdeck/opsdeck/internal/safetext"
	"github.com/opsdeck/opsdeck/sources"
)

// Kinds of entries.
const (
	Note = "note"
	Pin  = "pin"
)

// MaxText bounds a note, in characters (as the console's input counts
// them): a line of a timeline, not a document.
const MaxText = 1000

// readLimit bounds how many entries a read keeps: the newest.
const readLimit = 2000

// maxLine is the longest line a read takes for an entry (a note of
// MaxText characters, each escaped by JSON into at most six bytes, and
// its fields); a longer one is not an entry and is skipped whole.
const maxLine = 64 << 10

// tailBytes is how much of the file's end a read looks at: more than
// readLimit entries of any likely size, so that a file grown over
// months (or filled by something else) is not read whole at every
// refresh.
const tailBytes = 8 << 20

// Entry is one note or pin.
type Entry struct {
	// Time is when it was written.
	Time        time.Time `json:"time"`
	Environment string    `json:"environment"`
	User        string    `json:"user"`
	Host        string    `json:"host,omitempty"`
	Kind        string    `json:"kind"`
	// Text is the note, or the pinned figure in words ("Error rate (5xx)
	// 3.2 %").
	Text string `json:"text"`
	// At is the instant a pinned figure is of (the cursor's); zero for a
	// note, which is of its Time.
	At time.Time `json:"at,omitzero"`
}

// When is the instant the entry stands at on a time axis.
func (e Entry) When() time.Time {
	if !e.At.IsZero() {
		return e.At
	}
	return e.Time
}

// Store is the notes of every environment, in dir (the audit log's).
type Store struct{ Dir string }

// Beside is the store in the audit log's directory.
func Beside(auditPath string) *Store { return &Store{Dir: filepath.Dir(auditPath)} }

// Path is environment env's file. Environment names are checked by the
// configuration (letters, digits, _ . -, starting with a letter or digit):
// one never leaves the directory.
func (s *Store) Path(env string) string { return filepath.Join(s.Dir, "notes-"+env+".jsonl") }

// Check is e as it may be kept, or why not: a kind, an environment, and
// text of at most MaxText characters, valid UTF-8, on one line. Check of
// its own result changes nothing: what Add kept, Read takes back.
func Check(e Entry) (Entry, error) {
	switch {
	case e.Kind != Note && e.Kind != Pin:
		return e, fmt.Errorf("unknown kind %q", e.Kind)
	case e.Environment == "" || strings.ContainsAny(e.Environment, "/\x00") || strings.HasPrefix(e.Environment, "."):
		return e, fmt.Errorf("no environment to keep it in")
	case !utf8.ValidString(e.Text):
		return e, errors.New("a note must be text (UTF-8)")
	}
	// One entry, one line of the timeline; control characters shown, not
	// obeyed, wherever it is read. Each stand-in is one character for
	// one, so the count below is the count typed.
	e.Text = strings.Join(strings.Fields(safetext.String(e.Text)), " ")
	// Who wrote it reaches the same screens: a name, as text.
	e.User, e.Host = name(e.User), name(e.Host)
	switch n := utf8.RuneCountInString(e.Text); {
	case n == 0:
		return e, errors.New("an empty note is not kept")
	case n > MaxText:
		return e, fmt.Errorf("a note holds at most %d characters (this one %d)", MaxText, n)
	}
	return e, nil
}

// maxName bounds a user's or host's name, in characters.
const maxName = 100

// name is a user or host name as shown: controls made visible, on one
// line, cut to maxName characters.
func name(s string) string {
	s = strings.Join(strings.Fields(safetext.String(s)), " ")
	if r := []rune(s); len(r) > maxName {
		s = string(r[:maxName-1]) + "…"
	}
	return s
}

// Add appends e to its environment's file, synced before it returns.
func (s *Store) Add(e Entry) (Entry, error) {
	e, err := Check(e)
	if err != nil {
		return e, err
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return e, fmt.Errorf("notes: %w", err)
	}
	f, err := open(s.Path(e.Environment), os.O_CREATE|os.O_RDWR|os.O_APPEND)
	if err != nil {
		return e, err
	}
	defer f.Close()
	line, err := json.Marshal(e)
	if err != nil {
		return e, err
	}
	// A torn last line (a crash mid-write) is skipped on read; start anew.
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, st.Size()-1); err == nil && last[0] != '\n' {
			line = append([]byte{'\n'}, line...)
		}
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		return e, fmt.Errorf("notes: %w", err)
	}
	return e, f.Sync()
}

// Read is env's entries, oldest first (the newest readLimit); a torn or
// foreign line is skipped.
func (s *Store) Read(env string) ([]Entry, error) {
	f, err := open(s.Path(env), os.O_RDONLY)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := tail(f)
	if err != nil {
		return nil, fmt.Errorf("notes: %w", err)
	}
	var out []Entry
	for {
		line, err := readLine(r)
		var e Entry
		if len(line) > 0 && json.Unmarshal(line, &e) == nil && e.Environment == env {
			if e, cerr := Check(e); cerr == nil {
				out = append(out, e)
			}
			if len(out) > readLimit {
				out = out[1:]
			}
		}
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("notes: %w", err)
		}
	}
}

// tail is f from the first whole line of its last tailBytes.
func tail(f *os.File) (*bufio.Reader, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	r := bufio.NewReaderSize(f, 64<<10)
	if st.Size() <= tailBytes {
		return r, nil
	}
	if _, err := f.Seek(st.Size()-tailBytes, io.SeekStart); err != nil {
		return nil, err
	}
	r.Reset(f)
	_, err = readLine(r) // the rest of a line begun before
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return r, err
}

// readLine is r's next line without its newline; a line longer than
// maxLine is read to its end and returned empty (skipped, not an error).
func readLine(r *bufio.Reader) ([]byte, error) {
	var line []byte
	long := false
	for {
		chunk, err := r.ReadSlice('\n')
		if !long {
			line = append(line, chunk...)
			if len(line) > maxLine {
				line, long = nil, true
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return bytes.TrimSuffix(line, []byte("\n")), err
	}
}

// Marks are entries as marks on the time axis, oldest first.
func Marks(entries []Entry) []sources.Mark {
	out := make([]sources.Mark, 0, len(entries))
	for _, e := range entries {
		kind := sources.MarkNote
		if e.Kind == Pin {
			kind = sources.MarkPin
		}
		by := e.Kind + " by " + e.User
		// A note put at an earlier instant (the cursor's) says when it
		// was written: the timeline must not read it as said at the time.
		if e.Kind == Note && !e.At.IsZero() && e.Time.Sub(e.At).Abs() >= time.Minute {
			by += " (written " + e.Time.UTC().Format("15:04:05") + " UTC)"
		}
		out = append(out, sources.Mark{At: e.When(), Kind: kind, Text: by + ": " + e.Text})
	}
	return sources.SortMarks(out)
}

// open opens path as a regular file only: never through a link (it could
// send the notes anywhere), never waiting on a FIFO.
func open(path string, flag int) (*os.File, error) {
	f, err := os.OpenFile(path, flag|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0o600)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.ENXIO) || errors.Is(err, syscall.EISDIR) {
			return nil, fmt.Errorf("notes: %s is not a regular file: refused", safetext.String(path))
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("notes: %w", err)
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("notes: %s is not a regular file: refused", safetext.String(path))
	}
	if err == nil {
		err = syscall.SetNonblock(int(f.Fd()), false)
	}
	if err == nil && flag&os.O_CREATE != 0 {
		err = f.Chmod(0o600)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
