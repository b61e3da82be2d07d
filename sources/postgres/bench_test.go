package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/sources"
)

// BenchmarkPoll: one poll of a server with 500 tables and 300 client
// connections, on loopback. Budgets (docs/PERFORMANCE.md): at most 3 round
// trips and 20 ms per poll.
func BenchmarkPoll(b *testing.B) {
	const (
		tables, conns = 500, 300
		budget        = 20 * time.Millisecond
		maxRoundTrips = 3
	)
	ctx := context.Background()
	pg := sandboxtest.NewPostgres(b, servers.PostgresOptions{Settings: map[string]string{"max_connections": "400"}})
	var ddl strings.Builder
	for i := 0; i < tables; i++ {
		fmt.Fprintf(&ddl, "CREATE TABLE t%03d (id int PRIMARY KEY, v text); INSERT INTO t%03d SELECT g, 'x' FROM generate_series(1, %d) g;\n", i, i, 1+i%50)
	}
	ddl.WriteString("ANALYZE;")
	if err := pg.Exec(ctx, ddl.String()); err != nil {
		b.Fatal(err)
	}
	cfg, err := pgx.ParseConfig(pg.URL())
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < conns; i++ {
		c, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			b.Fatalf("connection %d: %v", i, err)
		}
		defer c.Close(ctx)
		if i%10 == 0 { // some idle transactions among the idle sessions
			if _, err := c.Exec(ctx, "BEGIN; SELECT 1"); err != nil {
				b.Fatal(err)
			}
		}
	}
	dial := &countingDial{}
	c, err := New(Options{URL: pg.URL(), Dial: dial.dial})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	st, err := c.Poll(ctx, sources.DBRequest{}) // connect outside the measurement
	if err != nil {
		b.Fatal(err)
	}
	if st.Connections.Total < conns || len(st.Tables) != 10 {
		b.Fatalf("the load is not there: %d connections, %d tables", st.Connections.Total, len(st.Tables))
	}
	dial.writes.Store(0)
	var worst time.Duration
	n := 0
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if _, err := c.Poll(ctx, sources.DBRequest{}); err != nil {
			b.Fatal(err)
		}
		worst = max(worst, time.Since(start))
		n++
	}
	b.StopTimer()
	trips := float64(dial.writes.Load()) / float64(n)
	b.ReportMetric(trips, "round-trips/op")
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
	if trips > maxRoundTrips {
		b.Errorf("%.1f round trips per poll: over the budget of %d", trips, maxRoundTrips)
	}
	if per := b.Elapsed() / time.Duration(n); per > budget {
		b.Errorf("%s per poll: over the %s budget", per, budget)
	}
}
