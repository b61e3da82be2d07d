package prometheus

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/originapi"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
	"github.com/opsdeck/opsdeck/sources"
)

// vmalertRules are the rules vmalert evaluates against VictoriaMetrics: one
// firing at once, one pending for an hour.
const vmalertRules = `groups:
  - name: vm
    rules:
      - alert: AlwaysFiring
        expr: vector(1)
        labels: {severity: critical}
        annotations: {summary: "fires at once"}
      - alert: SlowToFire
        expr: vector(1)
        for: 1h
        labels: {severity: warning}
`

// TestAlertsFromVMAlert: VictoriaMetrics evaluates no rules; vmalert does,
// against it. With alerts_url pointing at vmalert the alerts are vmalert's,
// in Prometheus's order (firing first); through a VictoriaMetrics that
// proxies vmalert (-vmalert.proxyURL) they come with no setting at all;
// without either the server says it evaluates none and names the setting;
// an alerts_url that cannot be reached says which server failed.
func TestAlertsFromVMAlert(t *testing.T) {
	t.Parallel()
	sandboxtest.SkipServers(t, "VictoriaMetrics and vmalert")
	api := originapi.Start(t, originapi.Schedule{Start: time.Now(), Period: time.Hour}, 31)
	vm := sandboxtest.NewVictoriaMetrics(t, servers.VictoriaMetricsOptions{Targets: []string{api}})
	va := sandboxtest.NewVMAlert(t, vm, vmalertRules, sandboxtest.NewAlertmanager(t).Addr())
	proxied := sandboxtest.NewVictoriaMetrics(t, servers.VictoriaMetricsOptions{Targets: []string{api}, VMAlertProxy: va.URL()})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	firing := func(c *Client) func() error {
		return func() error {
			alerts, err := c.Alerts(ctx)
			if err != nil {
				return err
			}
			if len(alerts) != 2 || alerts[0].Name != "AlwaysFiring" || alerts[0].State != "firing" || alerts[0].Severity != "critical" ||
				alerts[0].Summary != "fires at once" || alerts[0].ActiveAt.IsZero() || alerts[1].Name != "SlowToFire" || alerts[1].State != "pending" {
				return fmt.Errorf("alerts %+v", alerts)
			}
			return nil
		}
	}
	wait.Eventually(t, "vmalert's alerts through alerts_url", firing(newClient(t, Options{URL: vm.URL(), AlertsURL: va.URL()})), wait.Context(ctx))
	wait.Eventually(t, "vmalert's alerts through VictoriaMetrics' proxy", firing(newClient(t, Options{URL: proxied.URL()})), wait.Context(ctx))

	_, err := newClient(t, Options{URL: vm.URL()}).Alerts(ctx)
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindNoRules || !errors.Is(err, sources.ErrNoAlerting) || !strings.Contains(e.Msg, "prometheus.alerts_url") {
		t.Errorf("VictoriaMetrics alone: %v, want %s naming prometheus.alerts_url", err, KindNoRules)
	}
	dead := fmt.Sprintf("http://127.0.0.1:%d", sandboxtest.DeadPort(t))
	_, err = newClient(t, Options{URL: vm.URL(), AlertsURL: dead}).Alerts(ctx)
	if !errors.As(err, &e) || e.Kind != KindUnreachable || !strings.HasPrefix(e.Msg, "alerts from "+dead+": connection refused") {
		t.Errorf("a dead alerts_url: %v", err)
	}
}
