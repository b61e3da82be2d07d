package victorialogs_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/otellogs"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/httpapi"
	. "github.com/opsdeck/opsdeck/sources/victorialogs"
)

// BenchmarkTraceLinesOfAMillion: the jump from a trace to its lines, with
// 1,000,000 lines stored (sent through the OpenTelemetry SDK over the last
// hour, one trace id per ten lines): the lines of one trace id in the
// hour, read from a real VictoriaLogs on loopback. Budget: 500 ms.
func BenchmarkTraceLinesOfAMillion(b *testing.B) {
	vl := sandboxtest.NewVictoriaLogs(b)
	ctx, cancel := wait.Bounded(b)
	defer cancel()
	lg, err := otellogs.New(ctx, vl.OTLPLogsURL(), "origin-api")
	if err != nil {
		b.Fatal(err)
	}
	const lines, perTrace = 1_000_000, 10
	now := time.Now()
	for i := range lines {
		err := lg.Emit(ctx, otellogs.Record{Time: now.Add(-time.Hour).Add(time.Duration(i) * time.Hour / lines), Level: "info",
			Message: fmt.Sprintf("GET /api/chat/%d 200", i), TraceID: fmt.Sprintf("%032x", i/perTrace+1), SpanID: fmt.Sprintf("%016x", i+1)})
		if err != nil {
			b.Fatal(err)
		}
		if i%20_000 == 19_999 {
			if err := lg.Flush(ctx); err != nil { // the SDK drops what its queue cannot hold
				b.Fatal(err)
			}
		}
	}
	if err := lg.Shutdown(ctx); err != nil {
		b.Fatal(err)
	}
	c, err := New(Options{API: httpapi.APIOptions{URL: vl.URL()}, Filter: `service.name:"origin-api"`})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	hour := sources.LogQuery{Start: now.Add(-time.Hour), End: now.Add(time.Second)}
	wait.Eventually(b, "a million lines searchable", func() error {
		v, err := c.Volume(ctx, hour, time.Hour)
		n := 0
		for _, s := range v {
			n += s.ByLevel["info"]
		}
		if err == nil && n != lines {
			err = fmt.Errorf("%d lines counted", n)
		}
		if err != nil {
			return err
		}
		// VictoriaLogs counts new lines a moment before a query with a
		// limit returns them: the newest trace's lines, read.
		q := hour
		q.Filter = fmt.Sprintf(`trace_id:"%032x"`, lines/perTrace)
		got, err := c.Lines(ctx, q)
		if err == nil && len(got) != perTrace {
			err = fmt.Errorf("%d lines of the newest trace", len(got))
		}
		return err
	}, wait.Context(ctx))
	var worst time.Duration
	i := 0
	for b.Loop() {
		i++
		q := hour
		q.Filter = fmt.Sprintf(`trace_id:"%032x"`, (i*7919)%(lines/perTrace)+1)
		start := time.Now()
		got, err := c.Lines(ctx, q)
		worst = max(worst, time.Since(start))
		if err != nil || len(got) != perTrace {
			b.Fatalf("%s: %d lines, %v", q.Filter, len(got), err)
		}
	}
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
	if worst > 500*time.Millisecond {
		b.Errorf("worst %v: budget 500 ms", worst)
	}
}
