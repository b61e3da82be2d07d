package servers

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// TestVictoriaMetricsScrapesAndVMAlertNotifies: VictoriaMetrics scrapes a
// target on its own, vmalert evaluates a rule against it and the firing
// alert reaches Alertmanager; each on a port of its own, each directory
// gone after Stop.
func TestVictoriaMetricsScrapesAndVMAlertNotifies(t *testing.T) {
	skipServers(t, "VictoriaMetrics")
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("probe_value 7\n"))
	}))
	defer l.Close()
	vm, err := StartVictoriaMetrics(ctx, VictoriaMetricsOptions{Targets: []string{l.Addr().String()}, Job: "probe"})
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Stop()
	am, err := StartAlertmanager(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer am.Stop()
	rules := "groups:\n  - name: probe\n    rules:\n      - alert: ProbeHigh\n        expr: probe_value > 5\n        labels: {severity: critical}\n"
	va, err := StartVMAlert(ctx, vm, rules, am.Addr())
	if err != nil {
		t.Fatal(err)
	}
	if vm.Port == 8428 || va.Port == 8880 {
		t.Fatal("harness used a default port")
	}
	// The alert fires once the scrape is queryable (VictoriaMetrics reads
	// 30 s in the past) and reaches Alertmanager.
	for {
		var alerts []struct {
			Labels map[string]string `json:"labels"`
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, am.URL()+"/api/v2/alerts", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			json.NewDecoder(resp.Body).Decode(&alerts)
			resp.Body.Close()
		}
		if len(alerts) == 1 && alerts[0].Labels["alertname"] == "ProbeHigh" && alerts[0].Labels["severity"] == "critical" {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no ProbeHigh alert in Alertmanager: %v", alerts)
		case <-time.After(500 * time.Millisecond):
		}
	}
	// vmalert's own API lists it firing.
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, va.URL()+"/api/v1/alerts", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if body := string(b); !strings.Contains(body, `"ProbeHigh"`) || !strings.Contains(body, `"firing"`) {
		t.Errorf("vmalert /api/v1/alerts: %s", body)
	}
	dirs := []string{vm.Dir, va.Dir}
	if err := va.Stop(); err != nil {
		t.Error(err)
	}
	if err := vm.Stop(); err != nil {
		t.Error(err)
	}
	for _, d := range dirs {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("%s left behind (%v)", d, err)
		}
	}
}
