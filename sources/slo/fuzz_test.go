package slo

import (
	"math"
	"strings"
	"testing"

	"github.com/opsdeck/opsdeck/internal/promql"
	origin "github.com/opsdeck/opsdeck/internal/sandbox/originapi/slo"
)

// FuzzRules: whatever a server answers for its rules, decoding and
// discovery neither panic nor hang, and every objective found has a
// ratio objective, a positive window and a query PromQL's lexer accepts.
func FuzzRules(f *testing.F) {
	f.Add([]byte(`{"status":"success","data":{"groups":[{"rules":[`+
		`{"name":"sloth_slo_info","query":"vector(1)","labels":{"sloth_id":"a","sloth_service":"s","sloth_slo":"x"}},`+
		`{"name":"slo:objective:ratio","query":"vector(0.999)","labels":{"sloth_id":"a"}},`+
		`{"name":"slo:sli_error:ratio_rate5m","query":"x","labels":{"sloth_id":"a"}},`+
		`{"name":"pyrra_objective","query":"vector(0.99)","labels":{"slo":"p\"}"}},`+
		`{"name":"m:burnrate1h","query":"y","labels":{"slo":"p\"}"}}]}]}}`), 200)
	f.Add([]byte(`{"status":"error","error":"\u001b[31mno"}`), 503)
	f.Add([]byte(`<html>`), 502)
	f.Add([]byte(strings.Repeat(`{"name":"slo:objective:ratio","query":"vector(NaN)"}`, 3)), 200)
	f.Fuzz(func(t *testing.T, body []byte, code int) {
		rules, err := decodeRules(body, code, "status")
		if err != nil {
			return
		}
		for _, o := range fromRules(rules) {
			if !(o.objective > 0 && o.objective < 1) || o.window <= 0 {
				t.Fatalf("objective %+v", o)
			}
			if err := promql.Check(o.query); err != nil {
				t.Fatalf("query %q: %v", o.query, err)
			}
		}
	})
}

// TestOriginRulesDiscovered: the rules sloth generated for Origin, as a
// server lists them, give its two objectives.
func TestOriginRulesDiscovered(t *testing.T) {
	var rules []recordingRule
	var cur *recordingRule
	for _, line := range strings.Split(origin.Rules(), "\n") {
		l := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(l, "- record: "):
			rules = append(rules, recordingRule{Name: strings.TrimPrefix(l, "- record: "), Labels: map[string]string{}})
			cur = &rules[len(rules)-1]
		case cur != nil && strings.HasPrefix(l, "expr: vector("):
			cur.Query = strings.TrimPrefix(l, "expr: ")
		case cur != nil && strings.HasPrefix(l, "sloth_"):
			k, v, _ := strings.Cut(l, ": ")
			cur.Labels[k] = strings.Trim(v, `"`)
		}
	}
	got := fromRules(rules)
	if len(got) != 2 {
		t.Fatalf("objectives %+v", got)
	}
	for i, want := range []struct {
		name      string
		objective float64
	}{{"origin-api/requests-availability", 0.995}, {"origin-api/requests-latency", 0.99}} {
		if got[i].name != want.name || math.Abs(got[i].objective-want.objective) > 1e-12 || got[i].origin != "sloth" {
			t.Errorf("objective %d: %+v, want %+v", i, got[i], want)
		}
	}
}
