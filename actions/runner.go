package actions

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/internal/safetext"
)

// Command is a process to run: an argv, or an explicit shell string (only
// when the configuration says `shell:`; arguments never pass through a shell
// otherwise).
type Command struct {
	Argv  []string
	Shell string
	Dir   string
	// Env are extra KEY=value pairs on top of opsdeck's environment.
	Env []string
	// Timeout ends the command (0: none); Grace is how long SIGINT has
	// before SIGKILL (default 5s).
	Timeout, Grace time.Duration
	// Scrub keeps the configuration's secrets out of the command as shown
	// and audited, and out of its output (nil: URL passwords only).
	Scrub *redact.Scrubber
	// Credentials are the configuration's passwords and tokens: a plan
	// refuses a command line that carries one (nil: URL passwords only).
	Credentials *redact.Scrubber
	// path is the executable a plan resolved argv[0] to ("" to look it up).
	path string
}

// argv is the process's argument vector: the shell's for a shell string.
func (c Command) argv() []string {
	if c.Shell != "" {
		return []string{"/bin/sh", "-c", c.Shell}
	}
	return c.Argv
}

// String is the command as shown and audited, secrets masked: a command
// line may carry a URL with its password. An argument that a plain join
// would misread (a space, a quote, a newline, a control or format
// character, bytes that are not UTF-8: a selection's value may hold any)
// is quoted, so one argument reads as one and nothing acts on a terminal.
func (c Command) String() string {
	if c.Shell != "" {
		return c.Scrub.String(c.Shell)
	}
	args := make([]string, len(c.Argv))
	for i, a := range c.Argv {
		args[i] = Shown(c.Scrub.String(a))
	}
	return c.Scrub.String(strings.Join(args, " "))
}

// Shown is s as a command line or the audit log shows one value: as it
// is when it reads unmistakably, else quoted with Go's escapes.
func Shown(s string) string {
	if s == "" {
		return `""`
	}
	for _, r := range s {
		if r == utf8.RuneError || r == '"' || r == '\'' || r == '\\' || unicode.IsSpace(r) || !strconv.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

// Stream names where a line came from.
type Stream string

const (
	Stdout Stream = "stdout"
	Stderr Stream = "stderr"
)

// Event is one line of output, or the end of the run.
type Event struct {
	Stream Stream
	Line   string
	// Done marks the last event: Exit is the exit status (-1 when the
	// process did not exit by itself), Err says why it failed to run or was
	// stopped.
	Done    bool
	Exit    int
	Err     error
	Elapsed time.Duration
}

// TailLines is how many lines of output a run keeps (for the audit log and
// the output pane's scrollback).
const TailLines = 200

// Run is a started command.
type Run struct {
	// Events delivers output lines as they come, then one Done event, then closes.
	Events <-chan Event

	cancel context.CancelFunc
	mu     sync.Mutex
	tail   []string
}

// MaxLine bounds one line of output.
const MaxLine = 1 << 20

// ErrCancelled is the Err of a run stopped by Cancel.
var ErrCancelled = errors.New("cancelled")

// Start runs c in its own process group. Secrets in its output are scrubbed
// (c.Scrub) before anything sees them.
func Start(ctx context.Context, c Command) (*Run, error) {
	scrub := c.Scrub
	argv := c.argv()
	if len(argv) == 0 {
		return nil, errors.New("empty command")
	}
	if c.Grace <= 0 {
		c.Grace = 5 * time.Second
	}
	exe := c.path
	if exe == "" {
		found, err := exec.LookPath(argv[0])
		if err != nil {
			return nil, fmt.Errorf("command not found: %s", argv[0])
		}
		exe = found
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	if c.Timeout > 0 {
		var stop context.CancelFunc
		runCtx, stop = context.WithTimeoutCause(runCtx, c.Timeout, fmt.Errorf("timed out after %s", c.Timeout))
		inner := cancel
		cancel = func(cause error) { stop(); inner(cause) }
	}
	// The executable by its path, argv[0] as written: the program a plan
	// resolved, whatever PATH says now.
	cmd := &exec.Cmd{Path: exe, Args: argv, Dir: c.Dir}
	cmd.Env = append(os.Environ(), c.Env...)
	// Pdeathsig: the command dies with opsdeck, even a kill -9 of it, rather
	// than run on unwatched with only a "started" record.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel(nil)
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		cancel(nil)
		return nil, err
	}
	start := time.Now()
	// The parent-death signal follows the thread that forked, not the
	// process: fork from a thread the runtime keeps.
	runtime.LockOSThread()
	err = cmd.Start()
	runtime.UnlockOSThread()
	if err != nil {
		cancel(nil)
		return nil, fmt.Errorf("cannot start %s: %s", argv[0], scrub.String(err.Error()))
	}
	events := make(chan Event, 64)
	r := &Run{Events: events, cancel: func() { cancel(ErrCancelled) }}

	var readers sync.WaitGroup
	read := func(s Stream, pipe io.Reader) {
		defer readers.Done()
		br := bufio.NewReaderSize(pipe, 64<<10)
		for {
			text, err := readLine(br)
			if text != "" || err == nil {
				// Output is shown in the console: text, never terminal controls.
				line := safetext.String(scrub.String(text))
				r.keep(line)
				events <- Event{Stream: s, Line: line}
			}
			if err != nil {
				return
			}
		}
	}
	readers.Add(2)
	go read(Stdout, stdout)
	go read(Stderr, stderr)

	// Stop the whole group on cancel or timeout: SIGINT first, as a person
	// pressing ctrl+c would, then SIGKILL.
	exited := make(chan struct{})
	go func() {
		select {
		case <-exited:
			return
		case <-runCtx.Done():
		}
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
		select {
		case <-exited:
		case <-time.After(c.Grace):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	}()
	go func() {
		readers.Wait() // the pipes close when the process (and its children) close them
		err := cmd.Wait()
		close(exited)
		ev := Event{Done: true, Exit: cmd.ProcessState.ExitCode(), Elapsed: time.Since(start)}
		if cause := context.Cause(runCtx); cause != nil && runCtx.Err() != nil {
			ev.Err = cause
		} else if err != nil {
			var exitErr *exec.ExitError
			if !errors.As(err, &exitErr) {
				ev.Err = err
			}
		}
		// Children left holding nothing still die with the group.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cancel(nil)
		events <- ev
		close(events)
	}()
	return r, nil
}

// readLine is br's next line without its line ending. A line longer
// than MaxLine is cut there, saying so, and the rest of it read and
// dropped: the pipe is always drained, so the command is never left
// blocked writing to it.
func readLine(br *bufio.Reader) (string, error) {
	var line []byte
	cut := false
	for {
		chunk, err := br.ReadSlice('\n')
		if room := MaxLine - len(line); len(chunk) > room {
			chunk, cut = chunk[:room], true
		}
		line = append(line, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		text := strings.TrimSuffix(strings.TrimSuffix(string(line), "\n"), "\r")
		if cut {
			text += fmt.Sprintf(" … (line cut at %d bytes)", MaxLine)
		}
		return text, err
	}
}

// Cancel stops the run (SIGINT to its process group, SIGKILL after the grace).
func (r *Run) Cancel() { r.cancel() }

// Tail is the last TailLines lines of output.
func (r *Run) Tail() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.tail...)
}

func (r *Run) keep(line string) {
	r.mu.Lock()
	r.tail = append(r.tail, line)
	if len(r.tail) > TailLines {
		r.tail = r.tail[len(r.tail)-TailLines:]
	}
	r.mu.Unlock()
}
