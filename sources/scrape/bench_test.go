package scrape

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/sources"
)

// exposition with handlers x methods x statuses request series and a
// 14-bucket histogram per handler: Origin's API exports about 150 series.
func bigExposition(handlers int, tick int) string {
	var b strings.Builder
	b.WriteString("# TYPE http_requests_total counter\n")
	for h := range handlers {
		for _, st := range []string{"2xx", "4xx", "5xx"} {
			fmt.Fprintf(&b, "http_requests_total{handler=\"/h%d\",method=\"GET\",status=%q} %d\n", h, st, (h+1)*tick)
		}
	}
	b.WriteString("# TYPE http_request_duration_seconds histogram\n")
	for h := range handlers {
		c := 0
		for _, le := range []string{"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "1.5", "2", "2.5", "5", "10", "+Inf"} {
			c += tick
			fmt.Fprintf(&b, "http_request_duration_seconds_bucket{handler=\"/h%d\",method=\"GET\",le=%q} %d\n", h, le, c)
		}
		fmt.Fprintf(&b, "http_request_duration_seconds_count{handler=\"/h%d\",method=\"GET\"} %d\n", h, c)
		fmt.Fprintf(&b, "http_request_duration_seconds_sum{handler=\"/h%d\",method=\"GET\"} %d\n", h, c)
	}
	b.WriteString("# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes 4.1e+08\n")
	return b.String()
}

// BenchmarkRefresh is one console refresh in direct mode: a scrape, and the
// four golden signals with 200-point charts over a full ring (1800 samples).
// Budget: 10 ms for Origin's size (8 handlers, ~150 series); 500 handlers
// (~9,000 series) shows how it scales.
func BenchmarkRefresh(b *testing.B) {
	for _, handlers := range []int{8, 500} {
		b.Run(fmt.Sprintf("handlers=%d", handlers), func(b *testing.B) {
			tick := 1
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				fmt.Fprint(w, bigExposition(handlers, tick))
			}))
			defer srv.Close()
			clk := &clock{t: time.Unix(1_700_000_000, 0)}
			src, _ := New(Options{URL: srv.URL, Now: clk.now, Retention: time.Hour})
			ctx := context.Background()
			fill := maxSamples
			if handlers > 8 {
				fill = 300 // the chart's cost does not depend on the series; the setup's does
			}
			for range fill {
				clk.t = clk.t.Add(2 * time.Second)
				tick++
				if err := src.Scrape(ctx); err != nil {
					b.Fatal(err)
				}
			}
			w := sources.WindowFor(clk.t, 15*time.Minute, 200)
			b.ResetTimer()
			for b.Loop() {
				clk.t = clk.t.Add(2 * time.Second)
				tick++
				w.Now, w.End = clk.t, clk.t.Truncate(w.Step)
				for _, spec := range golden {
					if _, err := src.Read(ctx, spec, w); err != nil {
						b.Fatal(err)
					}
				}
			}
			if handlers == 8 && b.Elapsed()/time.Duration(b.N) > 10*time.Millisecond {
				b.Errorf("a direct-mode refresh takes %s, budget 10ms", b.Elapsed()/time.Duration(b.N))
			}
		})
	}
}
