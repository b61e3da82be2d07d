package cli

import (
	"os/exec"
	"regexp"
	"slices"
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
	for _, p := range linked(t, "github.com/opsdeck/opsdeck/internal/sandbox/opsdeck-sandbox") {
		if consoleMustNotLink.MatchString(p) {
			caught[p] = true
		}
	}
	for _, want := range []string{"github.com/opsdeck/opsdeck/internal/sandbox", "github.com/opsdeck/opsdeck/internal/sandbox/servers",
		"github.com/opsdeck/opsdeck/internal/sandbox/originapi", "github.com/prometheus/client_golang/prometheus/promhttp", "github.com/prometheus/procfs"} {
		if !caught[want] {
			t.Errorf("the pattern does not catch %s, which the sandbox program links", want)
		}
	}
}

// TestSandboxLinksNoTestCode: the sandbox program runs the servers the tests
// run, without the tests' helpers: none of its own packages imports package
// testing (sandboxtest, faults, wait do). Package testing itself is linked,
// through prometheus/common's go-abnf, as in the console.
func TestSandboxLinksNoTestCode(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}}: {{join .Imports " "}}`,
		"github.com/opsdeck/opsdeck/internal/sandbox/opsdeck-sandbox").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	ours := 0
	for line := range strings.Lines(string(out)) {
		pkg, imports, _ := strings.Cut(strings.TrimSpace(line), ": ")
		if !strings.HasPrefix(pkg, "github.com/opsdeck/opsdeck/") {
			continue
		}
		ours++
		if slices.Contains(strings.Fields(imports), "testing") {
			t.Errorf("the sandbox program links %s, which imports package testing: test-only code", pkg)
		}
	}
	if ours < 5 {
		t.Fatalf("the sandbox program links %d packages of this module: the listing is not what this test reads", ours)
	}
}
