package wire

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
)

// TestSchemaDumpHasNoSecretInArgv runs the preflight's schema dump as the
// preflight does (dumpSpec, through the steps of the actions) for the
// migration database's URL in every form libpq reads, with pg_dump behind
// a script that records the argv the child was started with
// (/proc/PID/cmdline): the dump succeeds, and no secret is in the argv,
// even one the scrubber does not know.
func TestSchemaDumpHasNoSecretInArgv(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	if err := pg.Exec(ctx, "CREATE TABLE argv_canary (id int)"); err != nil {
		t.Fatal(err)
	}
	real, err := servers.LookPath("pg_dump", "postgresql")
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	recorded := filepath.Join(bin, "argv")
	script := "#!/bin/sh\ntr '\\000' ' ' < /proc/$$/cmdline > " + recorded + "\nexec " + real + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "pg_dump"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	pgpass := filepath.Join(t.TempDir(), "pgpass")
	if err := os.WriteFile(pgpass, []byte(fmt.Sprintf("127.0.0.1:%d:*:%s:%s\n", pg.Port, pg.User, pg.Password)), 0o600); err != nil {
		t.Fatal(err)
	}
	steps := actions.StepsIn(actions.Environment{Name: "qa"}, false, &actions.Audit{Path: filepath.Join(t.TempDir(), "audit.jsonl")}, actions.Who{User: "test"})
	at := fmt.Sprintf("127.0.0.1:%d", pg.Port)
	tmp := t.TempDir() // where a service file goes, and must not stay
	t.Setenv("TMPDIR", tmp)
	for _, form := range []string{
		fmt.Sprintf("postgresql://%s:%s@%s/%s?sslmode=disable", pg.User, pg.Password, at, pg.Database),
		fmt.Sprintf("postgresql+psycopg2://%s@%s/%s?sslmode=disable&password=%s", pg.User, at, pg.Database, pg.Password),
		fmt.Sprintf("host=127.0.0.1 port=%d user=%s password=%s dbname=%s sslmode=disable", pg.Port, pg.User, pg.Password, pg.Database),
		fmt.Sprintf("postgresql://%s:%s@%s/%s?sslmode=disable&sslpassword=KeyPass", pg.User, pg.Password, at, pg.Database),
		fmt.Sprintf("postgresql://%s@%s/%s?sslmode=disable&passfile=%s", pg.User, at, pg.Database, pgpass),
	} {
		shown := redact.URL(form)
		os.Remove(recorded)
		plan, done, err := dumpSpec("qa", form, 0, redact.NewScrubber())
		if err != nil {
			t.Errorf("%s: %v", shown, err)
			continue
		}
		schema, err := steps(ctx, plan)
		done()
		if err != nil || !strings.Contains(schema, "argv_canary") {
			t.Errorf("%s: the dump failed: %v", shown, err)
		}
		argv, err := os.ReadFile(recorded)
		if err != nil {
			t.Errorf("%s: pg_dump did not run: %v", shown, err)
			continue
		}
		t.Logf("pg_dump ran as: %s", argv)
		if strings.Contains(string(argv), pg.Password) || strings.Contains(string(argv), "KeyPass") || strings.Contains(string(argv), "password") {
			t.Errorf("%s: a secret is in pg_dump's argv: %s", shown, argv)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "opsdeck-dump-*")); len(left) > 0 {
		t.Errorf("service files left behind: %v", left)
	}
}

// TestSchemaDumpWaitsForNoLock: a session holds an ACCESS EXCLUSIVE lock on
// one table; the dump gives up on its lock after the migration's lock
// timeout instead of waiting (an unrelated writer would queue behind the
// dump's lock on that table meanwhile), and says so.
func TestSchemaDumpWaitsForNoLock(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	if err := pg.Exec(ctx, "CREATE TABLE zzz (id int)"); err != nil {
		t.Fatal(err)
	}
	holder, err := pg.StartSession("holder", "BEGIN; LOCK TABLE zzz IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(600)")
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Stop()
	if _, err := pg.ActivePID(ctx, "holder"); err != nil {
		t.Fatal(err)
	}
	steps := actions.StepsIn(actions.Environment{Name: "qa"}, false, &actions.Audit{Path: filepath.Join(t.TempDir(), "audit.jsonl")}, actions.Who{User: "test"})
	plan, done, err := dumpSpec("qa", pg.URL(), 200*time.Millisecond, redact.NewScrubber())
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	_, err = steps(ctx, plan)
	if err == nil || !strings.Contains(err.Error(), "pg_dump gave up after 200ms waiting for a lock on public.zzz") {
		t.Fatalf("want the dump to give up on the held lock, got %v", err)
	}
}
