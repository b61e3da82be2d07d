package originapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/otellogs"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
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

// TestLogsReachVictoriaLogsWithTheirTraces: during an error incident the
// API's lines go through the OpenTelemetry SDK into a real VictoriaLogs;
// a traced failed request's lines carry its trace id, and its error line
// holds the traceback that explains the 500.
func TestLogsReachVictoriaLogsWithTheirTraces(t *testing.T) {
	vl := sandboxtest.NewVictoriaLogs(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	api := New()
	if err := api.ExportLogs(ctx, vl.OTLPLogsURL()); err != nil {
		t.Fatal(err)
	}
	traced := map[string]int{} // trace id of a traced request -> its status
	api.SetSpanSink(spanRecorder(func(spans []TraceSpan) { traced[spans[0].TraceID] = 0 }))
	sim := NewSimulator(api, Schedule{Start: time.Now().Add(-time.Hour), Always: "errors"}, 7)
	now := time.Now()
	for i := range 50 { // 5 s of traffic at 40 requests a second: some 10 traced
		sim.Step(now.Add(time.Duration(i)*100*time.Millisecond), 100*time.Millisecond)
	}
	if len(traced) == 0 {
		t.Fatal("no request was traced")
	}
	var body string
	if err := wait.For(t, func() error {
		resp, err := http.PostForm(vl.URL()+"/select/logsql/query", url.Values{"query": {`level:error OR severity_text:ERROR OR "Traceback"`}})
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
		if !strings.Contains(body, "Traceback (most recent call last)") {
			return fmt.Errorf("no traceback among the error lines yet: %s %.300q", resp.Status, body)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	found := 0
	for id := range traced {
		if strings.Contains(body, id) {
			found++
		}
	}
	if found == 0 {
		t.Errorf("no error line carries the trace id of a traced request (%d traced); lines: %.500s", len(traced), body)
	}
}

type spanRecorder func([]TraceSpan)

func (r spanRecorder) Trace(spans []TraceSpan) { r(spans) }

// TestBackfilledLogsFollowTheSchedule: the past's error lines, sent through
// the SDK into a real VictoriaLogs, fall in the schedule's error spike (60 s
// to 150 s into each cycle) and hardly before it, as the backfilled error
// rate does.
func TestBackfilledLogsFollowTheSchedule(t *testing.T) {
	vl := sandboxtest.NewVictoriaLogs(t)
	ctx := context.Background()
	l, err := otellogs.New(ctx, vl.OTLPLogsURL(), ServiceName)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Shutdown(ctx)
	start := time.Now().Add(-10 * time.Minute).Truncate(time.Minute)
	sched := Schedule{Start: start, Period: 5 * time.Minute}
	if err := BackfillLogs(ctx, l, Instance{Sched: sched, Seed: 3}, start, start.Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	count := func(from, to time.Time) (int, error) {
		q := url.Values{"query": {`severity_text:ERROR _time:[` + from.Format(time.RFC3339) + `, ` + to.Format(time.RFC3339) + `) | count() n`}}
		resp, err := http.PostForm(vl.URL()+"/select/logsql/query", q)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		var row struct{ N string }
		if err := json.NewDecoder(resp.Body).Decode(&row); err != nil {
			return 0, fmt.Errorf("%s: %w", resp.Status, err)
		}
		return strconv.Atoi(row.N)
	}
	var calm, spike int
	if err := wait.For(t, func() error {
		var err error
		if calm, err = count(start, start.Add(60*time.Second)); err != nil {
			return err
		}
		if spike, err = count(start.Add(60*time.Second), start.Add(150*time.Second)); err != nil {
			return err
		}
		if spike < 50 {
			return fmt.Errorf("%d error lines in the spike so far", spike)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	t.Logf("error lines: %d in the calm minute, %d in the spike", calm, spike)
	if calm*10 > spike {
		t.Errorf("error lines: %d in the calm minute, %d in the spike's 90 s: the spike is not where the schedule puts it", calm, spike)
	}
}
