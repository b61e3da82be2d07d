package postgres

import (
	"context"
	"strings"
	"testing"

	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/sources"
)

// TestThreeLevelLockTree: a transaction holding a row lock on a table, an
// ALTER TABLE queued behind it, a reader queued behind the ALTER. The poll
// names the root blocker and the waits with their lock modes and relation;
// the tree has the transaction at its root, the ALTER under it and the
// reader under that.
func TestThreeLevelLockTree(t *testing.T) {
	t.Parallel()
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	ctx := context.Background()
	if err := pg.Exec(ctx, "CREATE TABLE accounts (id int PRIMARY KEY, v int); INSERT INTO accounts VALUES (1, 0)"); err != nil {
		t.Fatal(err)
	}
	holder, err := pg.StartSession("holder", "BEGIN; UPDATE accounts SET v = 1 WHERE id = 1; SELECT pg_sleep(600);")
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Stop()
	c := newClient(t, Options{URL: pg.URL()})
	waitFor := func(what string, cond func(sources.DBState) bool) sources.DBState {
		t.Helper()
		return waitFor(t, c, what, cond)
	}
	waitFor("the holder's update", func(st sources.DBState) bool {
		return st.LongestTransaction != nil && st.LongestTransaction.Application == "holder"
	})
	alter, err := pg.StartSession("migration", "ALTER TABLE accounts ADD COLUMN note text")
	if err != nil {
		t.Fatal(err)
	}
	defer alter.Stop()
	waitFor("the ALTER queued", func(st sources.DBState) bool { return len(st.Blocked) == 1 })
	reader, err := pg.StartSession("reader", "SELECT count(*) FROM accounts")
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Stop()
	st := waitFor("the reader queued behind the ALTER", func(st sources.DBState) bool { return len(st.Blocked) == 2 })

	if len(st.Blockers) != 1 || st.Blockers[0].Application != "holder" || !strings.Contains(st.Blockers[0].Query, "UPDATE accounts") {
		t.Fatalf("blockers: %+v", st.Blockers)
	}
	roots := sources.LockTree(st.Blocked, st.Blockers)
	if len(roots) != 1 || roots[0].Session.Application != "holder" || roots[0].Holds != 2 {
		t.Fatalf("roots: %+v", roots)
	}
	mig := roots[0].Waiting[0]
	if mig.Session.Application != "migration" || mig.Session.Lock == nil || mig.Session.Lock.Mode != "AccessExclusiveLock" || mig.Session.Lock.Relation != "accounts" {
		t.Fatalf("under the holder: %+v (lock %+v)", mig.Session, mig.Session.Lock)
	}
	if len(mig.Waiting) != 1 {
		t.Fatalf("under the migration: %+v", mig.Waiting)
	}
	rd := mig.Waiting[0].Session
	if rd.Application != "reader" || rd.Lock == nil || rd.Lock.Mode != "AccessShareLock" || rd.Lock.Relation != "accounts" {
		t.Errorf("under the migration: %+v (lock %+v)", rd, rd.Lock)
	}
}
