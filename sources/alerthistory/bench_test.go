package alerthistory

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/prometheus"
)

// weekAnswer is the query's answer for alerts alerts over a week at a
// minute, each firing a run of samples of every period minutes (a run of
// on minutes): the edges the server would send for those samples.
func weekAnswer(alerts, period, on int) []prometheus.Sample {
	now := time.Date(2026, 11, 30, 14, 30, 0, 0, time.UTC)
	start := now.Add(-sources.HistoryWeek)
	var out []prometheus.Sample
	edge := func(i int, kind string, at time.Time) {
		out = append(out, prometheus.Sample{Labels: map[string]string{"alertname": fmt.Sprintf("Alert%d", i%40), "instance": fmt.Sprintf("api-%d:9", i),
			"severity": "warning", atLabel: strconv.FormatInt(at.Unix(), 10), edgeLabel: kind}, Value: 1})
	}
	for i := range alerts {
		for m := i % period; m < 7*24*60; m += period {
			s := start.Add(time.Duration(m) * time.Minute)
			edge(i, "start", s)
			edge(i, "end", s.Add(time.Duration(on)*time.Minute))
		}
	}
	return out
}

// BenchmarkDeriveWeek: reading the answer into edges and deriving every
// alert's firings, per series and by name, for 200 alerts over 7 days of
// 1-minute samples. Flapping: each fires 2 minutes of every 10 (1008
// firings a week each, 403,200 edges); steady: 20 minutes a day.
func BenchmarkDeriveWeek(b *testing.B) {
	for _, c := range []struct {
		name       string
		period, on int
	}{{"flapping", 10, 2}, {"steady", 24 * 60, 20}} {
		answer := weekAnswer(200, c.period, c.on)
		now := time.Date(2026, 11, 30, 14, 30, 0, 0, time.UTC)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				edges, err := Edges(answer)
				if err != nil {
					b.Fatal(err)
				}
				h := sources.DeriveHistory(edges, now.Add(-sources.HistoryWeek), now, time.Minute)
				if len(h.Series) != 200 {
					b.Fatalf("%d series", len(h.Series))
				}
			}
			b.ReportMetric(float64(len(answer)), "edges")
		})
	}
}
