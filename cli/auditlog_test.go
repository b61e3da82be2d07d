package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/faults"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
)

// auditLogTrap is something other than a regular file at the audit log's
// path, with the words its refusal holds and the FIFO an open of the path
// could wait on ("" when none).
type auditLogTrap struct {
	name, words string
	make        func(t *testing.T, dir, path string) (fifo string)
}

func auditLogTraps() []auditLogTrap {
	mkfifo := func(t *testing.T, p string) string {
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	link := func(t *testing.T, to, p string) {
		if err := os.Symlink(to, p); err != nil {
			t.Fatal(err)
		}
	}
	return []auditLogTrap{
		{"a FIFO", "is a FIFO, not a regular file", func(t *testing.T, _, p string) string { return mkfifo(t, p) }},
		{"a symlink to a regular file", "is a symbolic link (to ", func(t *testing.T, dir, p string) string {
			if err := os.WriteFile(filepath.Join(dir, "elsewhere"), []byte("kept\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			link(t, filepath.Join(dir, "elsewhere"), p)
			return ""
		}},
		{"a symlink to /dev/zero", "is a symbolic link (to /dev/zero)", func(t *testing.T, _, p string) string { link(t, "/dev/zero", p); return "" }},
		{"a symlink to a FIFO", "is a symbolic link (to ", func(t *testing.T, dir, p string) string {
			f := mkfifo(t, filepath.Join(dir, "fifo"))
			link(t, f, p)
			return f
		}},
		{"a directory", "is a directory, not a regular file", func(t *testing.T, _, p string) string {
			if err := os.Mkdir(p, 0o700); err != nil {
				t.Fatal(err)
			}
			return ""
		}},
	}
}

// releaseFIFO opens and closes both ends of fifo: an open waiting on it
// goes on, and a read then sees its end.
func releaseFIFO(fifo string) {
	if f, err := os.OpenFile(fifo, os.O_RDWR, 0); err == nil {
		f.Close()
	}
}

// waitReleasing waits for what hung on fifo ("" for none), releasing each
// open that waits on it in turn.
func waitReleasing[T any](done <-chan T, fifo string) T {
	for {
		if fifo != "" {
			releaseFIFO(fifo)
		}
		select {
		case v := <-done:
			return v
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// TestAuditLogNotARegularFile: with a FIFO, a symbolic link or a directory
// where the audit log goes, `run` refuses the action (nothing runs),
// `audit` and `snapshot --format markdown` say what is wrong, each at once
// and in words. They are given many times what they take with a regular
// log.
func TestAuditLogNotARegularFile(t *testing.T) {
	t.Parallel()
	marker := filepath.Join(t.TempDir(), "ran")
	cfg := writeFile(t, "audit.yaml", "environments:\n  qa:\n    actions:\n      commands:\n        - {name: touch, argv: [touch, \""+marker+"\"]}\n")
	commands := [][]string{{"run", "touch"}, {"audit"}, {"snapshot", "--format", "markdown"}}
	start := time.Now()
	for _, args := range commands {
		if code, out, stderr := runCLI(t, map[string]string{"XDG_STATE_HOME": t.TempDir()}, append([]string{"--config", cfg}, args...)...); code != 0 {
			t.Fatalf("%v with a regular audit log: exit %d\n%s%s", args, code, out, stderr)
		}
	}
	if err := os.Remove(marker); err != nil {
		t.Fatal(err)
	}
	allowed := 20*time.Since(start) + time.Second
	for _, trap := range auditLogTraps() {
		t.Run(trap.name, func(t *testing.T) {
			state := t.TempDir()
			dir := filepath.Join(state, "opsdeck")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "audit.jsonl")
			fifo := trap.make(t, dir, path)
			for _, args := range commands {
				type result struct {
					code           int
					stdout, stderr string
				}
				done := make(chan result, 1)
				go func() {
					code, out, stderr := runCLI(t, map[string]string{"XDG_STATE_HOME": state}, append([]string{"--config", cfg}, args...)...)
					done <- result{code, out, stderr}
				}()
				var r result
				select {
				case r = <-done:
				case <-time.After(allowed):
					t.Errorf("%v hung (%v) with %s at the audit log's path", args, allowed, trap.name)
					r = waitReleasing(done, fifo)
				}
				words := "the audit log " + path + " " + trap.words
				if !strings.Contains(r.stderr, words) || !strings.Contains(r.stderr, "opsdeck writes its audit trail only to a regular file") {
					t.Errorf("%v: exit %d, stderr does not say %q:\n%s", args, r.code, words, r.stderr)
				}
				if args[0] == "run" && (r.code != 1 || !strings.Contains(r.stderr, "refusing to run without an audit trail")) {
					t.Errorf("run: exit %d\n%s", r.code, r.stderr)
				}
			}
			if _, err := os.Stat(marker); err == nil {
				t.Error("the command ran without an audit record")
				os.Remove(marker)
			}
			if b, err := os.ReadFile(filepath.Join(dir, "elsewhere")); err == nil && string(b) != "kept\n" {
				t.Errorf("written through the symbolic link: %q", b)
			}
		})
	}
}

// TestMarkdownReportEndsOnSIGTERM: `opsdeck snapshot --format markdown`
// waiting on a Prometheus that never answers, with a FIFO at the audit
// log's path, ends on SIGTERM long before its Prometheus timeout, saying
// what is wrong with the audit log.
func TestMarkdownReportEndsOnSIGTERM(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	hung := faults.NewProxy(t, "127.0.0.1:1")
	hung.Set(faults.BlackHole)
	const timeout = time.Minute
	cfg := writeFile(t, "hung.yaml", fmt.Sprintf("environments:\n  qa:\n    prometheus: {url: \"http://%s\", timeout: %s}\n", hung.Addr(), timeout))
	state := t.TempDir()
	if err := os.Mkdir(filepath.Join(state, "opsdeck"), 0o700); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(state, "opsdeck", "audit.jsonl")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config", cfg, "snapshot", "--format", "markdown")
	cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+state)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ended := make(chan struct{}) // closed when it has ended
	go func() { cmd.Wait(); close(ended) }()
	defer func() {
		select {
		case <-ended:
		default:
			cmd.Process.Kill()
			releaseFIFO(fifo)
			<-ended
		}
	}()
	// Once it waits on Prometheus.
	wait.Eventually(t, "opsdeck asking Prometheus", func() error {
		select {
		case <-ended:
			t.Fatalf("ended before it read Prometheus: %v\n%s", cmd.ProcessState, stderr.String())
		default:
		}
		if hung.Open() == 0 {
			return errors.New("no connection to it yet")
		}
		return nil
	}, wait.Within(timeout))
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ended:
	case <-time.After(timeout / 2):
		cmd.Process.Kill()
		releaseFIFO(fifo)
		<-ended
		t.Fatalf("still running %v after SIGTERM (its Prometheus timeout is %v)\n%s", timeout/2, timeout, stderr.String())
	}
	if !strings.Contains(stderr.String(), "the audit log "+fifo+" is a FIFO, not a regular file") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
}
