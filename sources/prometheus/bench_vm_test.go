package prometheus

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/sources"
)

// vmHistory is loadTarget's 100,000 series (25,000 handlers, 4 series
// each) as VictoriaMetrics' JSON lines, scraped every 15 s from 16 minutes
// before now to 10 minutes after: the benchmark reads at the present for
// minutes, and VictoriaMetrics has no scrape to keep its series current.
func vmHistory(handlers int, now time.Time) *bytes.Buffer {
	const every, span, ahead = 15 * time.Second, 16 * time.Minute, 10 * time.Minute
	n := int((span + ahead) / every)
	var ts strings.Builder
	for i := range n {
		if i > 0 {
			ts.WriteByte(',')
		}
		ts.WriteString(strconv.FormatInt(now.Add(-span+time.Duration(i+1)*every).UnixMilli(), 10))
	}
	stamps := ts.String()
	series := func(b *bytes.Buffer, labels string, rate float64) {
		fmt.Fprintf(b, `{"metric":{%s},"values":[`, labels)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.FormatFloat(rate*float64((i+1)*int(every/time.Second)), 'f', -1, 64))
		}
		fmt.Fprintf(b, `],"timestamps":[%s]}`+"\n", stamps)
	}
	var b bytes.Buffer
	for h := range handlers {
		job := fmt.Sprintf(`"job":"fastapi-app","instance":"load:1","handler":"/load/%d"`, h)
		series(&b, `"__name__":"http_requests_total",`+job+`,"method":"GET","status":"2xx"`, float64(1+h%7))
		series(&b, `"__name__":"http_requests_total",`+job+`,"method":"GET","status":"5xx"`, 0.01)
		series(&b, `"__name__":"http_request_duration_seconds_bucket",`+job+`,"le":"0.5"`, 0.9)
		series(&b, `"__name__":"http_request_duration_seconds_bucket",`+job+`,"le":"+Inf"`, 1)
	}
	return &b
}

// BenchmarkBreakdownAt100kSeriesOnVictoriaMetrics: the breakdown of each
// golden signal by handler from VictoriaMetrics holding the same 100,000
// series of the job as BenchmarkBreakdownAt100kSeries's Prometheus
// (imported through /api/v1/import, 16 minutes at 15 s), on Debian's 1.79.5
// and on the current release (`make victoriametrics`), each in a
// sub-benchmark of its own. Budget: 300 ms from the key to ten rows on
// screen. Each read also times the query the rows wait for, asked alone
// with nothing decoded: what opsdeck adds to the server's answer is held
// under its allowance on both; a miss of the budget that the server alone
// makes is logged with the server's own time, as on Prometheus 2.42.
func BenchmarkBreakdownAt100kSeriesOnVictoriaMetrics(b *testing.B) {
	const handlers = 25000
	for _, current := range []bool{false, true} {
		name := "debian-" + servers.DebianVictoriaMetricsVersion
		if current {
			name = "current-" + servers.VictoriaMetricsVersion
		}
		// The server lives as long as its sub-benchmark (sandboxtest stops
		// it then): two holding 100,000 series each would compete for the
		// machine.
		b.Run(name, func(b *testing.B) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			vm, c := loadedVM(ctx, b, handlers, current)
			specs := goldenSpecs()
			for _, key := range []string{sources.RPS, sources.ErrorRate, sources.P95Latency} {
				b.Run(key, func(b *testing.B) { breakdownOnVM(ctx, b, c, vm, name, specs[key], handlers) })
			}
		})
	}
}

// loadedVM is a VictoriaMetrics (the current release when current) holding
// vmHistory's 4 series per handler, and a client of it.
func loadedVM(ctx context.Context, b *testing.B, handlers int, current bool) (*servers.VictoriaMetrics, *Client) {
	vm := sandboxtest.NewVictoriaMetrics(b, servers.VictoriaMetricsOptions{Current: current})
	if err := vm.ImportJSON(ctx, vmHistory(handlers, time.Now())); err != nil {
		b.Fatal(err)
	}
	if err := vm.WaitFor(ctx, `count({job="fastapi-app"})`, func(s []servers.Sample) bool { return len(s) == 1 && s[0].Value == float64(4*handlers) }); err != nil {
		b.Fatal(err)
	}
	// A generous timeout: the figure is measured, not cut off.
	c, err := New(Options{URL: vm.URL(), Timeout: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	return vm, c
}

// breakdownOnVM times spec's breakdown from vm (named server) as the key
// asks it, with the server alone beside each read, and holds the budgets.
func breakdownOnVM(ctx context.Context, b *testing.B, c *Client, vm *servers.VictoriaMetrics, server string, spec sources.SignalSpec, handlers int) {
	const budget, overhead = 300 * time.Millisecond, 60 * time.Millisecond
	first := rowsQuery(spec, "handler")
	var rows, alone, added []time.Duration
	read := func() time.Duration {
		start := time.Now()
		w := sources.WindowFor(start, 15*time.Minute, 24)
		w.Now = start
		var shown time.Duration
		bd, err := c.BreakdownEarly(ctx, spec, "", w, func(e sources.Breakdown) {
			if len(e.Rows) == sources.MaxBreakdownRows {
				shown = time.Since(start)
			}
		})
		if err != nil {
			b.Fatal(err)
		}
		if bd.Label != "handler" || len(bd.Rows) != sources.MaxBreakdownRows || bd.Others < handlers-sources.MaxBreakdownRows || shown == 0 {
			b.Fatalf("by %q: %d rows, %d others, rows first after %v", bd.Label, len(bd.Rows), bd.Others, shown)
		}
		return shown
	}
	measure := func() {
		// The server alone before the breakdown, then after it, in turn.
		var bare, shown time.Duration
		if len(rows)%2 == 0 {
			bare, shown = bareQuery(b, vm, first), read()
		} else {
			shown, bare = read(), bareQuery(b, vm, first)
		}
		rows, alone, added = append(rows, shown), append(alone, bare), append(added, shown-bare)
	}
	measure() // the first evaluation and connection, not counted
	rows, alone, added = nil, nil, nil
	for b.Loop() {
		measure()
	}
	for len(rows) < 10 {
		measure()
	}
	worst := slices.Max(rows)
	median := func(d []time.Duration) time.Duration { d = slices.Clone(d); slices.Sort(d); return d[len(d)/2] }
	b.ReportMetric(float64(worst.Microseconds())/1000, "rows-worst-ms")
	b.ReportMetric(float64(median(rows).Microseconds())/1000, "rows-median-ms")
	b.ReportMetric(float64(median(alone).Microseconds())/1000, "server-ms")
	b.ReportMetric(float64(median(added).Microseconds())/1000, "added-ms")
	b.Logf("VictoriaMetrics %s: rows on screen: median %v, worst %v; the server alone: median %v; opsdeck adds %v (median of %d)",
		server, median(rows), worst, median(alone), median(added), len(rows))
	switch {
	case median(added) > overhead:
		b.Errorf("opsdeck adds %v to the server's answer, more than %v", median(added), overhead)
	case worst > budget && median(alone) > budget:
		b.Logf("over the budget of %v on VictoriaMetrics %s, which alone takes %v to answer %s", budget, server, median(alone), first)
	case worst > budget:
		b.Errorf("rows on screen: worst %v: budget %v", worst, budget)
	}
}
