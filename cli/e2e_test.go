package cli

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// binary builds opsdeck once per test run, and beside it the sandbox
// program that `opsdeck demo` runs; -short builds nothing and skips.
func binary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: needs the opsdeck binary built (make test runs it)")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "opsdeck-bin-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "opsdeck")
		out, err := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "..", "../internal/sandbox/opsdeck-sandbox").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// sandboxConfig runs `opsdeck demo --serve` and returns the config path; the
// sandbox is stopped (SIGINT) and checked for leftovers when the test ends.
func sandboxConfig(t *testing.T, bin string) string {
	sandboxtest.SkipServers(t, "demo sandbox")
	t.Helper()
	cmd := exec.Command(bin, "demo", "--serve", "--incident-every", "2m")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if p, ok := strings.CutPrefix(sc.Text(), "config: "); ok {
				found <- p
			}
		}
		close(found)
	}()
	// No timer of the test's own: opsdeck bounds its wait by the limits
	// the sandbox program gives, and ends, saying why, if it gets no path.
	cfg := <-found
	if cfg == "" {
		cmd.Wait()
		t.Fatalf("demo --serve gave no config path:\n%s", stderr.String())
	}
	dir := filepath.Dir(cfg)
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGINT)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("demo exited with %v:\n%s", err, stderr.String())
			}
		case <-time.After(sandbox.StopTimeout + 10*time.Second): // the sandbox's own limit, then opsdeck kills it
			cmd.Process.Kill()
			t.Errorf("demo did not stop on SIGINT")
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("sandbox directory %s left behind", dir)
		}
		if pids := processesMentioning(dir); len(pids) > 0 {
			t.Errorf("sandbox processes still running: %v", pids)
		}
		if !strings.Contains(stderr.String(), "sandbox stopped and removed") {
			t.Errorf("demo did not report its cleanup:\n%s", stderr.String())
		}
	})
	return cfg
}

// processesMentioning lists processes whose command line contains s.
func processesMentioning(s string) []string {
	var out []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(data), s) {
			out = append(out, e.Name()+": "+strings.ReplaceAll(string(data), "\x00", " "))
		}
	}
	return out
}

type tmux struct {
	t      *testing.T
	bin    string
	socket string
}

var tmuxServers atomic.Int64

func newTmux(t *testing.T) *tmux {
	t.Helper()
	bin, err := servers.LookPath("tmux", "tmux")
	if err != nil {
		t.Fatalf("end-to-end test: %v", err)
	}
	// A server of its own, so that tests running in parallel never share one.
	tm := &tmux{t: t, bin: bin, socket: fmt.Sprintf("opsdeck-e2e-%d-%d", os.Getpid(), tmuxServers.Add(1))}
	t.Cleanup(func() { exec.Command(bin, "-L", tm.socket, "kill-server").Run() })
	return tm
}

func (tm *tmux) run(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command(tm.bin, append([]string{"-L", tm.socket}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (tm *tmux) capture() string {
	out, _ := exec.Command(tm.bin, "-L", tm.socket, "capture-pane", "-p").CombinedOutput()
	return string(out)
}

// waitFor polls the screen until cond holds and returns that screen; the
// failure shows the last one. The wait ends with the test binary's deadline
// unless a bound is given (wait.Within), where how soon is what is tested.
func (tm *tmux) waitFor(what string, cond func(string) bool, bound ...wait.Option) string {
	tm.t.Helper()
	var screen string
	wait.Eventually(tm.t, what, func() error {
		if screen = tm.capture(); !cond(screen) {
			return fmt.Errorf("not there; screen:\n%s", screen)
		}
		return nil
	}, bound...)
	return screen
}

// exitStatus waits for the line a console's shell wrote to file when it
// ended (exit=N).
func exitStatus(t *testing.T, file string) string {
	t.Helper()
	var line string
	wait.Eventually(t, "the console's end", func() error {
		b, _ := os.ReadFile(file)
		if line = strings.TrimSpace(string(b)); line == "" {
			return fmt.Errorf("%s is empty", file)
		}
		return nil
	})
	return line
}

var paneValues = []*regexp.Regexp{
	regexp.MustCompile(`Requests/s[^\n]*\n│ \d+(\.\d+)? req/s`),
	regexp.MustCompile(`Error rate \(5xx\)[^\n]*\n[^\n]*│ (\d+(\.\d+)?|<0\.01) %`),
	regexp.MustCompile(`P95 latency[^\n]*\n│ \d+(\.\d+)? (ms|s|µs) `),
	regexp.MustCompile(`Memory \(RSS\)[^\n]*\n[^\n]*│ \d+(\.\d+)? MiB`),
}

// TestEndToEndDemo: the built binary against the demo sandbox, in a private
// tmux server: it starts, shows four panes with numbers, ? shows help, q exits
// with the terminal restored, and the sandbox leaves nothing behind.
func TestEndToEndDemo(t *testing.T) {
	bin := binary(t)
	cfg := sandboxConfig(t, bin)
	tm := newTmux(t) // cleaned up first (LIFO), before the sandbox is checked
	exitFile := filepath.Join(t.TempDir(), "exit")
	reports := t.TempDir()
	tm.run("new-session", "-d", "-x", "160", "-y", "48",
		fmt.Sprintf("cd %s && XDG_STATE_HOME=%s %s --config %s; echo exit=$? > %s; sleep 60", reports, t.TempDir(), bin, cfg, exitFile))

	screen := tm.waitFor("four panes with numbers", func(s string) bool {
		for _, re := range paneValues {
			if !re.MatchString(s) {
				return false
			}
		}
		return true
	})
	for _, want := range []string{"env: demo", "disposable", "alerts", "Postgres", "Redis", "Schema drift", "config "} {
		if !strings.Contains(strings.ToLower(screen), strings.ToLower(want)) {
			t.Errorf("screen lacks %q", want)
		}
	}
	stateValues := []*regexp.Regexp{regexp.MustCompile(`\d+/\d+ conn`), regexp.MustCompile(`\d+ (queued )?celery`),
		regexp.MustCompile(`\d+ waiting · \d+ active · pool`), regexp.MustCompile(`\d+s longest query and t`),
		// Five state panes (the SLO pane too) share the row: a revision id is cut.
		regexp.MustCompile(`2 pending · behind · c7d0`), regexp.MustCompile(`⚠ \d+ schema differences`),
		// The Celery pane: the demo's two workers, read from the broker.
		regexp.MustCompile(`2/2 workers`)}
	screen = tm.waitFor("Postgres and Redis state", func(s string) bool {
		for _, re := range stateValues {
			if !re.MatchString(s) {
				return false
			}
		}
		return true
	})
	conf, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, pw := range regexp.MustCompile(`://[^:@/]*:([^@]+)@`).FindAllStringSubmatch(string(conf), -1) {
		if strings.Contains(screen, pw[1]) {
			t.Fatalf("a password from the config is on screen")
		}
	}

	// The Postgres drill-down: every session, filtered.
	for i := 0; i < 4; i++ {
		tm.run("send-keys", "Tab")
	}
	tm.run("send-keys", "Enter")
	tm.waitFor("the sessions drill-down", func(s string) bool {
		return strings.Contains(s, "QUERY TEXT") && strings.Contains(s, "celery-worker")
	})
	tm.run("send-keys", "/", "w", "o", "r", "k", "e", "r", "Enter")
	tm.waitFor("a filtered list", func(s string) bool { return regexp.MustCompile(`sessions 1 of \d+`).MatchString(s) })
	tm.run("send-keys", "Escape") // clears the filter
	tm.waitFor("the filter cleared", func(s string) bool { return !strings.Contains(s, "filter: worker") })
	// A second esc right after the first is swallowed by the terminal input
	// parser's escape-sequence timeout; a person's second press comes later.
	time.Sleep(150 * time.Millisecond)
	tm.run("send-keys", "Escape") // unzooms
	tm.waitFor("the overview again", func(s string) bool { return !strings.Contains(s, "QUERY TEXT") && strings.Contains(s, "Requests/s") })

	// R: the reset's question names the environment, the database and every
	// table, and n leaves everything as it was.
	tm.run("send-keys", "R")
	tm.waitFor("the reset confirmation", func(s string) bool {
		return strings.Contains(s, "Reset environment demo: empty") && strings.Contains(s, "[y/N]") && strings.Contains(s, "public.")
	})
	tm.run("send-keys", "n")
	tm.waitFor("the reset not run", func(s string) bool { return !strings.Contains(s, "[y/N]") && strings.Contains(s, "reset not run") })

	// m: the preflight's verdict above the pending revisions: the index
	// built without CONCURRENTLY, and the worker's transaction the migration
	// would queue behind. Run anyway, it gives up after its lock timeout and
	// says so.
	tm.run("send-keys", "m")
	tm.waitFor("the migrate confirmation", func(s string) bool {
		return strings.Contains(s, "run `alembic upgrade 5a0f3b8e2c61`") && strings.Contains(s, "[y/N]") && strings.Contains(s, "preflight: ") &&
			strings.Contains(s, "hazard: CREATE INDEX on messages") && strings.Contains(s, "would wait behind pid") && strings.Contains(s, "celery-worker")
	})
	tm.run("send-keys", "PgDn", "PgDn")
	tm.waitFor("the pending revisions below the verdict", func(s string) bool {
		return strings.Contains(s, "2 pending, applied in this order, and no other:") && strings.Contains(s, "1e9b7a6c5d40 add message versions")
	})
	tm.run("send-keys", "y")
	tm.waitFor("the lock timeout", func(s string) bool { return strings.Contains(s, "gave up after waiting 5s for a lock") })
	tm.run("send-keys", "Escape")
	tm.waitFor("the output closed", func(s string) bool { return !strings.Contains(s, "esc closes") })

	// The blocker, cancelled from the lock tree (v in the drill-down: the
	// worker, holding up two of the API's updates, is its root): then the
	// migration runs.
	time.Sleep(150 * time.Millisecond) // enter right after esc would read as alt+enter
	tm.run("send-keys", "Enter")
	tm.waitFor("the sessions drill-down", func(s string) bool { return strings.Contains(s, "QUERY TEXT") })
	tm.run("send-keys", "v")
	tm.waitFor("the lock tree", func(s string) bool {
		return regexp.MustCompile(`lock tree · 3 session`).MatchString(s) && regexp.MustCompile(`⚠ pid \d+ holds up 2 · tx`).MatchString(s)
	})
	tm.run("send-keys", "c")
	tm.waitFor("the cancel question", func(s string) bool {
		return strings.Contains(s, "celery-worker") && strings.Contains(s, "[y/N]")
	})
	tm.run("send-keys", "y")
	tm.waitFor("the query cancelled", func(s string) bool { return strings.Contains(s, "cancelled the query of pid") })
	tm.run("send-keys", "Escape")
	time.Sleep(150 * time.Millisecond)
	tm.waitFor("the output closed", func(s string) bool { return !strings.Contains(s, "esc closes") })
	// The updates it held up go through; the tree empties.
	tm.waitFor("the lock tree emptied", func(s string) bool { return strings.Contains(s, "no session waits on a lock") })
	tm.run("send-keys", "Escape")
	tm.waitFor("unzoomed", func(s string) bool { return !strings.Contains(s, "lock tree ·") })
	tm.run("send-keys", "m")
	tm.waitFor("the migrate confirmation, nothing in its way", func(s string) bool {
		return strings.Contains(s, "[y/N]") && strings.Contains(s, "preflight: ") && !strings.Contains(s, "would wait behind")
	})
	tm.run("send-keys", "y")
	tm.waitFor("the migration's end", func(s string) bool {
		return strings.Contains(s, "Running upgrade c7d0e5f19a24 -> 1e9b7a6c5d40") && strings.Contains(s, "✔ done in")
	})
	tm.run("send-keys", "Escape")
	tm.waitFor("the output closed", func(s string) bool { return !strings.Contains(s, "esc closes") })
	tm.waitFor("the drift pane at head", func(s string) bool {
		return strings.Contains(s, "✔ up to date at 5a0f3b8e2c61") && strings.Contains(s, "✔ schema equal to")
	})

	// w: the incident report, written next to where opsdeck runs, private,
	// with the migration just run among its actions.
	tm.run("send-keys", "w")
	screen = tm.waitFor("the report written", func(s string) bool { return strings.Contains(s, "report written to ") })
	path := regexp.MustCompile(`report written to (\S+\.md)`).FindStringSubmatch(screen)
	if path == nil || filepath.Dir(path[1]) != reports {
		t.Fatalf("report path not in %s:\n%s", reports, screen)
	}
	report, err := os.ReadFile(path[1])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# opsdeck report: demo, ", "| Requests/s | ", "## Migrations\n\n- Status: **up to date**", "| migrate | "} {
		if !strings.Contains(string(report), want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	if st, _ := os.Stat(path[1]); st.Mode().Perm() != 0o600 {
		t.Errorf("report mode %v, want 0600", st.Mode().Perm())
	}

	// Time: p pauses, - lengthens the window, ← reads an instant, p resumes.
	tm.run("send-keys", "-")
	tm.waitFor("the 1h window", func(s string) bool { return strings.Contains(s, "window 1h ") })
	tm.run("send-keys", "Left")
	tm.waitFor("the cursor", func(s string) bool {
		return strings.Contains(s, "PAUSED at ") && regexp.MustCompile(`cursor \d\d:\d\d:\d\d`).MatchString(s) &&
			strings.Count(s, "│ ▏") == 4
	})
	tm.run("send-keys", "p")
	tm.waitFor("live again", func(s string) bool { return !strings.Contains(s, "PAUSED") && !strings.Contains(s, "▏") })

	tm.run("send-keys", "?")
	tm.waitFor("help overlay", func(s string) bool {
		return strings.Contains(s, "any key closes this help") && strings.Contains(s, "refresh")
	})
	tm.run("send-keys", "Escape")
	tm.waitFor("help closed", func(s string) bool { return !strings.Contains(s, "any key closes this help") })

	tm.run("send-keys", "q")
	if exit := exitStatus(t, exitFile); exit != "exit=0" {
		t.Fatalf("q: exit file %q", exit)
	}
	after := tm.capture()
	if strings.Contains(after, "Requests/s") {
		t.Errorf("terminal not restored after quit (alternate screen still shown):\n%s", after)
	}
}

// TestHungSourceKeepsKeysResponsive: a Prometheus that accepts connections and
// never answers must not delay key presses; after the timeout the panes say
// what is wrong, and q still quits.
func TestHungSourceKeepsKeysResponsive(t *testing.T) {
	bin := binary(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c) // accepted, never answered
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	}()
	cfg := filepath.Join(t.TempDir(), "hung.yaml")
	os.WriteFile(cfg, []byte("environments:\n  hung: {prometheus: {url: \"http://"+l.Addr().String()+"\", timeout: 3s}}\n"), 0o600)
	exitFile := filepath.Join(t.TempDir(), "exit")
	tm := newTmux(t)
	tm.run("new-session", "-d", "-x", "120", "-y", "36", fmt.Sprintf("%s --config %s; echo exit=$? > %s; sleep 60", bin, cfg, exitFile))
	tm.waitFor("panes loading", func(s string) bool { return strings.Contains(s, "connecting…") })

	start := time.Now()
	tm.run("send-keys", "?")
	tm.waitFor("help while the source hangs", func(s string) bool { return strings.Contains(s, "any key closes this help") }, wait.Within(2*time.Second))
	if d := time.Since(start); d > time.Second {
		t.Errorf("help took %v to appear while the source hung", d)
	}
	tm.run("send-keys", "Escape")
	tm.waitFor("the timeout in words", func(s string) bool {
		return strings.Contains(s, "no answer from http://"+l.Addr().String()+" within 3s")
	})
	tm.run("send-keys", "q")
	if exit := exitStatus(t, exitFile); exit != "exit=0" {
		t.Fatalf("q while the source hung: exit file %q", exit)
	}
}

// TestHungUpDemoStopsItsSandbox: the terminal of `opsdeck demo` going away
// (its tmux server killed, the console hung up) stops the console and the
// sandbox with it: no server is left running.
func TestHungUpDemoStopsItsSandbox(t *testing.T) {
	sandboxtest.SkipServers(t, "demo sandbox")
	t.Parallel()
	// The binary under a path of this test's own, and the sandbox in its
	// TMPDIR, so that every process they start names tmp. (Short: a
	// PostgreSQL socket path must fit in 107 bytes.)
	tmp, err := os.MkdirTemp("", "od")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	if err := os.Chmod(tmp, 0o755); err != nil { // the servers may run as postgres
		t.Fatal(err)
	}
	// Both programs under tmp, linked rather than symlinked: opsdeck looks
	// for opsdeck-sandbox beside its resolved executable, and the sandbox
	// program, tmp in its command line, is among the processes checked.
	bin := filepath.Join(tmp, "opsdeck")
	for _, name := range []string{"opsdeck", "opsdeck-sandbox"} {
		if err := os.Link(filepath.Join(filepath.Dir(binary(t)), name), filepath.Join(tmp, name)); err != nil {
			t.Fatal(err)
		}
	}
	tm := newTmux(t)
	tm.run("new-session", "-d", "-x", "120", "-y", "36", fmt.Sprintf("TMPDIR=%s %s demo 2>%s/err", tmp, bin, tmp))
	tm.waitFor("the demo's console", func(s string) bool { return strings.Contains(s, "req/s") })
	if !slices.ContainsFunc(processesMentioning(tmp), func(p string) bool { return strings.Contains(p, "opsdeck-sandbox") }) ||
		len(processesMentioning(tmp)) < 4 {
		errs, _ := os.ReadFile(filepath.Join(tmp, "err"))
		t.Logf("demo's stderr:\n%s", errs)
		t.Fatalf("the demo and its servers are not running under %s: %v", tmp, processesMentioning(tmp))
	}
	tm.run("kill-server")
	wait.Eventually(t, "every process of the demo gone after the terminal hung up", func() error {
		if left := processesMentioning(tmp); len(left) > 0 {
			return fmt.Errorf("still running: %v", left)
		}
		return nil
	}, wait.Within(sandbox.StopTimeout+10*time.Second)) // the sandbox's own stop limit, and some
}
