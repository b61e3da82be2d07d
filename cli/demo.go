package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The sandbox runs in a program of its own, internal/sandbox/opsdeck-sandbox:
// its servers, its synthetic API and their libraries (client_golang, the
// servers package) stay out of the console's binary and memory.

// demoFlags are `opsdeck demo`'s own flags.
type demoFlags struct {
	Serve         bool
	IncidentEvery time.Duration
}

// sandboxProgram is the sandbox's executable, looked for beside opsdeck's
// and then on PATH.
const sandboxProgram = "opsdeck-sandbox"

// firstLineWithin bounds the wait for the sandbox program's first line,
// which it prints before it starts anything: how long its start may take.
// The program runs to that line, and on to its end when no server is
// installed, in 50-80 ms here (two cores at load 1-2): the bound, over a
// hundred times that, only has to catch a program that is not ours.
const firstLineWithin = 10 * time.Second

// runDemo is `opsdeck demo`: the console against a throwaway sandbox.
func runDemo(a *app, d demoFlags) (err error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	prog, err := findSandbox(a.lookupEnv)
	if err != nil {
		return err
	}
	fmt.Fprintln(a.stderr, "opsdeck demo: starting a throwaway sandbox on free loopback ports (removed on exit)")
	sb, err := startSandbox(ctx, prog, []string{"--incident-every", d.IncidentEvery.String()}, a.stderr, firstLineWithin)
	if err != nil {
		return err
	}
	defer func() {
		if serr := sb.stop(a.stderr); err == nil {
			err = serr
		}
	}()
	if d.Serve {
		fmt.Fprintf(a.stdout, "config: %s\n", sb.config)
		fmt.Fprintf(a.stderr, "opsdeck demo: ready; run: opsdeck --config %s   (ctrl+c stops the sandbox)\n", sb.config)
		select {
		case <-ctx.Done():
			return nil
		case <-sb.exited:
			return sb.endedEarly("while it served")
		}
	}
	a.cli.ConfigFile = sb.config
	a.onScreen = true
	cfg, err := a.load()
	if err != nil {
		return err
	}
	// The sandbox is another process now: the console gets its one
	// processor as it does outside the demo.
	oneP(a.lookupEnv)
	// A sandbox that ends under the console ends the console, which would
	// otherwise show every source failing with no word why.
	run, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-sb.exited:
			cancel()
		case <-run.Done():
		}
	}()
	// Its lines would land on the console's screen: they wait until the
	// console has given the terminal back.
	sb.out.hold()
	err = a.console(run, cfg)
	sb.out.release()
	if sb.hasExited() && ctx.Err() == nil {
		return sb.endedEarly("while the console ran")
	}
	return err
}

// findSandbox is the sandbox program beside this executable, else on PATH.
func findSandbox(lookupEnv func(string) (string, bool)) (string, error) {
	var beside string
	if exe, err := os.Executable(); err == nil {
		beside = filepath.Dir(exe)
		if p := filepath.Join(beside, sandboxProgram); isExecutable(p) {
			return p, nil
		}
	}
	path, _ := lookupEnv("PATH")
	for _, dir := range filepath.SplitList(path) {
		// A relative entry would run whatever the current directory holds.
		if !filepath.IsAbs(dir) {
			continue
		}
		if p := filepath.Join(dir, sandboxProgram); isExecutable(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("opsdeck demo runs its sandbox in a program of its own, %s, which is neither in %s nor on PATH.\n"+
		"Build both with: make demo   (or make build: bin/opsdeck and bin/%s)\n"+
		"or put it beside opsdeck: go build -o %s ./internal/sandbox/opsdeck-sandbox",
		sandboxProgram, orUnknown(beside), sandboxProgram, filepath.Join(orUnknown(beside), sandboxProgram))
}

func orUnknown(dir string) string {
	if dir == "" {
		return "opsdeck's directory"
	}
	return dir
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0
}

// sandboxProc is the running sandbox program.
type sandboxProc struct {
	prog   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser // its lifeline: closed, the sandbox stops
	out    *heldWriter    // its stderr, passed on
	lines  *sandboxLines  // its stdout, read
	exited chan struct{}  // closed once it has ended and its output is read
	first  time.Duration  // the bound on its first line, and on a stop it gave none for
	err    error          // how it ended, once exited is closed
	config string         // the configuration's path
	killed bool           // it did not stop in time
}

// startSandbox starts the sandbox program and waits for its configuration:
// first for its limits, at most firstLine, then for the path, at most as
// long as it said its start and a stop after a failed start take. On any
// failure the program is stopped and the error says what was waited for.
func startSandbox(ctx context.Context, prog string, args []string, stderr io.Writer, firstLine time.Duration) (*sandboxProc, error) {
	sb := &sandboxProc{prog: prog, out: &heldWriter{w: stderr}, exited: make(chan struct{}), first: firstLine}
	sb.lines = &sandboxLines{changed: make(chan struct{}, 1), other: sb.out}
	sb.cmd = exec.Command(prog, args...)
	sb.cmd.Stdout, sb.cmd.Stderr = sb.lines, sb.out
	// A server left holding the output pipes must not hold Wait.
	sb.cmd.WaitDelay = 2 * time.Second
	// Its own process group: ctrl+c and a terminal's hang-up reach the
	// console, which stops the sandbox in order; the parent-death signal
	// stops it (cleanly: SIGTERM) should the console die without a word.
	sb.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	var err error
	if sb.stdin, err = sb.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	// The parent-death signal follows the thread that forked, not the
	// process: fork from a thread the runtime keeps (as actions.Start).
	runtime.LockOSThread()
	err = sb.cmd.Start()
	runtime.UnlockOSThread()
	if err != nil {
		return nil, fmt.Errorf("cannot start the sandbox program %s: %w", prog, err)
	}
	go func() {
		sb.err = sb.cmd.Wait()
		close(sb.exited)
	}()

	deadline := time.NewTimer(firstLine)
	defer deadline.Stop()
	waited := fmt.Sprintf("its first line (how long its start may take) within %s", firstLine)
	var armedAt time.Time // when its start's limit was read
	var armed time.Duration
	fail := func(err error) (*sandboxProc, error) {
		sb.stop(io.Discard)
		return nil, err
	}
	for {
		select {
		case <-sb.lines.changed:
			l := sb.lines.read()
			if l.config != "" {
				sb.config = l.config
				return sb, nil
			}
			// A start that fails at its limit stops what it started before
			// it exits: its stop's limit counts too, when it comes (the
			// two lines may be read apart).
			if within := l.startWithin + l.stopWithin; l.startWithin > 0 && within != armed {
				if armedAt.IsZero() {
					armedAt = time.Now()
				}
				armed = within
				deadline.Reset(time.Until(armedAt.Add(within)))
				waited = fmt.Sprintf("its configuration's path within %s (its start's limit, %s, and a stop's, %s)", within, l.startWithin, l.stopWithin)
			}
		case <-sb.exited:
			return fail(fmt.Errorf("the sandbox program %s %s before it gave its configuration's path (what it said is above)", prog, ended(sb.err)))
		case <-deadline.C:
			return fail(fmt.Errorf("the sandbox program %s did not give %s; it was stopped", prog, waited))
		case <-ctx.Done():
			return fail(fmt.Errorf("interrupted while the sandbox started; it was stopped"))
		}
	}
}

// stop closes the sandbox's stdin, which stops it, and waits as long as it
// said a stop takes before it kills it. It says on w how that went, and
// returns an error when the sandbox did not stop and remove itself.
func (sb *sandboxProc) stop(w io.Writer) error {
	sb.stdin.Close()
	within := sb.lines.read().stopWithin
	if within <= 0 {
		within = sb.first // it never said: not ours, or not started
	}
	t := time.NewTimer(within)
	defer t.Stop()
	select {
	case <-sb.exited:
	case <-t.C:
		// Its servers die with it (their parent-death signal); its
		// directory is left for the next sandbox, which removes it.
		_ = syscall.Kill(-sb.cmd.Process.Pid, syscall.SIGKILL)
		<-sb.exited
		sb.killed = true
	}
	dir := filepath.Dir(sb.config)
	var err error
	switch {
	case sb.config == "":
		return nil // it never started: it has said why
	case sb.killed:
		err = fmt.Errorf("the sandbox did not stop within %s and was killed; its servers die with it, and the next `opsdeck demo` removes %s", within, dir)
	case sb.err != nil:
		err = fmt.Errorf("the sandbox program %s while it stopped (what it said is above)", ended(sb.err))
	default:
		if _, serr := os.Stat(dir); !errors.Is(serr, os.ErrNotExist) {
			err = fmt.Errorf("the sandbox stopped but left %s behind; the next `opsdeck demo` removes it", dir)
		}
	}
	if err == nil {
		fmt.Fprintln(w, "opsdeck demo: sandbox stopped and removed")
	}
	return err
}

func (sb *sandboxProc) hasExited() bool {
	select {
	case <-sb.exited:
		return true
	default:
		return false
	}
}

// endedEarly is the error of a sandbox that ended before it was asked to.
func (sb *sandboxProc) endedEarly(when string) error {
	return fmt.Errorf("the sandbox program %s %s (what it said is above)", ended(sb.err), when)
}

// ended says how a program ended, from cmd.Wait's error.
func ended(err error) string {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return "ended"
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return fmt.Sprintf("was killed by signal %d (%v)", int(ws.Signal()), ws.Signal())
		}
		return fmt.Sprintf("ended with exit status %d", ee.ExitCode())
	}
	return "ended: " + err.Error()
}

// sandboxLines reads the sandbox program's stdout, one line at a time:
// `start-within: D`, `stop-within: D`, `config: PATH`. Any other line is
// passed on to other.
type sandboxLines struct {
	mu      sync.Mutex
	partial []byte
	got     sandboxSaid
	changed chan struct{} // a token after each write that completed a line
	other   io.Writer
}

// sandboxSaid is what the sandbox program has said so far.
type sandboxSaid struct {
	startWithin, stopWithin time.Duration
	config                  string
}

// maxLine bounds a line without its end: a program that never writes a
// newline does not grow the console's memory.
const maxLine = 64 << 10

func (l *sandboxLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	complete := false
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 && len(l.partial) > maxLine {
			i = len(l.partial)
		}
		if i < 0 {
			break
		}
		l.line(string(l.partial[:i]))
		l.partial = l.partial[min(i+1, len(l.partial)):]
		complete = true
	}
	if complete {
		select {
		case l.changed <- struct{}{}:
		default: // a token is already waiting
		}
	}
	return len(p), nil
}

func (l *sandboxLines) line(s string) {
	key, value, _ := strings.Cut(s, ": ")
	switch key {
	case "start-within", "stop-within":
		if d, err := time.ParseDuration(value); err == nil && d > 0 {
			if key == "start-within" {
				l.got.startWithin = d
			} else {
				l.got.stopWithin = d
			}
			return
		}
	case "config":
		if value != "" {
			l.got.config = value
			return
		}
	}
	fmt.Fprintln(l.other, s)
}

func (l *sandboxLines) read() sandboxSaid {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.got
}

// heldWriter passes writes on to w, except while held, when it keeps the
// last maxHeld bytes of them to write on release.
type heldWriter struct {
	mu      sync.Mutex
	w       io.Writer
	held    bool
	pending []byte
}

const maxHeld = 64 << 10

// Write never fails: the sandbox must never wait on a pipe nobody reads.
func (h *heldWriter) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.held {
		h.pending = append(h.pending, p...)
		if over := len(h.pending) - maxHeld; over > 0 {
			h.pending = h.pending[over:]
		}
		return len(p), nil
	}
	_, _ = h.w.Write(p)
	return len(p), nil
}

func (h *heldWriter) hold() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.held = true
}

func (h *heldWriter) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.held = false
	_, _ = h.w.Write(h.pending)
	h.pending = nil
}
