package cli

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/faults"
)

// TestCheckMetricsWaitsOneTimeout: `check --metrics` against a Prometheus
// that accepts and never answers fails the gate saying so, within one
// prometheus.timeout for the whole read (both signals), not one per signal.
func TestCheckMetricsWaitsOneTimeout(t *testing.T) {
	t.Parallel()
	hung := faults.NewProxy(t, "127.0.0.1:1")
	hung.Set(faults.BlackHole)
	const timeout = time.Second
	cfg := writeFile(t, "hung.yaml", fmt.Sprintf("environments:\n  qa:\n    prometheus: {url: \"http://%s\", timeout: %s}\n", hung.Addr(), timeout))
	start := time.Now()
	code, out, stderr := runCLI(t, nil, "--config", cfg, "check", "--metrics")
	took := time.Since(start)
	if code != 1 || strings.Count(out, "cannot be read: no answer from http://"+hung.Addr()) != 2 {
		t.Errorf("exit %d:\n%s%s", code, out, stderr)
	}
	if took < timeout || took >= 2*timeout {
		t.Errorf("took %v with a prometheus.timeout of %v: want one timeout for the whole read", took, timeout)
	}
}
