package originapi

import (
	"context"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
)

func TestScheduleHasIncidents(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := Schedule{Start: start, Period: 5 * time.Minute}
	if p := s.At(start.Add(30 * time.Second)); p.Incident != "" || p.ErrorRatio > 0.01 {
		t.Errorf("calm start: %+v", p)
	}
	if p := s.At(start.Add(90 * time.Second)); p.Incident != "errors" || p.ErrorRatio < 0.05 {
		t.Errorf("error spike: %+v", p)
	}
	if p := s.At(start.Add(200 * time.Second)); p.Incident != "latency" || p.MedianLatency < time.Second {
		t.Errorf("latency spike: %+v", p)
	}
	if StatusGroup(502) != "5xx" || StatusGroup(200) != "2xx" {
		t.Error("status groups")
	}
}

// TestBackfillLoadsIntoPrometheus: the simulated past goes through real
// promtool into a real Prometheus, and reads back as the traffic it simulated.
func TestBackfillLoadsIntoPrometheus(t *testing.T) {
	now := time.Now()
	sched := Schedule{Start: now.Add(-20 * time.Minute), Period: 5 * time.Minute}
	history := func(w io.Writer) error {
		return Backfill(w, sched.Start, now, 5*time.Second, Instance{Sched: sched, Labels: map[string]string{"job": "fastapi-app", "instance": "127.0.0.1:1"}, Seed: 42})
	}
	var text strings.Builder
	if err := history(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# TYPE http_requests counter", "# TYPE http_request_duration_seconds histogram", `le="+Inf"`, "# EOF\n"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("OpenMetrics lacks %q", want)
		}
	}
	prom := sandboxtest.NewPrometheus(t, servers.PrometheusOptions{Targets: []string{"127.0.0.1:1"}, History: history})
	ctx := context.Background()
	// The first error spike (12 % 5xx) runs from 60 s to 150 s into the schedule.
	at := sched.Start.Add(150 * time.Second)
	got, err := prom.Query(ctx, `sum(rate(http_requests_total{status="5xx"}[1m])) / sum(rate(http_requests_total[1m]))`, at)
	if err != nil || len(got) != 1 {
		t.Fatalf("query: %v %v", got, err)
	}
	if got[0].Value < 0.08 || got[0].Value > 0.16 {
		t.Errorf("error ratio during the simulated spike = %v, want about 0.12", got[0].Value)
	}
	rps, err := prom.Query(ctx, `sum(rate(http_requests_total{job="fastapi-app",instance="127.0.0.1:1"}[1m]))`, now.Add(-3*time.Minute))
	if err != nil || len(rps) != 1 || math.Abs(rps[0].Value-40) > 15 {
		t.Errorf("backfilled RPS = %v (%v), want about 40", rps, err)
	}
}
