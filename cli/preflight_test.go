package cli

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
)

// TestMigrationQueuedBehindABlocker is the classic outage, on a real
// PostgreSQL and a real alembic: a transaction holds a lock on the table a
// pending migration alters. The preflight (`opsdeck check`, and `run
// migrate`) names the blocker's pid; the migration gives up after its lock
// timeout with a clear message while a reader of the table is held up no
// longer than that; once the blocker is cancelled, the migration runs. The
// audit log has each step.
func TestMigrationQueuedBehindABlocker(t *testing.T) {
	t.Parallel()
	ctx, cancelAll := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancelAll()
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	dir := sandboxtest.AlembicProjectAt(ctx, t, pg, []servers.Revision{
		{ID: "r0", Upgrade: []string{"CREATE TABLE accounts (id serial PRIMARY KEY, email text)",
			"INSERT INTO accounts (email) SELECT 'u' || g FROM generate_series(1, 100) g"}},
		{ID: "r1", Down: "r0", Upgrade: []string{"ALTER TABLE accounts ADD COLUMN note text"}},
	}, "r0")
	state := t.TempDir()
	env := map[string]string{"XDG_STATE_HOME": state}
	cfg := writeFile(t, "pf.yaml", fmt.Sprintf(`environments:
  qa:
    postgres: {url: %q}
    alembic: {dir: %q}
    actions:
      migrate: {lock_timeout: 1s, scratch_url: %q}
`, pg.URL(), dir, pg.URLFor("postgres")))

	blocker, err := pg.StartSession("blocker", "UPDATE accounts SET email = email WHERE id = 1; SELECT pg_sleep(600)")
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Stop()
	bpid, err := pg.ActivePID(ctx, "blocker")
	if err != nil {
		t.Fatal(err)
	}
	waits := fmt.Sprintf("would wait behind pid %d (blocker", bpid)

	code, out, stderr := runCLI(t, env, "--config", cfg, "--env", "qa", "check")
	if code != 1 || !strings.Contains(out, waits) || !strings.Contains(out, "RowExclusiveLock on accounts") ||
		!strings.Contains(out, "rehearsed in a scratch database") || !strings.Contains(out, "AccessExclusiveLock on accounts") {
		t.Fatalf("check: exit %d\n%s%s", code, out, stderr)
	}

	// A reader of the table while the migration waits: queued behind the
	// migration's lock request, but only until the lock timeout.
	reader, err := pgx.Connect(ctx, pg.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close(context.Background())
	var worst atomic.Int64
	stop := make(chan struct{})
	var reads atomic.Int64
	var wg sync.WaitGroup
	readerDone := make(chan struct{})
	wg.Go(func() {
		defer close(readerDone)
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			start := time.Now()
			var n int
			if err := reader.QueryRow(ctx, "SELECT count(*) FROM accounts").Scan(&n); err != nil {
				t.Errorf("reader: %v", err)
				return
			}
			reads.Add(1)
			if d := time.Since(start); d.Nanoseconds() > worst.Load() {
				worst.Store(d.Nanoseconds())
			}
		}
	})
	code, _, stderr = runCLI(t, env, "--config", cfg, "--env", "qa", "run", "migrate", "--yes")
	// The read the migration held up ends with it: wait for one more.
	gaveUp := reads.Load()
	wait.Eventually(t, "a read after the migration gave up", func() error {
		select {
		case <-readerDone:
			t.Fatal("the reader stopped")
		default:
		}
		if reads.Load() <= gaveUp {
			return fmt.Errorf("%d reads, none since the migration gave up", gaveUp)
		}
		return nil
	})
	close(stop)
	wg.Wait()
	if code == 0 || !strings.Contains(stderr, waits) || !strings.Contains(stderr, "gave up after waiting 1s for a lock") {
		t.Fatalf("migrate behind the blocker: exit %d\n%s", code, stderr)
	}
	w := time.Duration(worst.Load())
	t.Logf("reader: %d reads, worst %s while the migration waited", reads.Load(), w)
	if w > 2500*time.Millisecond || reads.Load() < 5 {
		t.Errorf("the reader was held %s (%d reads): the lock timeout should bound it near 1s", w, reads.Load())
	}

	if code, out, stderr := runCLI(t, env, "--config", cfg, "--env", "qa", "run", "cancel", "--pid", fmt.Sprint(bpid), "--yes"); code != 0 {
		t.Fatalf("cancel the blocker: exit %d\n%s%s", code, out, stderr)
	}
	code, out, stderr = runCLI(t, env, "--config", cfg, "--env", "qa", "run", "migrate", "--yes")
	if code != 0 || strings.Contains(stderr, "would wait behind") {
		t.Fatalf("migrate after the cancel: exit %d\n%s%s", code, out, stderr)
	}
	var col int
	if err := reader.QueryRow(ctx, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'note'").Scan(&col); err != nil || col != 1 {
		t.Fatalf("the migration did not run: %d %v", col, err)
	}

	audit := auditLog(t, state)
	for _, want := range []string{`"action":"migration-sql"`, `"action":"schema-dump"`, `"action":"cancel"`, "gave up after waiting 1s for a lock", `"action":"migrate"`} {
		if !strings.Contains(audit, want) {
			t.Errorf("the audit log lacks %s", want)
		}
	}
	if strings.Contains(audit, pg.Password) {
		t.Error("the audit log has the database password")
	}
}
