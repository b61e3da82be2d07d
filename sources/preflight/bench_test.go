package preflight

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/sources/postgres"
)

// benchProject is a schema of tables tables (each with an index and a
// foreign key to the first) and 20 pending revisions after it, a mix of
// the statements the rules judge.
func benchProject(tables int) []servers.Revision {
	base := servers.Revision{ID: "b0"}
	base.Upgrade = append(base.Upgrade, "CREATE TABLE t0 (id serial PRIMARY KEY, v text)")
	for i := 1; i < tables; i++ {
		base.Upgrade = append(base.Upgrade, fmt.Sprintf(
			"CREATE TABLE t%d (id serial PRIMARY KEY, t0_id int REFERENCES t0 (id), v text, n int); CREATE INDEX ix_t%d_v ON t%d (v)", i, i, i))
	}
	revs := []servers.Revision{base}
	forms := []string{"ALTER TABLE t%d ADD COLUMN note text", "CREATE INDEX ix_t%d_n ON t%d (n)",
		"ALTER TABLE t%d ALTER COLUMN n TYPE bigint", "ALTER TABLE t%d ADD COLUMN token uuid DEFAULT gen_random_uuid()",
		"ALTER TABLE t%d ADD CONSTRAINT ck_t%d CHECK (n > 0) NOT VALID"}
	for i := 1; i <= 20; i++ {
		sql := forms[i%len(forms)]
		sql = strings.ReplaceAll(sql, "%d", fmt.Sprint(i))
		revs = append(revs, servers.Revision{ID: fmt.Sprintf("r%02d", i), Down: revs[len(revs)-1].ID, Upgrade: []string{sql}})
	}
	return revs
}

// benchPreflight judges the 20 pending revisions, with a rehearsal or not,
// and fails over budget.
func benchPreflight(b *testing.B, tables int, rehearse bool, budget time.Duration) {
	ctx := context.Background()
	pg := sandboxtest.NewPostgres(b, servers.PostgresOptions{})
	dir := b.TempDir()
	revs := benchProject(tables)
	if err := servers.WriteAlembicRevisions(dir, revs); err != nil {
		b.Fatal(err)
	}
	if err := servers.Alembic(ctx, dir, pg.URL(), "upgrade", "b0"); err != nil {
		b.Fatal(err)
	}
	db, err := postgres.New(postgres.Options{URL: pg.URL()})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	in := Inputs{
		Render: func(ctx context.Context) (string, error) {
			return servers.AlembicOutput(ctx, dir, pg.URL(), "upgrade", "b0:head", "--sql")
		},
		Activity: db.TableActivity, LockTimeout: 5 * time.Second,
	}
	if rehearse {
		in.Where = "scratch"
		in.Rehearse = func(ctx context.Context, stmts []Statement) ([]Observed, error) {
			schema, err := pg.DumpSchema(ctx) // the dump is part of the cost
			if err != nil {
				return nil, err
			}
			return Rehearse(ctx, pg.URLFor("postgres"), schema, stmts)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		v := Judge(ctx, in)
		if v.RenderErr != "" || v.LiveErr != "" || v.judgedCount() != 20 || v.Hazards() == 0 || rehearse != v.Rehearsed {
			b.Fatalf("verdict: %s (%d statements)", v.Summary(), v.judgedCount())
		}
	}
	per := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(per.Seconds(), "s/preflight")
	if per > budget {
		b.Errorf("%s per preflight: over the %s budget", per, budget)
	}
}

// BenchmarkPreflight20Revisions: render, rules and live check of 20
// pending revisions ≤ 2 s (a second of it is the traffic window).
func BenchmarkPreflight20Revisions(b *testing.B) { benchPreflight(b, 30, false, 2*time.Second) }

// BenchmarkPreflightRehearsal500Tables: the same with a rehearsal on a
// 500-table schema (dump, restore, run, read) ≤ 10 s.
func BenchmarkPreflightRehearsal500Tables(b *testing.B) { benchPreflight(b, 500, true, 10*time.Second) }
