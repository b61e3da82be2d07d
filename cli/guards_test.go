package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/testenv/harness"
)

// TestHeadlessGuardsHold: a protection flag from an unset variable, a custom
// command named like a built-in, and warnings of snapshot and run on stderr.
func TestHeadlessGuardsHold(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pg := harness.NewPostgres(t, harness.PostgresOptions{})
	if err := pg.Exec(ctx, "CREATE TABLE users (id int); INSERT INTO users VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	env := map[string]string{"XDG_STATE_HOME": state}
	intact := func() {
		t.Helper()
		if err := pg.Exec(ctx, "DO $$ BEGIN IF (SELECT count(*) FROM users) <> 1 THEN RAISE 'emptied'; END IF; END $$"); err != nil {
			t.Fatal(err)
		}
	}

	cfg := writeFile(t, "unset.yaml", "environments:\n  prod:\n    postgres: {url: \""+pg.URL()+"\"}\n    protected: ${PROD_PROTECTED}\n")
	code, _, stderr := runCLI(t, env, "--config", cfg, "run", "reset", "--yes")
	if code != 2 || !strings.Contains(stderr, cfg+":4: environments.prod.protected: ${PROD_PROTECTED} must expand to true or false") {
		t.Fatalf("unset guard variable: exit %d\n%s", code, stderr)
	}
	intact()

	cfg = writeFile(t, "shadow.yaml", "environments:\n  prod:\n    postgres: {url: \""+pg.URL()+"\"}\n    protected: true\n"+
		"    actions:\n      commands:\n        - {name: reset, argv: [echo, wiped]}\n")
	code, out, stderr := runCLI(t, env, "--config", cfg, "run", "reset", "--yes")
	if code != 2 || !strings.Contains(stderr, cfg+":7: environments.prod.actions.commands[0].name: \"reset\" is the name of a built-in action") || strings.Contains(out, "wiped") {
		t.Fatalf("command named reset: exit %d\n%s%s", code, out, stderr)
	}
	intact()

	cfg = writeFile(t, "warn.yaml", "environments:\n  qa:\n    postgres: {url: \""+pg.URL()+"\"}\n    redis: {url: \"${QA_REDIS_URL}\"}\n"+
		"    actions:\n      commands:\n        - {name: hello, argv: [echo, hi]}\n")
	for _, args := range [][]string{{"snapshot", "--format", "text"}, {"run", "hello"}} {
		code, _, stderr = runCLI(t, env, append([]string{"--config", cfg}, args...)...)
		if code != 0 || !strings.Contains(stderr, "opsdeck: configuration: "+cfg) ||
			!strings.Contains(stderr, "opsdeck: warning: "+cfg+":4: environments.qa.redis.url: ${QA_REDIS_URL} is not set") {
			t.Errorf("%v: exit %d, stderr:\n%s", args, code, stderr)
		}
	}
}

// TestKilledConsoleTakesItsCommandAlong: kill -9 of opsdeck while a command
// runs ends the command too, and the next start reports the run it left
// without an end, once.
func TestKilledConsoleTakesItsCommandAlong(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	marker := fmt.Sprintf("300.%d", time.Now().UnixNano()%1_000_000_000)
	cfg := writeFile(t, "sleep.yaml", "environments:\n  qa:\n    actions:\n      commands:\n        - {name: sleeper, argv: [sleep, \""+marker+"\"]}\n")
	state := t.TempDir()
	cmd := exec.Command(bin, "--config", cfg, "run", "sleeper")
	cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+state)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	deadline := time.Now().Add(30 * time.Second)
	for len(processesMentioning("sleep\x00"+marker)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the command never started")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	deadline = time.Now().Add(10 * time.Second)
	for len(processesMentioning("sleep\x00"+marker)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the command outlived opsdeck: %v", processesMentioning("sleep\x00"+marker))
		}
		time.Sleep(20 * time.Millisecond)
	}
	env := map[string]string{"XDG_STATE_HOME": state}
	_, _, stderr := runCLI(t, env, "audit")
	if !strings.Contains(stderr, "sleeper in qa, started") || !strings.Contains(stderr, "never finished: the opsdeck running it was killed") {
		t.Fatalf("not reported:\n%s", stderr)
	}
	if _, _, stderr = runCLI(t, env, "audit"); strings.Contains(stderr, "never finished") {
		t.Errorf("reported twice:\n%s", stderr)
	}
	data, _ := os.ReadFile(filepath.Join(state, "opsdeck", "audit.jsonl"))
	if !strings.Contains(string(data), `"phase":"abandoned"`) {
		t.Errorf("no abandoned record:\n%s", data)
	}
}

// TestNoRunWithoutAnAuditTrail: an audit log that cannot be written stops
// the action before it starts, with exit 1 (a runtime failure, as the README says).
func TestNoRunWithoutAnAuditTrail(t *testing.T) {
	t.Parallel()
	notADir := writeFile(t, "state", "a file where the state directory should be")
	marker := filepath.Join(t.TempDir(), "ran")
	cfg := writeFile(t, "a.yaml", "environments:\n  qa:\n    actions:\n      commands:\n        - {name: touch, argv: [touch, \""+marker+"\"]}\n")
	code, _, stderr := runCLI(t, map[string]string{"XDG_STATE_HOME": notADir}, "--config", cfg, "run", "touch")
	if code != 1 || !strings.Contains(stderr, "refusing to run without an audit trail") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the command ran without an audit record")
	}
}
