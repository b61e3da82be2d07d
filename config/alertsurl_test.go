package config

import (
	"strings"
	"testing"

	"github.com/opsdeck/opsdeck/ui"
)

// TestAlertsURL: prometheus.alerts_url (vmalert beside VictoriaMetrics) is
// read, and a bad one is refused at its file, line and field.
func TestAlertsURL(t *testing.T) {
	cfg, err := Parse("ok.yaml", []byte("environments:\n  a:\n    prometheus:\n      url: http://vm:8428\n      alerts_url: http://vmalert:8880\n"), nil, ui.Specs())
	if err != nil || cfg.Environments["a"].Prometheus.AlertsURL != "http://vmalert:8880" {
		t.Fatalf("alerts_url: %v", err)
	}
	_, err = Parse("bad.yaml", []byte("environments:\n  a:\n    prometheus:\n      url: http://vm:8428\n      alerts_url: vmalert:8880/api/v1\n"), nil, ui.Specs())
	if err == nil || !strings.Contains(err.Error(), "bad.yaml:5: environments.a.prometheus.alerts_url") {
		t.Errorf("a bad alerts_url: %v", err)
	}
}
