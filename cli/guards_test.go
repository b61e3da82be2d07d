package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/testenv/wait"
)

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
	wait.Eventually(t, "the command's start", func() error {
		if len(processesMentioning("sleep\x00"+marker)) == 0 {
			return errors.New("no process runs it")
		}
		return nil
	})
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	// The kernel signals the command as opsdeck dies: a bound of seconds.
	wait.Eventually(t, "the command's end with opsdeck's", func() error {
		if left := processesMentioning("sleep\x00" + marker); len(left) > 0 {
			return fmt.Errorf("it outlived opsdeck: %v", left)
		}
		return nil
	}, wait.Within(10*time.Second))
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
