package actions

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
)

// collect reads a run to its end.
func collect(t *testing.T, r *Run) (out []Event, done Event) {
	t.Helper()
	wait.Eventually(t, "the run to end", func() error {
		for {
			select {
			case ev, ok := <-r.Events:
				if !ok {
					return nil
				}
				if ev.Done {
					done = ev
				} else {
					out = append(out, ev)
				}
			default:
				return fmt.Errorf("%d events so far", len(out))
			}
		}
	})
	return out, done
}

func TestRunStreamsBothStreamsAndExitStatus(t *testing.T) {
	t.Parallel()
	scrub := redact.NewScrubber("s3cret-token")
	r, err := Start(context.Background(), Command{Shell: `echo one; echo two >&2; echo "token s3cret-token"; exit 3`, Scrub: scrub})
	if err != nil {
		t.Fatal(err)
	}
	out, done := collect(t, r)
	var stdout, stderr []string
	for _, ev := range out {
		if ev.Stream == Stdout {
			stdout = append(stdout, ev.Line)
		} else {
			stderr = append(stderr, ev.Line)
		}
	}
	if strings.Join(stdout, "|") != "one|token xxxxx" || strings.Join(stderr, "|") != "two" {
		t.Errorf("stdout %q stderr %q", stdout, stderr)
	}
	if done.Exit != 3 || done.Err != nil || done.Elapsed <= 0 {
		t.Errorf("done = %+v", done)
	}
	if tail := r.Tail(); len(tail) != 3 || strings.Contains(strings.Join(tail, " "), "s3cret") {
		t.Errorf("tail = %q", tail)
	}
}

func TestArgvIsNotAShell(t *testing.T) {
	t.Parallel()
	r, err := Start(context.Background(), Command{Argv: []string{"echo", "$HOME; rm -rf /"}})
	if err != nil {
		t.Fatal(err)
	}
	out, done := collect(t, r)
	if len(out) != 1 || out[0].Line != "$HOME; rm -rf /" || done.Exit != 0 {
		t.Errorf("argv went through a shell: %+v %+v", out, done)
	}
}

// TestCancelStopsTheWholeGroup: a command and the children it started are
// gone after Cancel, even one that ignores SIGINT (SIGKILL after the grace).
func TestCancelStopsTheWholeGroup(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	script := `trap '' INT; sleep 60 & echo $! > ` + pidFile + `; echo started; wait`
	r, err := Start(context.Background(), Command{Shell: script, Grace: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if ev := <-r.Events; ev.Line != "started" {
		t.Fatalf("first line %+v", ev)
	}
	start := time.Now()
	r.Cancel()
	_, done := collect(t, r)
	if !errors.Is(done.Err, ErrCancelled) || time.Since(start) > 10*time.Second {
		t.Errorf("done = %+v after %s", done, time.Since(start))
	}
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	wait.Eventually(t, fmt.Sprintf("child %d gone after cancel", pid), func() error {
		if syscall.Kill(pid, 0) == nil {
			return errors.New("still running")
		}
		return nil
	})
}

func TestTimeoutAndMissingCommand(t *testing.T) {
	t.Parallel()
	r, err := Start(context.Background(), Command{Argv: []string{"sleep", "30"}, Timeout: 200 * time.Millisecond, Grace: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, done := collect(t, r)
	if done.Err == nil || done.Err.Error() != "timed out after 200ms" {
		t.Errorf("timeout: %+v", done)
	}
	if _, err := Start(context.Background(), Command{Argv: []string{"no-such-tool-xyz"}}); err == nil || err.Error() != "command not found: no-such-tool-xyz" {
		t.Errorf("missing command: %v", err)
	}
}

// TestLongLineNeitherHangsNorFloods: a command printing one line of 3 MB
// (a JSON document on one line) and then more ends as it would on its
// own: the long line is cut to a bound that says so, the lines after it
// are read, and the command is never left blocked on a pipe nobody reads
// (it hung until its timeout, forever without one).
func TestLongLineNeitherHangsNorFloods(t *testing.T) {
	t.Parallel()
	r, err := Start(context.Background(), Command{Shell: `head -c 3000000 /dev/zero | tr '\0' x; echo; echo after; head -c 2000000 /dev/zero | tr '\0' y >&2; echo >&2; echo done >&2`})
	if err != nil {
		t.Fatal(err)
	}
	out, done := collect(t, r)
	if done.Exit != 0 || done.Err != nil {
		t.Fatalf("done = %+v", done)
	}
	var lines []string
	for _, ev := range out {
		if len(ev.Line) > MaxLine+100 {
			t.Errorf("a line of %d bytes passed", len(ev.Line))
		}
		lines = append(lines, string(ev.Stream)+":"+ev.Line[:min(len(ev.Line), 3)]+fmt.Sprint(len(ev.Line) > MaxLine/2))
	}
	want := []string{"stdout:xxxtrue", "stdout:aftfalse", "stderr:yyytrue", "stderr:donfalse"}
	for _, w := range want {
		if !slices.Contains(lines, w) {
			t.Errorf("lines %q lack %q", lines, w)
		}
	}
}
