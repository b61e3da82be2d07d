package drift

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
)

// BenchmarkCompare: read two schemas of 500 tables x 20 columns from real
// databases and diff them. Budget (docs/PERFORMANCE.md): 1 s.
func BenchmarkCompare(b *testing.B) {
	const tables, columns, budget = 500, 20, time.Second
	ctx := context.Background()
	pg := sandboxtest.NewPostgres(b, servers.PostgresOptions{})
	if err := pg.Exec(ctx, "CREATE DATABASE ref; CREATE DATABASE live"); err != nil {
		b.Fatal(err)
	}
	ddl := func(drift bool) string {
		var s strings.Builder
		for i := 0; i < tables; i++ {
			fmt.Fprintf(&s, "CREATE TABLE t%03d (id serial PRIMARY KEY", i)
			for c := 1; c < columns; c++ {
				typ := "text"
				if drift && i%50 == 0 && c == 3 {
					typ = "varchar(10)"
				}
				fmt.Fprintf(&s, ", c%02d %s", c, typ)
			}
			fmt.Fprintf(&s, "); CREATE INDEX ix_t%03d ON t%03d (c01);\n", i, i)
		}
		return s.String()
	}
	if err := execIn(ctx, pg, "ref", ddl(false)); err != nil {
		b.Fatal(err)
	}
	if err := execIn(ctx, pg, "live", ddl(true)); err != nil {
		b.Fatal(err)
	}
	src := AgainstDatabase(clientB(b, pg.URLFor("live")), clientB(b, pg.URLFor("ref")), "ref")
	src.every = 0 // measure every comparison, not the reuse
	var worst time.Duration
	for b.Loop() {
		start := time.Now()
		d := src.Compare(ctx, false)
		if d.Error != "" || len(d.Differences) != tables/50 {
			b.Fatalf("%s: %d differences", d.Error, len(d.Differences))
		}
		worst = max(worst, time.Since(start))
	}
	b.ReportMetric(float64(worst.Milliseconds()), "worst-ms")
	if per := b.Elapsed() / time.Duration(b.N); per > budget {
		b.Errorf("%s per comparison: over the %s budget", per, budget)
	}
}
