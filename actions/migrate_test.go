package actions_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/internal/testenv/harness"
)

// TestMigrateAppliesTheRevisionsItListed: a revision added to versions/
// after the question, above the ones listed, is not applied: the upgrade
// runs to the last revision the question listed, never to head, and says
// where the database ended.
func TestMigrateAppliesTheRevisionsItListed(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pg := harness.NewPostgres(t, harness.PostgresOptions{})
	dir := t.TempDir()
	revs := []harness.Revision{
		{ID: "r0", Upgrade: []string{"CREATE TABLE accounts (id int)"}},
		{ID: "r1", Down: "r0", Upgrade: []string{"ALTER TABLE accounts ADD COLUMN note text"}},
	}
	must(t, harness.WriteAlembicRevisions(dir, revs))
	must(t, harness.Alembic(ctx, dir, pg.URL(), "upgrade", "r0"))
	plan, err := actions.PlanMigrate(ctx, migrateSpec(pg, dir), nil)
	must(t, err)
	q := plan.Question()
	if !strings.Contains(q.Command, "upgrade r1") || strings.Contains(q.Command, "head") {
		t.Errorf("the question's command is %q, want the upgrade to r1", q.Command)
	}
	// A deploy lands a new revision while the question is on screen.
	must(t, harness.WriteAlembicRevisions(dir, append(revs, harness.Revision{ID: "r2", Down: "r1", Upgrade: []string{"CREATE TABLE later (id int)"}})))
	out, err := run(ctx, t, plan)
	if err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	conn := connect(ctx, t, pg.URL())
	if v := scalar[string](ctx, t, conn, "SELECT version_num FROM alembic_version"); v != "r1" {
		t.Errorf("the database is at %s, want r1", v)
	}
	if scalar[bool](ctx, t, conn, "SELECT to_regclass('later') IS NOT NULL") {
		t.Error("the revision added after the question was applied")
	}
	if !strings.Contains(out, "the database is now at r1") {
		t.Errorf("the output does not say where the database is:\n%s", out)
	}
}

// TestMigrateRefusesAMovedDatabaseOrAnEditedRevision: someone else
// migrates between the question and the yes, or the listed revision's file
// is edited: refused, nothing run.
func TestMigrateRefusesAMovedDatabaseOrAnEditedRevision(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pg := harness.NewPostgres(t, harness.PostgresOptions{})
	dir := t.TempDir()
	revs := []harness.Revision{
		{ID: "r0", Upgrade: []string{"CREATE TABLE accounts (id int)"}},
		{ID: "r1", Down: "r0", Upgrade: []string{"ALTER TABLE accounts ADD COLUMN note text"}},
		{ID: "r2", Down: "r1", Upgrade: []string{"ALTER TABLE accounts ADD COLUMN more text"}},
	}
	must(t, harness.WriteAlembicRevisions(dir, revs))
	must(t, harness.Alembic(ctx, dir, pg.URL(), "upgrade", "r0"))

	plan, err := actions.PlanMigrate(ctx, migrateSpec(pg, dir), nil)
	must(t, err)
	if got := plan.Revisions(); !slices.Equal(got, []string{"r1", "r2"}) {
		t.Fatalf("planned %v", got)
	}
	must(t, harness.Alembic(ctx, dir, pg.URL(), "upgrade", "r1"))
	_, err = run(ctx, t, plan)
	refused(t, err, "the database moved since you were asked: it is at r1, not r0")

	plan, err = actions.PlanMigrate(ctx, migrateSpec(pg, dir), nil)
	must(t, err)
	revs[2].Upgrade = []string{"DROP TABLE accounts"}
	must(t, harness.WriteAlembicRevisions(dir, revs))
	_, err = run(ctx, t, plan)
	refused(t, err, "revision r2's file")
	conn := connect(ctx, t, pg.URL())
	if v := scalar[string](ctx, t, conn, "SELECT version_num FROM alembic_version"); v != "r1" {
		t.Errorf("the database is at %s, want r1", v)
	}
}
