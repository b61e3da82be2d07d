package cli

import (
	"strings"
	"testing"
)

func TestDemoWithoutPrometheusSaysSo(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // nothing installed
	code, out, stderr := runCLI(t, nil, "demo", "--serve")
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(stderr, "prometheus") || !strings.Contains(stderr, "apt-get install") || strings.Contains(out, "config:") {
		t.Fatalf("stderr:\n%s", stderr)
	}
}
