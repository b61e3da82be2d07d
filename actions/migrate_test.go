package actions_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
	"github.com/opsdeck/opsdeck/sources/preflight"
)

// TestMigrateAppliesTheRevisionsItListed: a revision added to versions/
// after the question, above the ones listed, is not applied: the upgrade
// runs to the last revision the question listed, never to head, and says
// where the database ended.
func TestMigrateAppliesTheRevisionsItListed(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	revs := []servers.Revision{
		{ID: "r0", Upgrade: []string{"CREATE TABLE accounts (id int)"}},
		{ID: "r1", Down: "r0", Upgrade: []string{"ALTER TABLE accounts ADD COLUMN note text"}},
	}
	dir := sandboxtest.AlembicProjectAt(ctx, t, pg, revs, "r0")
	plan, err := actions.PlanMigrate(ctx, migrateSpec(pg, dir), nil)
	must(t, err)
	q := plan.Question()
	if !strings.Contains(q.Command, "upgrade r1") || strings.Contains(q.Command, "head") {
		t.Errorf("the question's command is %q, want the upgrade to r1", q.Command)
	}
	// A deploy lands a new revision while the question is on screen.
	must(t, servers.WriteAlembicRevisions(dir, append(revs, servers.Revision{ID: "r2", Down: "r1", Upgrade: []string{"CREATE TABLE later (id int)"}})))
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
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	revs := []servers.Revision{
		{ID: "r0", Upgrade: []string{"CREATE TABLE accounts (id int)"}},
		{ID: "r1", Down: "r0", Upgrade: []string{"ALTER TABLE accounts ADD COLUMN note text"}},
		{ID: "r2", Down: "r1", Upgrade: []string{"ALTER TABLE accounts ADD COLUMN more text"}},
	}
	dir := sandboxtest.AlembicProjectAt(ctx, t, pg, revs, "r0")

	plan, err := actions.PlanMigrate(ctx, migrateSpec(pg, dir), nil)
	must(t, err)
	if got := plan.Revisions(); !slices.Equal(got, []string{"r1", "r2"}) {
		t.Fatalf("planned %v", got)
	}
	must(t, servers.Alembic(ctx, dir, pg.URL(), "upgrade", "r1"))
	_, err = run(ctx, t, plan)
	refused(t, err, "the database moved since you were asked: it is at r1, not r0")

	plan, err = actions.PlanMigrate(ctx, migrateSpec(pg, dir), nil)
	must(t, err)
	revs[2].Upgrade = []string{"DROP TABLE accounts"}
	must(t, servers.WriteAlembicRevisions(dir, revs))
	_, err = run(ctx, t, plan)
	refused(t, err, "revision r2's file")

	// env.py decides what every revision does too.
	revs[2].Upgrade = []string{"ALTER TABLE accounts ADD COLUMN more text"}
	must(t, servers.WriteAlembicRevisions(dir, revs))
	plan, err = actions.PlanMigrate(ctx, migrateSpec(pg, dir), nil)
	must(t, err)
	env, err := os.ReadFile(filepath.Join(dir, "env.py"))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, "env.py"), append([]byte("import os\n"), env...), 0o644))
	_, err = run(ctx, t, plan)
	refused(t, err, "env.py was edited since the question")
	conn := connect(ctx, t, pg.URL())
	if v := scalar[string](ctx, t, conn, "SELECT version_num FROM alembic_version"); v != "r1" {
		t.Errorf("the database is at %s, want r1", v)
	}
}

// writeRevision writes a revision file of the harness's project by hand:
// name, then its Python.
func writeRevision(t *testing.T, dir, name, src string) {
	t.Helper()
	must(t, os.WriteFile(filepath.Join(dir, "versions", name), []byte(src), 0o644))
}

func revisionSource(id, down, extra, sql string) string {
	return fmt.Sprintf("\"\"\"%s\"\"\"\nfrom alembic import op\nrevision = '%s'\ndown_revision = %s\n%s\ndef upgrade():\n    op.execute(%q)\ndef downgrade():\n    pass\n",
		id, id, down, extra, sql)
}

// TestMigrateListsWhatAlembicApplies: the project read as Alembic reads it.
// A hidden revision file (Alembic loads .r0b.py), another configuration
// file named by the command (-c, with a version location of its own), a
// dependency on a revision no file declares, and a revision file opsdeck
// reads otherwise than Python (a second assignment): each is listed, or the
// migration refuses; nothing runs that the question did not list.
func TestMigrateListsWhatAlembicApplies(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	conn := connect(ctx, t, pg.URL())
	fresh := func(t *testing.T) string {
		dir := t.TempDir()
		must(t, servers.WriteAlembicRevisions(dir, []servers.Revision{{ID: "r0", Upgrade: []string{"SELECT 1"}}}))
		must(t, servers.Alembic(ctx, dir, pg.URL(), "stamp", "r0"))
		return dir
	}
	t.Run("hidden file", func(t *testing.T) {
		dir := fresh(t)
		writeRevision(t, dir, ".r0b.py", revisionSource("r0b", "'r0'", "", "SELECT 2"))
		writeRevision(t, dir, "r1.py", revisionSource("r1", "'r0'", "depends_on = 'r0b'", "SELECT 3"))
		plan, err := actions.PlanMigrate(ctx, migrateSpec(pg, dir), nil)
		must(t, err)
		if got := plan.Revisions(); !slices.Equal(got, []string{"r0b", "r1"}) {
			t.Errorf("planned %v, want [r0b r1]", got)
		}
	})
	t.Run("another configuration file", func(t *testing.T) {
		dir := fresh(t)
		ini, err := os.ReadFile(filepath.Join(dir, "alembic.ini"))
		must(t, err)
		deploy := strings.Replace(string(ini), "script_location = %(here)s\n", "script_location = %(here)s\nversion_locations = %(here)s/versions %(here)s/data\n", 1)
		must(t, os.WriteFile(filepath.Join(dir, "deploy.ini"), []byte(deploy), 0o644))
		must(t, os.MkdirAll(filepath.Join(dir, "data"), 0o755))
		must(t, os.WriteFile(filepath.Join(dir, "data", "d1.py"), []byte(revisionSource("d1", "'r0'", "", "SELECT 4")), 0o644))
		writeRevision(t, dir, "r1.py", revisionSource("r1", "'r0'", "depends_on = 'd1'", "SELECT 5"))
		spec := migrateSpec(pg, dir)
		spec.Command.Argv = []string{"alembic", "-c", "deploy.ini", "upgrade", "head"}
		plan, err := actions.PlanMigrate(ctx, spec, nil)
		must(t, err)
		if got := plan.Revisions(); !slices.Equal(got, []string{"d1", "r1"}) {
			t.Errorf("planned %v, want [d1 r1]", got)
		}
	})
	t.Run("a parent no file declares", func(t *testing.T) {
		dir := fresh(t)
		writeRevision(t, dir, "r1.py", revisionSource("r1", "'r0'", "depends_on = 'nowhere'", "SELECT 6"))
		if _, err := actions.PlanMigrate(ctx, migrateSpec(pg, dir), nil); err == nil || !strings.Contains(err.Error(), "opsdeck cannot list what the upgrade would apply") {
			t.Errorf("want a refusal, got %v", err)
		}
	})
	t.Run("Alembic confirms the list", func(t *testing.T) {
		dir := fresh(t)
		writeRevision(t, dir, "r0b.py", revisionSource("r0b", "'r0'", "", "CREATE TABLE sneaked (id int)"))
		// Python runs the indented assignment; opsdeck reads the file's
		// top-level ones alone.
		writeRevision(t, dir, "r1.py", revisionSource("r1", "'r0'", "if True:\n    down_revision = 'r0b'", "SELECT 7"))
		spec := migrateSpec(pg, dir)
		spec.Command.Argv[len(spec.Command.Argv)-1] = "r1"
		spec.Preflight = func(ctx context.Context, _ actions.Steps, from []string, to string) preflight.Verdict {
			sql, err := servers.AlembicOutput(ctx, dir, pg.URL(), "upgrade", from[0]+":"+to, "--sql")
			must(t, err)
			return preflight.Verdict{Statements: judged(preflight.Split(sql))}
		}
		plan, err := actions.PlanMigrate(ctx, spec, nil)
		if err == nil {
			t.Errorf("planned %v, where Alembic applies r0b then r1", plan.Revisions())
		} else if !strings.Contains(err.Error(), "Alembic would apply r0b, r1, and opsdeck's reading of the project lists r1") {
			t.Errorf("refusal: %v", err)
		}
		if scalar[bool](ctx, t, conn, "SELECT to_regclass('sneaked') IS NOT NULL") {
			t.Error("sneaked exists")
		}
	})
}

func judged(stmts []preflight.Statement) []preflight.Judged {
	out := make([]preflight.Judged, len(stmts))
	for i, s := range stmts {
		out[i].Statement = s
	}
	return out
}

// TestMigrateChecksEveryRunOfHeads: with `upgrade heads`, one run per
// branch; a branch's revision edited while the first run goes is refused
// before its own run, the first one's work said as done.
func TestMigrateChecksEveryRunOfHeads(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	revs := []servers.Revision{
		{ID: "r0", Upgrade: []string{"CREATE TABLE accounts (id int)"}},
		{ID: "a1", Down: "r0", Upgrade: []string{"SELECT pg_sleep(2)", "ALTER TABLE accounts ADD COLUMN a text"}},
		{ID: "b1", Down: "r0", Upgrade: []string{"SELECT pg_sleep(2)", "ALTER TABLE accounts ADD COLUMN b text"}},
	}
	dir := sandboxtest.AlembicProjectAt(ctx, t, pg, revs, "r0")
	spec := migrateSpec(pg, dir)
	spec.Command.Argv[len(spec.Command.Argv)-1] = "heads"
	plan, err := actions.PlanMigrate(ctx, spec, nil)
	must(t, err)
	first, second := 1, 2 // a1 first
	if strings.Index(plan.Question().Command, "upgrade b1") < strings.Index(plan.Question().Command, "upgrade a1") {
		first, second = 2, 1
	}
	done := make(chan error, 1)
	go func() { _, err := run(ctx, t, plan); done <- err }()
	watcher := connect(ctx, t, pg.URL())
	wait.Eventually(t, "the first run", func() error {
		if scalar[int](ctx, t, watcher, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(2)%' AND pid <> pg_backend_pid()") == 0 {
			return errors.New("no session sleeping")
		}
		return nil
	}, wait.Context(ctx))
	revs[second].Upgrade = []string{"CREATE TABLE edited_meanwhile (id int)"}
	must(t, servers.WriteAlembicRevisions(dir, revs))
	err = <-done
	if !actions.IsChanged(err) || !strings.Contains(err.Error(), "revision "+revs[second].ID+"'s file") ||
		!strings.Contains(err.Error(), "refused, the upgrade to "+revs[first].ID+" ran (the database is at "+revs[first].ID+"), and nothing more") {
		t.Errorf("want a refusal saying the first run was done and the second's file edited, got %v", err)
	}
	if scalar[bool](ctx, t, watcher, "SELECT to_regclass('edited_meanwhile') IS NOT NULL") {
		t.Error("the edited revision ran")
	}
	if col := scalar[int](ctx, t, watcher, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = '"+map[int]string{1: "a", 2: "b"}[first]+"'"); col != 1 {
		t.Error("the first run's column is not there")
	}
}
