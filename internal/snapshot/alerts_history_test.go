package snapshot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/prometheus"
)

// historied is a Prometheus whose one alert fires now and fired before at
// the given times (UI-side test double: the history's query itself is
// tested against the real server in sources/alerthistory).
type historied struct {
	firings []time.Duration // starts before now, each lasting 4 minutes but the last
	asked   []string
}

func (h *historied) Read(context.Context, sources.SignalSpec, sources.Window) (sources.Reading, error) {
	return sources.Reading{}, nil
}

func (h *historied) Alerts(context.Context) ([]sources.Alert, error) {
	return []sources.Alert{{Name: "OriginHighErrorRate", State: "firing", Severity: "critical",
		Labels: map[string]string{"alertname": "OriginHighErrorRate", "severity": "critical"}}}, nil
}

func (h *historied) Instant(_ context.Context, query string, at time.Time) ([]prometheus.Sample, []string, error) {
	h.asked = append(h.asked, query)
	var out []prometheus.Sample
	edge := func(sign int64, t time.Time) {
		out = append(out, prometheus.Sample{Labels: map[string]string{"alertname": "OriginHighErrorRate", "severity": "critical",
			"opsdeck_at": fmt.Sprint(sign * t.Unix())}, Value: 1})
	}
	for i, ago := range h.firings {
		edge(1, at.Add(-ago))
		if i < len(h.firings)-1 {
			edge(-1, at.Add(-ago+4*time.Minute))
		}
	}
	out = append(out, prometheus.Sample{Labels: map[string]string{"alertname": "OriginHighErrorRate", "severity": "critical"}, Value: float64(at.Unix())})
	return out, nil, nil
}

// TestReportSaysAlertHistory: a full snapshot reads the history once for
// every alert and the report, the text and the JSON say how often it fired
// in 7 days, its median, the day's count, flapping and the last resolve; a
// glance (the overview) does not read it.
func TestReportSaysAlertHistory(t *testing.T) {
	now := time.Date(2026, 11, 30, 14, 30, 0, 0, time.UTC)
	src := &historied{firings: []time.Duration{6 * 24 * time.Hour, 3 * 24 * time.Hour, 20 * time.Hour, 9 * time.Hour, 2 * time.Hour, 3 * time.Minute}}
	env := &sources.Environment{Name: "production", Metrics: sources.Opened[sources.Metrics]{Source: src}, Scrubber: redact.NewScrubber()}
	d := TakeWith(context.Background(), env, now, Options{Depth: Full, Only: []string{"alerts"}})
	if len(src.asked) != 1 || len(d.Alerts) != 1 || d.Alerts[0].History == nil {
		t.Fatalf("asked %d times; alerts %+v", len(src.asked), d.Alerts)
	}
	h := d.Alerts[0].History
	if h.Fired7d != len(src.firings) || h.Fired24h != 4 || !h.Flapping || h.MedianSeconds != 240 || h.LastResolved != "2026-11-30T12:34:00Z" {
		t.Errorf("history %+v", h)
	}
	var md strings.Builder
	alertsSection{d}.Markdown(&md)
	want := "fired 6 times in 7 days, median 4m, 23m in all; 4 times in 24 h, flapping (4 or more firings in 24 h); last resolved 2026-11-30T12:34:00Z"
	if !strings.Contains(md.String(), "**OriginHighErrorRate** firing, critical — "+want) {
		t.Errorf("report:\n%s", md.String())
	}
	var text strings.Builder
	alertsSection{d}.Text(&text)
	if !strings.Contains(text.String(), "\n          "+want+"\n") {
		t.Errorf("text:\n%s", text.String())
	}
	js, err := json.Marshal(d.Alerts[0])
	if err != nil || !strings.Contains(string(js), `"fired_7d":6`) || !strings.Contains(string(js), `"flapping":true`) {
		t.Errorf("json %s %v", js, err)
	}

	src.asked = nil
	if d := TakeWith(context.Background(), env, now, Options{Depth: Glance, Only: []string{"alerts"}}); len(src.asked) != 0 || d.Alerts[0].History != nil {
		t.Errorf("a glance read the history: %d queries", len(src.asked))
	}
}
