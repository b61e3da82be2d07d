package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/testenv/harness"
)

// TestCancelAndTerminate: a query is cancelled and its session stays; a
// session is terminated and goes; another database's backend, opsdeck's
// own, and a role without the privilege are each refused in words.
func TestCancelAndTerminate(t *testing.T) {
	t.Parallel()
	pg := harness.NewPostgres(t, harness.PostgresOptions{})
	ctx := context.Background()
	if err := pg.Exec(ctx, "CREATE DATABASE other; CREATE ROLE weak LOGIN PASSWORD 'weakpw'; GRANT CONNECT ON DATABASE "+pg.Database+" TO weak"); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, Options{URL: pg.URL()})
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
	sleeper, err := pg.StartSession("sleeper", "SELECT pg_sleep(600)")
	if err != nil {
		t.Fatal(err)
	}
	defer sleeper.Stop()
	pid := pidOf("sleeper")
	s, err := c.Session(ctx, pid)
	if err != nil || s.PID != pid || s.Application != "sleeper" || !strings.Contains(s.Query, "pg_sleep(600)") {
		t.Fatalf("session %d: %+v %v", pid, s, err)
	}
	if _, sent, err := c.Cancel(ctx, pid, false); err != nil || !sent {
		t.Fatalf("cancel: sent %v, %v", sent, err)
	}

	holder, err := pg.StartSession("holder", "BEGIN; SELECT 1; SELECT pg_sleep(600)")
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Stop()
	pid = pidOf("holder")
	if _, sent, err := c.Cancel(ctx, pid, true); err != nil || !sent {
		t.Fatalf("terminate: sent %v, %v", sent, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := c.Session(ctx, pid); err != nil && strings.Contains(err.Error(), "is not a client session") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the terminated session is still there")
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Another database's backend: not this console's to signal.
	cp := *pg
	cp.Database = "other"
	elsewhere, err := cp.StartSession("elsewhere", "SELECT pg_sleep(600)")
	if err != nil {
		t.Fatal(err)
	}
	defer elsewhere.Stop()
	octx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	otherPID, err := cp.ActivePID(octx, "elsewhere")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Cancel(ctx, otherPID, true); err == nil || !strings.Contains(err.Error(), "is not a client session of") {
		t.Errorf("another database's backend: %v", err)
	}
	if _, err := c.Session(ctx, otherPID); err == nil {
		t.Error("another database's backend was readable for a signal")
	}

	// An opsdeck's own connection (this console's or another's): refused.
	own, err := pg.StartSession("opsdeck", "SELECT pg_sleep(600)")
	if err != nil {
		t.Fatal(err)
	}
	defer own.Stop()
	pid = pidOf("opsdeck")
	if _, _, err := c.Cancel(ctx, pid, true); err == nil || !strings.Contains(err.Error(), "opsdeck's own") {
		t.Errorf("an opsdeck connection: %v", err)
	}

	// A role without the privilege: said so.
	sleeper2, err := pg.StartSession("sleeper2", "SELECT pg_sleep(600)")
	if err != nil {
		t.Fatal(err)
	}
	defer sleeper2.Stop()
	pid = pidOf("sleeper2")
	weak := newClient(t, Options{URL: strings.Replace(pg.URL(), pg.User+":"+pg.Password+"@", "weak:weakpw@", 1)})
	if _, _, err := weak.Cancel(ctx, pid, false); err == nil || !strings.Contains(err.Error(), "may not signal pid") || !strings.Contains(err.Error(), "pg_signal_backend") {
		t.Errorf("without the privilege: %v", err)
	}
	if _, _, err := c.Cancel(ctx, 0, false); err == nil {
		t.Error("pid 0 accepted")
	}
}
