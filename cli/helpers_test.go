package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// runCLI runs opsdeck in process with env as its environment. Without
// XDG_STATE_HOME, the audit log goes to a directory of the test's own:
// never beside the sources (HOME is unset too).
func runCLI(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	if _, ok := env["XDG_STATE_HOME"]; !ok {
		own := map[string]string{"XDG_STATE_HOME": t.TempDir()}
		for k, v := range env {
			own[k] = v
		}
		env = own
	}
	var out, errOut bytes.Buffer
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	code := run(args, &out, &errOut, lookup)
	return int(code), out.String(), errOut.String()
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// auditLog is every audit log under the state directory, read as one text.
func auditLog(t *testing.T, state string) string {
	t.Helper()
	logs, _ := filepath.Glob(filepath.Join(state, "opsdeck", "*"))
	var audit string
	for _, l := range logs {
		b, err := os.ReadFile(l)
		if err != nil {
			t.Fatal(err)
		}
		audit += string(b)
	}
	return audit
}
