package actions

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
)

// BenchmarkResetPreviewAt5000Tables: the reset's plan, closure included, in
// a database of 5,000 tables with foreign keys between them and 20
// partitioned tables (budget: 1 s, so that R answers at once).
func BenchmarkResetPreviewAt5000Tables(b *testing.B) {
	pg := sandboxtest.NewPostgres(b, servers.PostgresOptions{})
	var sql strings.Builder
	sql.WriteString("CREATE TABLE t0 (id int PRIMARY KEY);")
	for i := 1; i < 4960; i++ {
		fmt.Fprintf(&sql, "CREATE TABLE t%d (id int PRIMARY KEY, up int REFERENCES t%d(id));", i, i/2)
	}
	for i := range 20 {
		fmt.Fprintf(&sql, "CREATE TABLE p%d (at int) PARTITION BY RANGE (at); CREATE TABLE p%d_a PARTITION OF p%d FOR VALUES FROM (0) TO (10);", i, i, i)
	}
	if err := pg.Exec(context.Background(), sql.String()); err != nil {
		b.Fatal(err)
	}
	r := &ResetAction{Environment: "qa", DatabaseURL: pg.URL()}
	b.ResetTimer()
	for b.Loop() {
		p, err := r.Preview(context.Background())
		if err != nil || len(p.tables) != 5000 {
			b.Fatalf("%d tables, %v", len(p.tables), err)
		}
	}
	if ms := b.Elapsed().Milliseconds() / int64(b.N); ms > 1000 {
		b.Fatalf("%d ms a preview, over the 1 s budget", ms)
	}
}
