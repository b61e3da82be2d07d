package actions

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/opsdeck/opsdeck/internal/safetext"
	"github.com/opsdeck/opsdeck/sources"
)

// Record is one line of the audit log. A run writes a "started" record
// before it begins and a "finished" one after, so that a crash leaves a trace.
type Record struct {
	// ID ties a run's records together; PID is the opsdeck process that ran
	// it, so that a later start can tell a run still going from one whose
	// opsdeck was killed.
	ID          string    `json:"id,omitempty"`
	PID         int       `json:"pid,omitempty"`
	Time        time.Time `json:"time"`
	Phase       string    `json:"phase"` // started, finished, or abandoned (its opsdeck died mid-run)
	User        string    `json:"user"`
	Host        string    `json:"host"`
	Environment string    `json:"environment"`
	Action      string    `json:"action"`
	// Kind is the action's kind as the contract names it ("command" for a
	// runbook command named "tests").
	Kind         string   `json:"kind,omitempty"`
	Command      string   `json:"command"`
	Target       string   `json:"target"`       // redacted
	Confirmation string   `json:"confirmation"` // what the guard asked and got
	ExitCode     *int     `json:"exit_code,omitempty"`
	DurationMS   int64    `json:"duration_ms,omitempty"`
	Error        string   `json:"error,omitempty"`
	OutputTail   []string `json:"output_tail,omitempty"`
	// PartOf names the action a helper run served ("migrate preflight"): a
	// step of it, not an action of its own on the time axis.
	PartOf string `json:"part_of,omitempty"`
	// Vars are the selection's values a runbook command ran with
	// ($PID, $TRACE_ID…), secrets masked.
	Vars map[string]string `json:"vars,omitempty"`
}

// Audit appends records to a JSON Lines file, created 0600 in a 0700
// directory.
type Audit struct {
	Path string
	mu   sync.Mutex

	// The marks of the last read, kept while the file is unchanged: the
	// console asks at every refresh.
	marksMu  sync.Mutex
	marksKey [2]int64 // size, modification time
	marks    []envMark
}

// DefaultAuditPath is $XDG_STATE_HOME/opsdeck/audit.jsonl (~/.local/state
// when unset). Relative values are ignored, as the XDG spec says, and
// without HOME the home directory is the user's own (from the password
// database): never a path relative to wherever opsdeck was started.
func DefaultAuditPath(lookup func(string) (string, bool)) string {
	if dir, _ := lookup("XDG_STATE_HOME"); filepath.IsAbs(dir) {
		return filepath.Join(dir, "opsdeck", "audit.jsonl")
	}
	home, _ := lookup("HOME")
	if !filepath.IsAbs(home) {
		if u, err := user.Current(); err == nil && filepath.IsAbs(u.HomeDir) {
			home = u.HomeDir
		} else {
			home = filepath.Join(os.TempDir(), "opsdeck-"+strconv.Itoa(os.Getuid()))
		}
	}
	return filepath.Join(home, ".local", "state", "opsdeck", "audit.jsonl")
}

// NoteKind and PinKind are the audit records of a responder's note and
// pinned figure: kept in the notes file, recorded here as who did what.
const (
	NoteKind = "note"
	PinKind  = "pin"
)

// Noted records that who added a note or pin (kind) in env, text already
// masked; the record's phase is "noted": nothing ran.
func (a *Audit) Noted(who Who, env, kind, text string, at time.Time) error {
	return a.Write(Record{ID: newRunID(), PID: os.Getpid(), Time: at, Phase: "noted", User: who.User, Host: who.Host,
		Environment: env, Action: kind, Kind: kind, Command: kind, Target: text, Confirmation: "none needed (a note)"})
}

// auditTail is how many output lines a finished record keeps.
const auditTail = 20

// Write appends r, synced to disk before it returns. The log is a regular
// file or nothing: anything else at its path is refused (openLog), and a
// record that cannot be written refuses the action that wanted it.
func (a *Audit) Write(r Record) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(r.OutputTail) > auditTail {
		r.OutputTail = r.OutputTail[len(r.OutputTail)-auditTail:]
	}
	if err := os.MkdirAll(filepath.Dir(a.Path), 0o700); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	// Read and write: the last byte is read from the file written, never
	// from whatever the path names by then.
	f, err := openLog(a.Path, os.O_CREATE|os.O_RDWR|os.O_APPEND)
	if err != nil {
		return err
	}
	defer f.Close()
	// An existing file keeps its mode; make sure it is private.
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	line, err := json.Marshal(r)
	if err != nil {
		return err
	}
	// After a torn line (a crash mid-write), start on a fresh one.
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, st.Size()-1); err == nil && last[0] != '\n' {
			line = append([]byte{'\n'}, line...)
		}
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	return f.Sync()
}

// openLog opens the audit log at path with flag, a regular file only. The
// last component is never followed (O_NOFOLLOW: a link could send the
// trail anywhere) and the open never waits (O_NONBLOCK: opening a FIFO
// would wait for its other end, hanging opsdeck); anything but a regular
// file is refused in words.
func openLog(path string, flag int) (*os.File, error) {
	f, err := os.OpenFile(path, flag|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0o600)
	if err != nil {
		// ELOOP: a symbolic link; ENXIO: a FIFO without a reader, or a
		// socket; EISDIR: a directory opened for writing.
		if errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.ENXIO) || errors.Is(err, syscall.EISDIR) {
			if fi, lerr := os.Lstat(path); lerr == nil && !fi.Mode().IsRegular() {
				return nil, notRegular(path, fi.Mode())
			}
		}
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, notRegular(path, fi.Mode())
	}
	// O_NONBLOCK means nothing to a regular file; cleared all the same, so
	// that its writes are the ordinary blocking ones.
	if err := syscall.SetNonblock(int(f.Fd()), false); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// NotRegularError is something other than a regular file at the audit
// log's path.
type NotRegularError struct {
	Path string
	// What is there: "a FIFO", "a symbolic link (to /dev/zero)"…
	What string
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("the audit log %s is %s, not a regular file: opsdeck writes its audit trail only to a regular file", e.Path, e.What)
}

// notRegular names what mode is.
func notRegular(path string, mode os.FileMode) error {
	what := "not a regular file"
	switch {
	case mode&os.ModeSymlink != 0:
		what = "a symbolic link"
		if to, err := os.Readlink(path); err == nil {
			what += " (to " + safetext.String(to) + ")"
		}
	case mode&os.ModeNamedPipe != 0:
		what = "a FIFO"
	case mode.IsDir():
		what = "a directory"
	case mode&os.ModeSocket != 0:
		what = "a socket"
	case mode&os.ModeDevice != 0:
		what = "a device"
	}
	return &NotRegularError{Path: safetext.String(path), What: what}
}

// AuditProblem is err in words for a reader of the audit log: "audit log: …"
// unless it already says which log and what is wrong with it.
func AuditProblem(err error) string {
	var nr *NotRegularError
	if errors.As(err, &nr) {
		return err.Error()
	}
	return "audit log: " + err.Error()
}

// Abandoned finds runs of this host that started and never finished while
// the opsdeck that ran them is gone (killed, or its machine restarted), marks
// each with an "abandoned" record so that it is reported once, and returns
// them.
func (a *Audit) Abandoned(host string, alive func(pid int) bool) ([]Record, error) {
	f, err := openLog(a.Path, os.O_RDONLY)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	open := map[string]Record{}
	var order []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		var r Record
		if json.Unmarshal(sc.Bytes(), &r) != nil || r.ID == "" {
			continue
		}
		if r.Phase == "started" {
			open[r.ID] = r
			order = append(order, r.ID)
		} else {
			delete(open, r.ID)
		}
	}
	f.Close()
	if err := sc.Err(); err != nil {
		return nil, err
	}
	var out []Record
	for _, id := range order {
		r, ok := open[id]
		if !ok || r.Host != host || alive(r.PID) {
			continue
		}
		out = append(out, r)
		mark := r
		mark.Phase, mark.Time, mark.Error = "abandoned", time.Now(), "the opsdeck that ran it ended without recording how it ended (killed?); what it did is unknown"
		if err := a.Write(mark); err != nil {
			return out, err
		}
	}
	return out, nil
}

// ProcessAlive reports whether pid is a running process of this machine.
func ProcessAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// AbandonedWarnings are the runs an earlier opsdeck left unfinished, in
// words, each reported once.
func AbandonedWarnings(audit *Audit, host string) []string {
	recs, err := audit.Abandoned(host, ProcessAlive)
	var out []string
	for _, r := range recs {
		out = append(out, fmt.Sprintf("audit log: %s in %s, started %s by %s, never finished: the opsdeck running it was killed; check what it did",
			r.Action, r.Environment, r.Time.Local().Format("2006-01-02 15:04:05"), r.User))
	}
	if err != nil {
		out = append(out, AuditProblem(err))
	}
	return out
}

// Recent returns the last n records, oldest first. A torn last line (a
// crash mid-write) is skipped.
func (a *Audit) Recent(n int) ([]Record, error) {
	f, err := openLog(a.Path, os.O_RDONLY)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return recent(f, n)
}

// recent reads the last n records of r, oldest first.
func recent(r io.Reader, n int) ([]Record, error) {
	var out []Record
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		var r Record
		if json.Unmarshal(sc.Bytes(), &r) == nil {
			out = append(out, r)
			if len(out) > n {
				out = out[1:]
			}
		}
	}
	return out, sc.Err()
}

// MarksRead bounds how many records a read for marks looks at: the newest.
const MarksRead = 2000

// Marks are env's runs in the log as marks on the charts: each at its
// start, saying what ran, who ran it and how it ended. The file is read
// again only when it changed.
func (a *Audit) Marks(env string) ([]sources.Mark, error) {
	f, err := openLog(a.Path, os.O_RDONLY)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	a.marksMu.Lock()
	defer a.marksMu.Unlock()
	key := [2]int64{fi.Size(), fi.ModTime().UnixNano()}
	if key != a.marksKey || a.marks == nil {
		recs, err := recent(f, MarksRead)
		if err != nil {
			return nil, err
		}
		a.marks, a.marksKey = recordMarks(recs), key
	}
	return only(a.marks, env), nil
}

// MarksOf are env's runs among recs, as marks.
func MarksOf(recs []Record, env string) []sources.Mark { return only(recordMarks(recs), env) }

// only are env's marks.
func only(marks []envMark, env string) []sources.Mark {
	var out []sources.Mark
	for _, m := range marks {
		if m.Env == env {
			out = append(out, m.Mark)
		}
	}
	return out
}

// envMark is a mark and the environment it happened in.
type envMark struct {
	sources.Mark
	Env string
}

// recordMarks turns records into marks, one per run, at its start. A run
// is its records with one ID; a record without one (older logs) stands for
// its run when it says how the run ended.
func recordMarks(recs []Record) []envMark {
	byID := map[string]int{}
	base := map[string]string{} // a run's words, from its first record
	var out []envMark
	for _, r := range recs {
		// A step is part of its action's mark; a note or pin is marked
		// from the notes file, as such.
		if r.PartOf != "" || r.Kind == NoteKind || r.Kind == PinKind {
			continue
		}
		text := safetext.String(r.Action + " by " + r.User)
		if i, ok := byID[r.ID]; ok && r.ID != "" {
			out[i].Text = base[r.ID] + outcome(r)
			continue
		}
		if r.ID == "" && r.Phase == "started" {
			continue // its finished record will stand for it
		}
		at := r.Time
		if r.Phase != "started" && r.DurationMS > 0 { // a finished record alone
			at = at.Add(-time.Duration(r.DurationMS) * time.Millisecond)
		}
		byID[r.ID], base[r.ID] = len(out), text
		out = append(out, envMark{Mark: sources.Mark{At: at, Kind: sources.MarkAction, Text: text + outcome(r)}, Env: r.Environment})
	}
	return out
}

// outcome is how a record says its run ended, as a suffix.
func outcome(r Record) string {
	switch {
	case r.Phase == "started":
		return ": running"
	case r.Phase == "abandoned":
		return ": never finished"
	case r.ExitCode != nil && *r.ExitCode == 0:
		return ": done"
	case r.ExitCode != nil:
		return fmt.Sprintf(": exit %d", *r.ExitCode)
	case r.Error != "":
		return ": " + safetext.String(r.Error)
	}
	return ""
}
