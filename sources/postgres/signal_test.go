package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
)

// TestCancelAndTerminate: a query is cancelled and its session stays; a
// session is terminated and goes; another database's backend, this
// client's own connections, and a role without the privilege are each
// refused in words; a session that calls itself opsdeck is not immune.
func TestCancelAndTerminate(t *testing.T) {
	t.Parallel()
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	ctx := context.Background()
	if err := pg.Exec(ctx, "CREATE DATABASE other; CREATE ROLE weak LOGIN PASSWORD 'weakpw'; GRANT CONNECT ON DATABASE "+pg.Database+" TO weak"); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, Options{URL: pg.URL()})
	signal := func(c *Client, pid int, terminate bool) (SignalResult, error) {
		t.Helper()
		_, id, err := c.Session(ctx, pid, nil)
		if err != nil {
			return SignalResult{}, err
		}
		return c.SignalIf(ctx, id, terminate, nil)
	}
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
	s, id, err := c.Session(ctx, pid, nil)
	if err != nil || s.PID != pid || s.Application != "sleeper" || !strings.Contains(s.Query, "pg_sleep(600)") || id.BackendStart == "" || id.QueryMD5 == "" {
		t.Fatalf("session %d: %+v %+v %v", pid, s, id, err)
	}
	if r, err := c.SignalIf(ctx, id, false, nil); err != nil || !r.Matched || !r.Signalled {
		t.Fatalf("cancel: %+v, %v", r, err)
	}

	holder, err := pg.StartSession("holder", "BEGIN; SELECT 1; SELECT pg_sleep(600)")
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Stop()
	pid = pidOf("holder")
	if r, err := signal(c, pid, true); err != nil || !r.Signalled {
		t.Fatalf("terminate: %+v, %v", r, err)
	}
	wait.Eventually(t, "the terminated session gone", func() error {
		if _, _, err := c.Session(ctx, pid, nil); err == nil || !strings.Contains(err.Error(), "is not a client session") {
			return fmt.Errorf("the session reads %v", err)
		}
		return nil
	})

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
	if _, err := signal(c, otherPID, true); err == nil || !strings.Contains(err.Error(), "is not a client session of") {
		t.Errorf("another database's backend: %v", err)
	}

	// This client's own connections are known by their pids: refused.
	ownPIDs := c.OwnPIDs()
	if len(ownPIDs) == 0 {
		t.Fatal("the client knows none of its own connections")
	}
	if _, err := signal(c, ownPIDs[0], true); err == nil || !strings.Contains(err.Error(), "opsdeck's own") {
		t.Errorf("the client's own connection: %v", err)
	}
	// A session that calls itself opsdeck is no one's own: it is signalled.
	impostor, err := pg.StartSession("opsdeck", "SELECT pg_sleep(600)")
	if err != nil {
		t.Fatal(err)
	}
	defer impostor.Stop()
	pid = pidOf("opsdeck")
	if r, err := signal(c, pid, false); err != nil || !r.Signalled {
		t.Errorf("a session calling itself opsdeck was not cancelled: %+v %v", r, err)
	}

	// A role without the privilege: said so.
	sleeper2, err := pg.StartSession("sleeper2", "SELECT pg_sleep(600)")
	if err != nil {
		t.Fatal(err)
	}
	defer sleeper2.Stop()
	pid = pidOf("sleeper2")
	weak := newClient(t, Options{URL: strings.Replace(pg.URL(), pg.User+":"+pg.Password+"@", "weak:weakpw@", 1)})
	_, sid, err := c.Session(ctx, pid, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := weak.SignalIf(ctx, sid, false, nil); err == nil || !strings.Contains(err.Error(), "may not signal pid") || !strings.Contains(err.Error(), "pg_signal_backend") {
		t.Errorf("without the privilege: %v", err)
	}
	if _, _, err := c.Session(ctx, 0, nil); err == nil {
		t.Error("pid 0 accepted")
	}
}
