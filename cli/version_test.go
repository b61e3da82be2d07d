package cli

import (
	"strings"
	"testing"
)

func TestVersionAndHelp(t *testing.T) {
	code, out, _ := runCLI(t, nil, "version")
	if code != 0 || !strings.HasPrefix(out, "opsdeck ") {
		t.Fatalf("version: %d %q", code, out)
	}
	code, out, _ = runCLI(t, nil, "--help")
	if code != 0 {
		t.Fatalf("--help exit %d", code)
	}
	for _, want := range []string{"snapshot", "config print", "demo", "--config", "--env", "--refresh", "PROMETHEUS_URL"} {
		if !strings.Contains(out, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
	code, out, _ = runCLI(t, nil, "snapshot", "--help")
	if code != 0 || !strings.Contains(out, "--format") {
		t.Errorf("snapshot --help: %d %q", code, out)
	}
}
