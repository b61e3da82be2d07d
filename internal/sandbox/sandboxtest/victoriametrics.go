package sandboxtest

import (
	"context"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
)

// NewVictoriaMetrics starts VictoriaMetrics for one test and stops it when
// the test ends.
func NewVictoriaMetrics(t testing.TB, opts servers.VictoriaMetricsOptions) *servers.VictoriaMetrics {
	t.Helper()
	return startFor(t, "VictoriaMetrics", time.Minute, func(ctx context.Context) (*servers.VictoriaMetrics, error) {
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
