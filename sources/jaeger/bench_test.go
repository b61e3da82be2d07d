package jaeger

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/originapi"
	"github.com/opsdeck/opsdeck/internal/sandbox/otelspans"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/sources/httpapi"
)

// BenchmarkFiveHundredSpanTrace: a 500-span trace fetched from a real
// Jaeger on loopback and put in tree order. Budget: 200 ms.
func BenchmarkFiveHundredSpanTrace(b *testing.B) {
	j := sandboxtest.NewJaeger(b)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	api := originapi.New()
	// Through the OpenTelemetry SDK, as an instrumented service sends them.
	shutdown, err := otelspans.Export(ctx, api, j.OTLPEndpoint())
	if err != nil {
		b.Fatal(err)
	}
	defer shutdown()
	const id = "0123456789abcdef0123456789abcdef"
	api.DeepTrace(id, 500)
	c, err := New(httpapi.APIOptions{URL: j.QueryURL()})
	if err != nil {
		b.Fatal(err)
	}
	for { // until the batch has reached Jaeger
		tr, err := c.Trace(ctx, id)
		if err == nil && len(tr.Spans) == 500 {
			break
		}
		if err != nil && !strings.Contains(err.Error(), "not in Jaeger") {
			b.Fatal(err)
		}
		select {
		case <-ctx.Done():
			b.Fatalf("the trace did not reach Jaeger whole: %v", err)
		case <-time.After(200 * time.Millisecond):
		}
	}
	var worst time.Duration
	for b.Loop() {
		start := time.Now()
		tr, err := c.Trace(ctx, id)
		if err != nil || len(tr.Spans) != 500 || tr.Spans[0].Depth != 0 || tr.Spans[1].Depth != 1 {
			b.Fatalf("%d spans, %v", len(tr.Spans), err)
		}
		worst = max(worst, time.Since(start))
	}
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
	if worst > 200*time.Millisecond {
		b.Errorf("worst %v: budget 200 ms", worst)
	}
}
