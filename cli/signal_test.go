package cli

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opsdeck/opsdeck/internal/testenv/harness"
)

// TestCancelAndTerminateHeadless: `opsdeck run cancel|terminate --pid N`
// against a real PostgreSQL: refused read-only, the name needed where
// protected, y/N (--yes) otherwise; the session named before; the query
// cancelled, the session ended; each run in the audit log.
func TestCancelAndTerminateHeadless(t *testing.T) {
	t.Parallel()
	pg := harness.NewPostgres(t, harness.PostgresOptions{})
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pg.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	pidOf := func(app string) int {
		t.Helper()
		ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		pid, err := pg.ActivePID(ctx, app)
		if err != nil {
			t.Fatal(err)
		}
		return pid
	}
	gone := func(pid int) bool {
		var n int
		_ = conn.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid).Scan(&n)
		return n == 0
	}
	state := t.TempDir()
	// Each environment its own database: naming one would share the
	// stricter guard.
	for _, db := range []string{"prod", "audit"} {
		if err := pg.Exec(ctx, "CREATE DATABASE "+db); err != nil {
			t.Fatal(err)
		}
	}
	prod := *pg
	prod.Database = "prod"
	cfg := writeFile(t, "sig.yaml", fmt.Sprintf(`environments:
  qa: {postgres: {url: %q}}
  production: {postgres: {url: %q}, protected: true}
  audit: {postgres: {url: %q}, readonly: true}
`, pg.URL(), pg.URLFor("prod"), pg.URLFor("audit")))
	env := map[string]string{"XDG_STATE_HOME": state}

	sleeper, err := pg.StartSession("sleeper", "SELECT pg_sleep(600)")
	if err != nil {
		t.Fatal(err)
	}
	defer sleeper.Stop()
	pid := fmt.Sprint(pidOf("sleeper"))
	if code, _, stderr := runCLI(t, env, "--config", cfg, "--env", "audit", "run", "cancel", "--pid", pid, "--yes"); code != 2 || !strings.Contains(stderr, "read-only") {
		t.Errorf("read-only: exit %d %s", code, stderr)
	}
	prodSleeper, err := prod.StartSession("prodsleeper", "SELECT pg_sleep(600)")
	if err != nil {
		t.Fatal(err)
	}
	defer prodSleeper.Stop()
	ppid := fmt.Sprint(pidOf("prodsleeper"))
	if code, _, stderr := runCLI(t, env, "--config", cfg, "--env", "production", "run", "cancel", "--pid", ppid, "--yes"); code != 2 || !strings.Contains(stderr, "--confirm-env production") {
		t.Errorf("protected without the name: exit %d %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, env, "--config", cfg, "--env", "qa", "run", "cancel", "--pid", pid); code != 2 || !strings.Contains(stderr, "needs confirmation") {
		t.Errorf("without --yes: exit %d %s", code, stderr)
	}
	if gone(pidOf("sleeper")) {
		t.Fatal("a refused cancel reached the session")
	}
	code, out, stderr := runCLI(t, env, "--config", cfg, "--env", "qa", "run", "cancel", "--pid", pid, "--yes")
	if code != 0 || !strings.Contains(stderr, "opsdeck: pid "+pid+" · user "+pg.User+" · application sleeper · state active") ||
		!strings.Contains(out, "cancelled the query of pid "+pid) {
		t.Fatalf("cancel: exit %d\n%s%s", code, out, stderr)
	}

	holder, err := prod.StartSession("holder", "SELECT pg_sleep(600)")
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Stop()
	hpid := pidOf("holder")
	code, out, stderr = runCLI(t, env, "--config", cfg, "--env", "production", "run", "terminate", "--pid", fmt.Sprint(hpid), "--confirm-env", "production")
	if code != 0 || !strings.Contains(out, fmt.Sprintf("terminated pid %d", hpid)) {
		t.Fatalf("terminate: exit %d\n%s%s", code, out, stderr)
	}
	for deadline := time.Now().Add(10 * time.Second); !gone(hpid); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the terminated session is still there")
		}
	}
	if code, _, stderr = runCLI(t, env, "--config", cfg, "--env", "qa", "run", "terminate", "--pid", fmt.Sprint(hpid), "--yes"); code == 0 || !strings.Contains(stderr, "is not a client session") {
		t.Errorf("a gone session: exit %d %s", code, stderr)
	}
	if code, _, stderr = runCLI(t, env, "--config", cfg, "--env", "qa", "run", "cancel"); code != 2 || !strings.Contains(stderr, "--pid N") {
		t.Errorf("no pid: exit %d %s", code, stderr)
	}
	audit := auditLog(t, state)
	for _, want := range []string{`"action":"cancel"`, `"action":"terminate"`, fmt.Sprintf(`"target":"pid %d on`, hpid)} {
		if !strings.Contains(audit, want) {
			t.Errorf("the audit log lacks %s:\n%s", want, audit)
		}
	}
}
