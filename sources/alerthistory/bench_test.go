package alerthistory

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
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
	edge := func(i int, sign int64, at time.Time) {
		out = append(out, prometheus.Sample{Labels: map[string]string{"alertname": fmt.Sprintf("Alert%d", i%40), "instance": fmt.Sprintf("api-%d:9", i),
			"severity": "warning", atLabel: strconv.FormatInt(sign*at.Unix(), 10)}, Value: 1})
	}
	for i := range alerts {
		for m := i % period; m < 7*24*60; m += period {
			s := start.Add(time.Duration(m) * time.Minute)
			edge(i, 1, s)
			edge(i, -1, s.Add(time.Duration(on)*time.Minute))
		}
	}
	return out
}

// BenchmarkDeriveWeek: reading the answer into edges and deriving every
// alert's firings, per series and by name, for 200 alerts over 7 days of
// 1-minute samples. Flapping: each fires 2 minutes of every 10 (1008
// firings a week each, 403,200 edges, an answer far over the client's
// 8 MiB); bound: every 84 minutes (48,000 edges, about what 8 MiB holds);
// steady: 20 minutes a day.
func BenchmarkDeriveWeek(b *testing.B) {
	for _, c := range []struct {
		name       string
		period, on int
	}{{"flapping", 10, 2}, {"bound", 84, 2}, {"steady", 24 * 60, 20}} {
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

// BenchmarkWeekQuery: the one query against the real Prometheus (2.42)
// holding a backfilled week of 200 alerts firing 20 minutes a day and 10
// firing 5 minutes every hour, at a minute's samples: the server's time,
// the answer's decoding and the derivation, as the strip pays them every
// five minutes.
func BenchmarkWeekQuery(b *testing.B) {
	sandboxtest.SkipServers(b, "Prometheus")
	now := time.Now().Truncate(time.Minute)
	history := func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		bw.WriteString("# TYPE ALERTS gauge\n")
		write := func(name string, i int, every, on time.Duration) {
			for start := now.Add(-sources.HistoryWeek + time.Duration(i)*time.Minute); start.Before(now.Add(-time.Hour)); start = start.Add(every) {
				for at := start; at.Before(start.Add(on)); at = at.Add(time.Minute) {
					fmt.Fprintf(bw, "ALERTS{alertname=%q,alertstate=\"firing\",instance=\"api-%d:9\",severity=\"warning\"} 1 %d\n", name, i, at.Unix())
				}
			}
		}
		for i := range 200 {
			write(fmt.Sprintf("Daily%d", i%40), i, 24*time.Hour, 20*time.Minute)
		}
		for i := range 10 {
			write("Hourly", i, time.Hour, 5*time.Minute)
		}
		bw.WriteString("# EOF\n")
		return bw.Flush()
	}
	prom := sandboxtest.NewPrometheus(b, servers.PrometheusOptions{History: history})
	c, err := prometheus.New(prometheus.Options{URL: prom.URL(), Timeout: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	r := New(c, Options{Now: func() time.Time { return now }, MaxAge: time.Nanosecond})
	var edges int
	for b.Loop() {
		h, err := r.Read(context.Background(), []sources.Alert{{Name: fmt.Sprint(edges), State: "firing"}})
		if err != nil {
			b.Fatal(err)
		}
		edges++
		if len(h.Series) != 210 {
			b.Fatalf("%d series, want 210", len(h.Series))
		}
	}
}
