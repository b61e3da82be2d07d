package cli

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/testenv/wait"
)

// TestDemoWithoutPrometheusSaysSo: the sandbox program, on a PATH with
// nothing else, says which packages to install; opsdeck passes that on,
// says the program ended before it was ready, and exits 1.
func TestDemoWithoutPrometheusSaysSo(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	if err := os.Link(filepath.Join(filepath.Dir(bin), sandboxProgram), filepath.Join(dir, sandboxProgram)); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir) // nothing installed, for the sandbox program
	code, out, stderr := runCLI(t, map[string]string{"PATH": dir}, "demo", "--serve")
	if code != 1 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "prometheus") || !strings.Contains(stderr, "apt-get install") || strings.Contains(out, "config:") ||
		!strings.Contains(stderr, "ended with exit status 1 before it gave its configuration's path") {
		t.Fatalf("stdout:\n%s\nstderr:\n%s", out, stderr)
	}
}

// fakeSandbox writes a shell script standing in for the sandbox program.
func fakeSandbox(t *testing.T, script string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), sandboxProgram)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSandboxThatFailsIsSaidInWords: a sandbox program that dies, says
// nothing, or says its limits and then nothing, is stopped, and the error
// says what opsdeck waited for; nothing it started is left running.
func TestSandboxThatFailsIsSaidInWords(t *testing.T) {
	// The first line's bound is the one under test where the program says
	// nothing; elsewhere it is ample for a shell's start on a busy machine.
	cases := []struct {
		name, script string
		firstLine    time.Duration
		want         *regexp.Regexp
	}{
		{"dies at once", "echo 'no room for it' >&2; exit 3", 10 * time.Second,
			regexp.MustCompile(`ended with exit status 3 before it gave its configuration's path`)},
		{"killed", "kill -9 $$", 10 * time.Second,
			regexp.MustCompile(`was killed by signal 9 \(killed\) before it gave`)},
		{"says nothing", "exec sleep 600", 300 * time.Millisecond,
			regexp.MustCompile(`did not give its first line \(how long its start may take\) within 300ms; it was stopped`)},
		{"says its limits, then nothing", "echo 'start-within: 200ms'; echo 'stop-within: 100ms'; exec sleep 600", 10 * time.Second,
			regexp.MustCompile(`did not give its configuration's path within 300ms \(its start's limit, 200ms, and a stop's, 100ms\); it was stopped`)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			prog := fakeSandbox(t, c.script)
			var stderr bytes.Buffer
			sb, err := startSandbox(context.Background(), prog, nil, &stderr, c.firstLine)
			if err == nil {
				sb.stop(&stderr)
				t.Fatal("no error")
			}
			if !c.want.MatchString(err.Error()) || !strings.Contains(err.Error(), prog) {
				t.Fatalf("error %q, want %s", err, c.want)
			}
			if left := processesMentioning(prog); len(left) > 0 {
				t.Errorf("still running: %v", left)
			}
		})
	}
	t.Run("its words are passed on", func(t *testing.T) {
		var stderr bytes.Buffer
		_, err := startSandbox(context.Background(), fakeSandbox(t, "echo 'needs prometheus' >&2; echo 'a stray line'; exit 1"), nil, &stderr, 10*time.Second)
		if err == nil || stderr.String() != "needs prometheus\na stray line\n" && stderr.String() != "a stray line\nneeds prometheus\n" {
			t.Fatalf("error %v, stderr %q", err, stderr.String())
		}
	})
}

// TestSandboxStopsWhenItsStdinCloses: a sandbox that stops when its stdin
// ends is said stopped and removed; one that does not is killed after the
// stop limit it gave, and that is said.
func TestSandboxStopsWhenItsStdinCloses(t *testing.T) {
	ready := func(dir, then string) string {
		return "mkdir -p " + dir + "\necho 'start-within: 1m'\necho 'stop-within: 300ms'\necho 'config: " + dir + "/opsdeck.yaml'\n" + then
	}
	t.Run("stops and removes", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "sandbox")
		prog := fakeSandbox(t, ready(dir, "cat >/dev/null; rm -r "+dir+"; echo 'servers stopped' >&2"))
		var stderr bytes.Buffer
		sb, err := startSandbox(context.Background(), prog, nil, &stderr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if sb.config != dir+"/opsdeck.yaml" {
			t.Fatalf("config %q", sb.config)
		}
		if err := sb.stop(&stderr); err != nil {
			t.Fatal(err)
		}
		if stderr.String() != "servers stopped\nopsdeck demo: sandbox stopped and removed\n" {
			t.Fatalf("stderr %q", stderr.String())
		}
	})
	t.Run("stops and leaves its directory", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "sandbox")
		sb, err := startSandbox(context.Background(), fakeSandbox(t, ready(dir, "cat >/dev/null")), nil, &bytes.Buffer{}, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		if err := sb.stop(&stderr); err == nil || !strings.Contains(err.Error(), "left "+dir+" behind") || stderr.Len() > 0 {
			t.Fatalf("error %v, stderr %q", err, stderr.String())
		}
	})
	t.Run("does not stop", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "sandbox")
		prog := fakeSandbox(t, ready(dir, "exec sleep 600"))
		sb, err := startSandbox(context.Background(), prog, nil, &bytes.Buffer{}, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		err = sb.stop(&bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), "did not stop within 300ms and was killed") || !strings.Contains(err.Error(), "removes "+dir) {
			t.Fatalf("error %v", err)
		}
		if left := processesMentioning(prog); len(left) > 0 {
			t.Errorf("still running: %v", left)
		}
	})
	t.Run("ends on its own", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "sandbox")
		sb, err := startSandbox(context.Background(), fakeSandbox(t, ready(dir, "read line; exit 4")), nil, &bytes.Buffer{}, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sb.stdin.Write([]byte("\n")); err != nil {
			t.Fatal(err)
		}
		<-sb.exited
		if err := sb.endedEarly("while the console ran"); err.Error() != "the sandbox program ended with exit status 4 while the console ran (what it said is above)" {
			t.Fatalf("error %q", err)
		}
	})
}

// TestSandboxParentDeathSignal: the sandbox program learns of its console's
// death even when the console is killed outright: its stdin ends and it gets
// the parent-death signal. The console here is a test process killed with
// SIGKILL; the fake sandbox reports SIGTERM by writing a file.
func TestSandboxParentDeathSignal(t *testing.T) {
	if os.Getenv("OPSDECK_TEST_CONSOLE") != "" {
		// The console: start the sandbox, then wait to be killed.
		sb, err := startSandbox(context.Background(), os.Getenv("OPSDECK_TEST_CONSOLE"), nil, os.Stderr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		os.Stdout.WriteString("ready " + sb.config + "\n")
		io.Copy(io.Discard, os.Stdin) // until killed, or the test is gone
		return
	}
	dir := t.TempDir()
	got := filepath.Join(dir, "got")
	// It ignores its stdin: only the signal can tell it.
	prog := fakeSandbox(t, "trap 'echo TERM > "+got+"; exit 0' TERM\necho 'start-within: 1m'\necho 'stop-within: 1s'\necho 'config: "+dir+"/opsdeck.yaml'\n"+
		"while :; do sleep 0.05; done")
	console := exec.Command(os.Args[0], "-test.run", "^TestSandboxParentDeathSignal$")
	console.Env = append(os.Environ(), "OPSDECK_TEST_CONSOLE="+prog)
	hold, err := console.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Close()
	out, err := console.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := console.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if !strings.HasPrefix(line, "ready ") {
		console.Process.Kill()
		console.Wait()
		t.Fatalf("the console said %q", line)
	}
	if err := console.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	console.Wait()
	// The signal comes with the console's death; the fake's loop wakes
	// every 50 ms.
	wait.Eventually(t, "the sandbox's SIGTERM when its console died", func() error {
		if b, _ := os.ReadFile(got); string(b) != "TERM\n" {
			return fmt.Errorf("none; still running: %v", processesMentioning(prog))
		}
		return nil
	})
}

// TestSandboxLines: the program's stdout read line by line, whatever the
// writes' boundaries; lines it does not know passed on; a line without end
// bounded.
func TestSandboxLines(t *testing.T) {
	var other bytes.Buffer
	l := &sandboxLines{changed: make(chan struct{}, 1), other: &other}
	for _, w := range []string{"start-with", "in: 6m26s\nstop-within: 45s\nhello\n", "config: /tmp/x/opsdeck.yaml", "\nstart-within: soon\n"} {
		l.Write([]byte(w))
	}
	got := l.read()
	if got.startWithin != 386*time.Second || got.stopWithin != 45*time.Second || got.config != "/tmp/x/opsdeck.yaml" {
		t.Fatalf("read %+v", got)
	}
	if other.String() != "hello\nstart-within: soon\n" {
		t.Fatalf("passed on %q", other.String())
	}
	l.Write(bytes.Repeat([]byte("x"), 3*maxLine))
	if len(l.partial) > maxLine {
		t.Fatalf("%d bytes held for a line without end", len(l.partial))
	}
}

// TestHeldWriter: while the console is on screen the sandbox's lines wait,
// the last maxHeld bytes of them, and come out after.
func TestHeldWriter(t *testing.T) {
	var w bytes.Buffer
	h := &heldWriter{w: &w}
	h.Write([]byte("before\n"))
	h.hold()
	h.Write([]byte("during\n"))
	if w.String() != "before\n" {
		t.Fatalf("written while held: %q", w.String())
	}
	h.release()
	h.Write([]byte("after\n"))
	if w.String() != "before\nduring\nafter\n" {
		t.Fatalf("%q", w.String())
	}
	h.hold()
	h.Write(bytes.Repeat([]byte("y"), 2*maxHeld))
	h.Write([]byte("last\n"))
	if len(h.pending) != maxHeld || !bytes.HasSuffix(h.pending, []byte("last\n")) {
		t.Fatalf("held %d bytes", len(h.pending))
	}
}
