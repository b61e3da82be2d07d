package prometheus

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/testenv/harness"
	"github.com/opsdeck/opsdeck/internal/testenv/originapi"
	"github.com/opsdeck/opsdeck/sources"
)

// loadTarget serves /metrics with 10,000 series in Origin's metric names:
// 2,500 handlers, each with a 2xx and a 5xx request counter and two latency
// buckets. It stops when the benchmark ends.
func loadTarget(b *testing.B) string {
	start := time.Now()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := time.Since(start).Seconds()
		var s strings.Builder
		s.WriteString("# TYPE http_requests_total counter\n")
		for h := range 2500 {
			fmt.Fprintf(&s, "http_requests_total{handler=\"/load/%d\",method=\"GET\",status=\"2xx\"} %g\n", h, t*float64(1+h%7))
			fmt.Fprintf(&s, "http_requests_total{handler=\"/load/%d\",method=\"GET\",status=\"5xx\"} %g\n", h, t*0.01)
		}
		s.WriteString("# TYPE http_request_duration_seconds histogram\n")
		for h := range 2500 {
			fmt.Fprintf(&s, "http_request_duration_seconds_bucket{handler=\"/load/%d\",le=\"0.5\"} %g\n", h, t*0.9)
			fmt.Fprintf(&s, "http_request_duration_seconds_bucket{handler=\"/load/%d\",le=\"+Inf\"} %g\n", h, t)
		}
		w.Write([]byte(s.String()))
	})}
	go srv.Serve(l)
	b.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

// BenchmarkReadAtTenThousandSeries: the four golden signals read (value and
// chart, as a pane does each poll) from a Prometheus holding 10,000 series of
// the job; and one query that answers with all 10,000 series, as a wrong
// query in a Grafana import could. No budget was set for a Prometheus read;
// the figures are in docs/PERFORMANCE.md.
func BenchmarkReadAtTenThousandSeries(b *testing.B) {
	api := originapi.Start(b, originapi.Schedule{Start: time.Now(), Period: time.Hour}, 5)
	prom := harness.NewPrometheus(b, harness.PrometheusOptions{Targets: []string{api, loadTarget(b)}})
	ctx := context.Background()
	wait, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := prom.WaitFor(wait, `count({job="fastapi-app", handler=~"/load/.*"}) >= 10000 and on() count(count_over_time(up[1m]) >= 4) == 2`, func(s []harness.Sample) bool { return len(s) == 1 }); err != nil {
		b.Fatal(err)
	}
	c, err := New(Options{URL: prom.URL()})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	// A 15-minute window at 160 columns, as the console asks for.
	window := func() sources.Window { return sources.WindowFor(time.Now(), 15*time.Minute, 150) }

	b.Run("golden signals", func(b *testing.B) {
		var worst time.Duration
		for b.Loop() {
			start := time.Now()
			for _, spec := range specs() {
				if _, err := c.Read(ctx, spec, window()); err != nil {
					b.Fatal(err)
				}
			}
			worst = max(worst, time.Since(start))
		}
		b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
	})
	b.Run("one answer of 10,000 series", func(b *testing.B) {
		spec := sources.SignalSpec{Key: "x", Query: `rate({__name__=~"http_requests_total|http_request_duration_seconds_bucket", handler=~"/load/.*"}[1m])`}
		var worst time.Duration
		for b.Loop() {
			start := time.Now()
			r, err := c.Read(ctx, spec, window())
			if err != nil {
				b.Fatal(err)
			}
			if r.Series < 10000 {
				b.Fatalf("%d series", r.Series)
			}
			worst = max(worst, time.Since(start))
		}
		b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
	})
}
