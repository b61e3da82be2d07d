package sandboxtest

import (
	"context"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
)

// NewVictoriaMetrics starts VictoriaMetrics for one test and stops it when
// the test ends; the current release is built first when the cache has none.
func NewVictoriaMetrics(t testing.TB, opts servers.VictoriaMetricsOptions) *servers.VictoriaMetrics {
	t.Helper()
	timeout := time.Minute
	if opts.Current && !servers.VictoriaMetricsBuilt() {
		timeout = 20 * time.Minute
	}
	return startFor(t, "VictoriaMetrics", timeout, func(ctx context.Context) (*servers.VictoriaMetrics, error) {
		return servers.StartVictoriaMetrics(ctx, opts)
	})
}

// NewVMAlert starts vmalert evaluating rules against vm and notifying
// alertmanager (host:port), for one test.
func NewVMAlert(t testing.TB, vm *servers.VictoriaMetrics, rules, alertmanager string) *servers.VMAlert {
	t.Helper()
	return startFor(t, "vmalert", time.Minute, func(ctx context.Context) (*servers.VMAlert, error) {
		return servers.StartVMAlert(ctx, vm, rules, alertmanager)
	})
}
