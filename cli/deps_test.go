package cli

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// linked lists the packages pkg links, as `go list -deps` says.
func linked(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
	}
	return strings.Fields(string(out))
}

// TestConsoleLinksNoSandbox: the console's dependencies hold no sandbox,
// test harness or metrics-exporting package. The sandbox program's do (the
// pattern would catch them), so the check cannot pass for a wrong reason.
func TestConsoleLinksNoSandbox(t *testing.T) {
	// What the console has no use for: the demo sandbox and the test
	// servers (which run as opsdeck-sandbox or in test binaries), and the
	// metrics-exporting side of client_golang that only the synthetic API
	// uses. Linked, they cost the console some 3.4 MB of binary and their
	// init work in every run (docs/PERFORMANCE.md, "The sandbox out of the
	// console").
	consoleMustNotLink := regexp.MustCompile(`/(testenv|sandbox|sandboxtest|harness|faulttest|demo)(/|$)|` +
		`^github\.com/prometheus/(client_golang/prometheus|procfs)(/|$)`)
	var bad []string
	for _, p := range linked(t, "github.com/opsdeck/opsdeck") {
		if consoleMustNotLink.MatchString(p) {
			bad = append(bad, p)
		}
	}
	if len(bad) > 0 {
		t.Errorf("the console links %s: run `go list -deps -f '{{.ImportPath}}: {{.Imports}}' .` to see what imports them", strings.Join(bad, ", "))
	}

	caught := map[string]bool{}
	for _, p := range linked(t, "github.com/opsdeck/opsdeck/internal/demo/opsdeck-sandbox") {
		if consoleMustNotLink.MatchString(p) {
			caught[p] = true
		}
	}
	for _, want := range []string{"github.com/opsdeck/opsdeck/internal/demo", "github.com/opsdeck/opsdeck/internal/testenv/harness",
		"github.com/opsdeck/opsdeck/internal/testenv/originapi", "github.com/prometheus/client_golang/prometheus/promhttp", "github.com/prometheus/procfs"} {
		if !caught[want] {
			t.Errorf("the pattern does not catch %s, which the sandbox program links", want)
		}
	}
}
