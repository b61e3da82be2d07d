package wire

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
)

// TestPreflightRehearsalEndsWithItsCaller: a pending revision that sleeps
// for a day does not hold the preflight (`opsdeck check`, `m`) past its
// caller's deadline: the rehearsal is stopped on the server, the verdict
// says where and what it did not rehearse (what the rehearsal returns in
// part reaches the verdict through the preflight's steps), and the
// scratch database and role are gone. The deadline is derived from a
// whole preflight of a quick revision on the same machine.
func TestPreflightRehearsalEndsWithItsCaller(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	dir := sandboxtest.AlembicProjectAt(ctx, t, pg, []servers.Revision{
		{ID: "r0", Upgrade: []string{"CREATE TABLE accounts (id serial PRIMARY KEY, email text)"}},
		{ID: "r1", Down: "r0", Upgrade: []string{"ALTER TABLE accounts ADD COLUMN a1 text"}},
		{ID: "r2", Down: "r1", Upgrade: []string{"SELECT pg_sleep(100000)", "ALTER TABLE accounts ADD COLUMN a2 text"}},
	}, "r0")
	cfg := parse(t, fmt.Sprintf("environments:\n  qa:\n    postgres: {url: %q}\n    alembic: {dir: %q}\n    actions:\n      migrate: {scratch_url: %q}\n",
		pg.URL(), dir, pg.URLFor("postgres")))
	judge, err := Preflight(cfg, "qa")
	if err != nil || judge == nil {
		t.Fatalf("no preflight: %v", err)
	}
	steps := actions.StepsIn(actions.Environment{Name: "qa"}, false, &actions.Audit{Path: filepath.Join(t.TempDir(), "audit.jsonl")}, actions.Who{User: "test"})

	start := time.Now()
	v := judge(ctx, steps, []string{"r0"}, "r1")
	whole := time.Since(start)
	if !v.Rehearsed || len(v.RehearsalGaps) > 0 {
		t.Fatalf("a quick revision: %s %q", v.Summary(), v.RehearsalGaps)
	}
	limit := 3*whole + 2*time.Second
	t.Logf("a whole preflight took %s; the caller's deadline is %s", whole, limit)

	short, cancelShort := context.WithTimeout(ctx, limit)
	defer cancelShort()
	start = time.Now()
	v = judge(short, steps, []string{"r1"}, "r2")
	took := time.Since(start)
	var lines []string
	for _, l := range v.Lines() {
		lines = append(lines, l.Text)
	}
	out := strings.Join(lines, "\n")
	t.Logf("took %s:\n%s", took, out)
	if !v.Rehearsed || !strings.Contains(out, "rehearsal: the rehearsal was stopped after") ||
		!strings.Contains(out, "at statement 1 of 2 (SELECT pg_sleep(100000)); 1 statement(s) after it not rehearsed") {
		t.Errorf("the verdict does not say where the rehearsal stopped:\n%s", out)
	}
	// The deadline, and past it the rehearsal's clean-up (15 s at most).
	if took > limit+15*time.Second {
		t.Errorf("the preflight took %s with a %s deadline", took, limit)
	}
	if err := pg.Exec(ctx, `DO $$ BEGIN
		IF EXISTS (SELECT 1 FROM pg_database WHERE datname LIKE 'opsdeck\_rehearsal\_%') THEN RAISE EXCEPTION 'a scratch database was left'; END IF;
		IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname LIKE 'opsdeck\_rehearsal\_%') THEN RAISE EXCEPTION 'a rehearsal role was left'; END IF;
	END $$`); err != nil {
		t.Error(err)
	}
}
