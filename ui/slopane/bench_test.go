package slopane

import (
	"context"
	"fmt"
	"math"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/originapi"
	origin "github.com/opsdeck/opsdeck/internal/sandbox/originapi/slo"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
	"github.com/opsdeck/opsdeck/sources/httpapi"
	"github.com/opsdeck/opsdeck/sources/prometheus"
	"github.com/opsdeck/opsdeck/sources/slo"
	"github.com/opsdeck/opsdeck/ui/theme"
)

// countingQuerier counts the instant queries a refresh asks.
type countingQuerier struct {
	*prometheus.Client
	n atomic.Int64
}

func (c *countingQuerier) Instant(ctx context.Context, q string, at time.Time) ([]prometheus.Sample, []string, error) {
	c.n.Add(1)
	return c.Client.Instant(ctx, q, at)
}

// BenchmarkPollAndRender: one refresh of the SLO pane against the current
// Prometheus loading the rules sloth generated for Origin (two objectives,
// discovered once, then kept): the objectives read, then drawn at 160
// cells. Budget (docs/PERFORMANCE.md): one query per objective per
// refresh, and a refresh within 50 ms.
func BenchmarkPollAndRender(b *testing.B) {
	const budget = 50 * time.Millisecond
	api := originapi.Start(b, originapi.Schedule{Start: time.Now(), Always: "errors"}, 3)
	p := sandboxtest.NewPrometheus(b, servers.PrometheusOptions{Targets: []string{api}, Current: true, Rules: origin.Rules()})
	ctx, cancel := wait.Bounded(b)
	defer cancel()
	wait.Eventually(b, "sloth's 30d ratio", func() error {
		got, err := p.Query(ctx, `slo:sli_error:ratio_rate30d`, time.Now())
		if err != nil || len(got) != 2 || math.IsNaN(got[0].Value) || math.IsNaN(got[1].Value) {
			return fmt.Errorf("%v %v", got, err)
		}
		return nil
	}, wait.Context(ctx))
	client, err := prometheus.New(prometheus.Options{URL: p.URL()})
	if err != nil {
		b.Fatal(err)
	}
	rules, err := httpapi.NewAPI(httpapi.APIOptions{Name: "prometheus", URL: p.URL()})
	if err != nil {
		b.Fatal(err)
	}
	q := &countingQuerier{Client: client}
	src := slo.New(slo.Options{Prometheus: q, Rules: rules})
	st := theme.New(theme.Dark(), false)
	if got, err := src.Objectives(ctx); err != nil || len(got) != 2 {
		b.Fatalf("objectives %v, error %v", got, err)
	}
	q.n.Store(0)
	var worst time.Duration
	refreshes := 0
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		got, err := src.Objectives(ctx)
		if err != nil || len(got) != 2 {
			b.Fatalf("objectives %v, error %v", got, err)
		}
		if lines := Lines(st, got, nil, 156, 40, false); len(lines) != 4 {
			b.Fatalf("%d lines, want 4", len(lines))
		}
		worst = max(worst, time.Since(start))
		refreshes++
	}
	b.StopTimer()
	perRefresh := float64(q.n.Load()) / float64(refreshes)
	b.ReportMetric(perRefresh, "queries/refresh")
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
	if perRefresh > 2 {
		b.Errorf("%.1f queries a refresh for 2 objectives: over the budget of one each", perRefresh)
	}
	if per := b.Elapsed() / time.Duration(refreshes); per > budget {
		b.Errorf("%s a refresh: over the %s budget", per, budget)
	}
}
