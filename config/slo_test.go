package config

import (
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/ui"
)

// TestSLOErrors: a bad objective is refused at its line, naming the field.
func TestSLOErrors(t *testing.T) {
	head := "environments:\n  a:\n    slos:\n"
	for _, c := range []struct{ name, yaml, want string }{
		{"objective", "      - {name: api, objective: 100, errors: e_total, total: t_total}\n", `bad.yaml:4: environments.a.slos[0].objective: "100": write a percentage between 0 and 100`},
		{"objective text", "      - name: api\n        objective: high\n        errors: e_total\n        total: t_total\n", `bad.yaml:5: environments.a.slos[0].objective: "high"`},
		{"window", "      - name: api\n        objective: 99.9\n        window: 30x\n        errors: e_total\n        total: t_total\n", `bad.yaml:6: environments.a.slos[0].window: "30x": write a window of at least 5m`},
		{"no name", "      - {objective: 99, errors: e_total, total: t_total}\n", `bad.yaml:4: environments.a.slos[0].name: each objective needs a name`},
		{"twice", "      - {name: api, objective: 99, errors: e_total, total: t_total}\n      - {name: api, objective: 99, errors: e_total, total: t_total}\n", `bad.yaml:5: environments.a.slos[1].name: "api" is also the name of slos[0]`},
		{"no form", "      - {name: api, objective: 99}\n", `environments.a.slos[0].errors: write errors and total`},
		{"total missing", "      - name: api\n        objective: 99\n        errors: e_total\n", `bad.yaml:4: environments.a.slos[0].total: missing`},
		{"bad promql", "      - name: api\n        objective: 99\n        errors: 'e_total{code=\"5xx}'\n        total: t_total\n", `bad.yaml:6: environments.a.slos[0].errors: "e_total{code=\"5xx}"`},
		{"not a selector", "      - name: api\n        objective: 99\n        errors: sum(rate(e_total[5m]))\n        total: t_total\n", `bad.yaml:6: environments.a.slos[0].errors: "sum(rate(e_total[5m]))": write a counter selector`},
		{"both forms", "      - {name: api, objective: 99, errors: e_total, total: t_total, latency: h, threshold: 0.5}\n", `environments.a.slos[0].latency: write either errors and total, or latency`},
		{"threshold", "      - name: lat\n        objective: 99\n        latency: h_seconds\n        threshold: fast\n", `bad.yaml:7: environments.a.slos[0].threshold: "fast": write the bound of a histogram bucket`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(head+c.yaml), nil, ui.Specs())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v\nwant %s", err, c.want)
			}
		})
	}
}

// TestSLOForms: both forms are read, with the window's default, and
// PromQL with {{.window}} is accepted where a selector would be.
func TestSLOForms(t *testing.T) {
	yaml := `environments:
  a:
    slos:
      - {name: api, objective: 99.9, window: 28d, errors: 'http_requests_total{status="5xx"}', total: http_requests_total}
      - {name: lat, objective: "99%", latency: 'http_request_duration_seconds{job="api"}', threshold: 0.5}
      - name: custom
        objective: 99.5
        errors: 'sum(rate(jobs_failed_total[{{.window}}]))'
        total: 'sum(rate(jobs_total[{{.window}}]))'
`
	cfg, err := Parse("ok.yaml", []byte(yaml), nil, ui.Specs())
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Environments["a"].SLOs
	if len(s) != 3 || s[0].ObjectivePercent() != 99.9 || s[0].WindowDuration() != 28*24*time.Hour ||
		s[1].ObjectivePercent() != 99 || s[1].WindowDuration() != DefaultSLOWindow || s[1].ThresholdValue() != 0.5 {
		t.Errorf("slos %+v", s)
	}
}
