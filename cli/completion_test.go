package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompletion: the bash script, sourced into a real bash, completes
// commands, subcommands, arguments and flags from the command table; zsh
// and fish get theirs; an unknown shell is a usage error.
func TestCompletion(t *testing.T) {
	code, script, stderr := runCLI(t, nil, "completion", "bash")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal("bash is needed to test the bash completion")
	}
	file := filepath.Join(t.TempDir(), "opsdeck.bash")
	if err := os.WriteFile(file, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	complete := func(words ...string) string {
		t.Helper()
		cmd := `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _opsdeck; echo "${COMPREPLY[*]}"`
		out, err := exec.Command(bash, append([]string{"-c", cmd, "bash", file}, words...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", words, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	for _, c := range []struct {
		words []string
		want  string
	}{
		{[]string{"opsdeck", "sna"}, "snapshot"},
		{[]string{"opsdeck", "config", ""}, "print"},
		{[]string{"opsdeck", "--env", "qa", "dash"}, "dashboard"},
		{[]string{"opsdeck", "snapshot", "--for"}, "--format"},
		{[]string{"opsdeck", "run", "res"}, "reset"},
		{[]string{"opsdeck", "completion", "f"}, "fish"},
	} {
		if got := complete(c.words...); got != c.want {
			t.Errorf("%q completes to %q, want %q", c.words, got, c.want)
		}
	}
	for shell, want := range map[string]string{"zsh": "bashcompinit", "fish": `complete -c opsdeck -n "__fish_seen_subcommand_from config" -a "print"`} {
		if code, out, _ := runCLI(t, nil, "completion", shell); code != 0 || !strings.Contains(out, want) {
			t.Errorf("%s: exit %d, lacks %q:\n%s", shell, code, want, out)
		}
	}
	if code, _, stderr := runCLI(t, nil, "completion", "tcsh"); code != 2 || !strings.Contains(stderr, "the shells are bash, zsh and fish") {
		t.Errorf("tcsh: exit %d %s", code, stderr)
	}
}
