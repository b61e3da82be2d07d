package ui

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/actionpane"
)

// fakeDB and fakeCache answer what the test sets. UI tests only: the sources
// themselves are tested against real servers.
type fakeDB struct {
	mu   sync.Mutex
	st   sources.DBState
	err  error
	reqs []sources.DBRequest
}

func (f *fakeDB) Poll(_ context.Context, req sources.DBRequest) (sources.DBState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, req)
	if f.err != nil {
		return sources.DBState{}, f.err
	}
	st := f.st
	if !req.Sessions {
		st.Sessions = nil
	}
	if !req.Statements {
		st.Statements = nil
	}
	return st, nil
}

type fakeMigrations struct {
	mu  sync.Mutex
	st  sources.MigrationState
	err error
}

func (f *fakeMigrations) Poll(context.Context) (sources.MigrationState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.st, f.err
}

func sampleMigrations() sources.MigrationState {
	return sources.MigrationState{Status: "behind", Current: []string{"c7d0e5f19a24"}, Heads: []string{"1e9b7a6c5d40"}, Revisions: 5,
		Pending:  []sources.Revision{{ID: "5a0f3b8e2c61", Message: "add user facts"}, {ID: "1e9b7a6c5d40", Message: "message versions"}},
		Problems: []sources.Problem{{Severity: "warning", Message: "notes.py declares no revision: not a migration, or a broken one (Alembic refuses to load it)"}}}
}

type fakeDrift struct{ d sources.SchemaDrift }

func (f *fakeDrift) Compare(context.Context, bool) sources.SchemaDrift { return f.d }

func sampleDrift() sources.SchemaDrift {
	return sources.SchemaDrift{Reference: "environment production", Differences: []sources.Difference{
		{Kind: "extension_missing", Object: "vector", Detail: "extension vector 0.7.4 is not installed", SQL: "CREATE EXTENSION IF NOT EXISTS vector;"},
		{Kind: "column_extra", Object: "users.legacy_flag", Detail: "column users.legacy_flag is not in the reference", SQL: "ALTER TABLE users DROP COLUMN legacy_flag;", Hazardous: true},
	}}
}

type fakeCache struct {
	mu  sync.Mutex
	st  sources.CacheState
	err error
}

func (f *fakeCache) Poll(context.Context) (sources.CacheState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.st, f.err
}

func i64p(n int64) *int64          { return &n }
func f64p(v float64) *float64      { return &v }
func timep(t time.Time) *time.Time { return &t }

func sampleDB() sources.DBState {
	sleeper := sources.DBSession{PID: 4242, User: "origin", Application: "celery-worker", State: "active", QueryAge: 95, XactAge: 95, Query: "SELECT pg_sleep(600)"}
	iit := sources.DBSession{PID: 4100, User: "origin", Application: "fastapi", State: "idle in transaction", XactAge: 312, StateAge: 300, Query: "UPDATE conversations SET title = $1 WHERE id = $2"}
	blocked := sources.DBSession{PID: 4301, User: "origin", Application: "fastapi", State: "active", WaitEvent: "Lock:transactionid", QueryAge: 41, XactAge: 41, Query: "UPDATE conversations SET title = $1 WHERE id = $2", BlockedBy: []int{4100}}
	idle := sources.DBSession{PID: 3999, User: "origin", Application: "fastapi", State: "idle", StateAge: 3}
	hit := 0.9962
	return sources.DBState{
		Version: "16.4 (Debian 16.4-1.pgdg120+1)", StartedAt: t0.Add(-76 * time.Hour), Role: "primary", Database: "origin_db", User: "origin", Privileged: true,
		Connections:        sources.DBConnections{Total: 4, Active: 2, Idle: 1, IdleInTransaction: 1, Waiting: 1, Max: 100, Reserved: 3},
		LongestQuery:       &sleeper,
		LongestTransaction: &iit,
		Blocked:            []sources.DBSession{blocked},
		Rates:              &sources.DBRates{TPS: 182.5, CacheHitRatio: &hit, Seconds: 2},
		DatabaseSize:       2_147_483_648,
		Tables: []sources.DBTable{
			{Name: "public.messages", RowsEstimate: 4_812_000, SizeBytes: 1_610_612_736, DeadTuples: 12_400, LastAutovacuum: timep(t0.Add(-42 * time.Minute))},
			{Name: "public.conversations", RowsEstimate: 310_500, SizeBytes: 201_326_592, DeadTuples: 88},
		},
		Extensions:  []sources.DBExtension{{Name: "plpgsql", Version: "1.0"}, {Name: "vector", Version: "0.7.4"}},
		Replication: sources.DBReplication{Replicas: []sources.DBReplica{{Name: "replica1", Client: "10.0.0.12", State: "streaming", SyncState: "async", LagBytes: i64p(0), ReplayLag: f64p(0.004)}}},
		Sessions:    []sources.DBSession{idle, iit, sleeper, blocked},
		Pgbouncer:   &sources.Pgbouncer{Pools: []sources.PgbouncerPool{{Database: "origin_db", User: "origin", Mode: "transaction", ClientsActive: 12, ClientsWait: 0, ServersActive: 3, ServersIdle: 5}}},
	}
}

func sampleCache() sources.CacheState {
	hit := 0.981
	ev, ex := 0.0, 1.5
	growth := int64(12)
	return sources.CacheState{
		Mode: "single", Version: "7.2.4", Role: "master", Uptime: 9 * 3600,
		ConnectedClients: 23, UsedMemory: 318 << 20, MaxMemory: 1 << 30, MaxMemoryPolicy: "allkeys-lru", Fragmentation: 1.12,
		OpsPerSec: 1840, HitRatio: &hit, EvictedPerSec: &ev, ExpiredPerSec: &ex,
		Keyspace:    []sources.CacheDB{{DB: 0, Keys: 48_210, Expires: 40_002}, {DB: 1, Keys: 37, Expires: 37}},
		Persistence: sources.CachePersistence{RDBLastStatus: "ok", RDBLastSave: t0.Add(-4 * time.Minute), RDBChanges: 1200},
		Replication: sources.CacheReplication{ConnectedReplicas: 1},
		SlowLog:     []sources.SlowEntry{{ID: 9, Duration: 12 * time.Millisecond, Command: "KEYS session:*"}},
		Ping:        300 * time.Microsecond,
		Queues:      []sources.Queue{{Name: "celery", Length: 137, Growth: &growth, GrowthOver: 4 * time.Minute}, {Name: "emails", Length: 0}},
	}
}

// TestPostgresDrillDown: enter on the Postgres pane lists sessions; / filters,
// s sorts, esc clears the filter and then unzooms; typing a filter never quits.
func TestPostgresDrillDown(t *testing.T) {
	h := newHarness(t, healthy(), nil, false)
	h.size(160, 48)
	h.advance(0)
	for i := 0; i < 4; i++ {
		h.key("tab")
	}
	if h.m.panes[h.m.focus].Title() != "Postgres" {
		t.Fatalf("focus on %q", h.m.panes[h.m.focus].Title())
	}
	h.key("enter")
	if last := h.db.reqs[len(h.db.reqs)-1]; !last.Sessions {
		t.Fatal("zooming did not fetch the sessions")
	}
	s := h.screen()
	checkGeometry(t, s, 160, 48)
	golden.RequireEqual(t, s)
	for _, want := range []string{"sessions 4 of 4", "4301", "Lock:transactionid", "idle in transaction"} {
		if !strings.Contains(s, want) {
			t.Errorf("drill-down lacks %q", want)
		}
	}
	h.key("/")
	for _, k := range []string{"s", "l", "e", "e", "p"} {
		h.key(k)
	}
	s = h.screen()
	if !strings.Contains(s, "sessions 1 of 4") || !strings.Contains(s, "filter: sleep") {
		t.Errorf("filter did not apply:\n%s", s)
	}
	h.key("q") // typed into the filter, not a quit
	if h.quit {
		t.Fatal("q quit while typing a filter")
	}
	h.key("enter") // keep the filter, stop typing
	h.key("esc")   // clears it
	if s = h.screen(); !strings.Contains(s, "sessions 4 of 4") {
		t.Errorf("esc did not clear the filter")
	}
	h.key("s") // query age, longest first
	s = h.screen()
	if i, j := strings.Index(s, "  4242 "), strings.Index(s, "  4301 "); !strings.Contains(s, "sort query age ↓") || i < 0 || j < 0 || i > j {
		t.Errorf("sort by query age: 4242 (95s) should come before 4301 (41s)")
	}
	h.key("esc")
	if strings.Contains(h.screen(), "sessions 4 of 4") {
		t.Error("esc did not unzoom")
	}
	if last := h.db.reqs[len(h.db.reqs)-1]; len(h.db.reqs) > 0 && last.Sessions {
		h.advance(2 * time.Second)
		if last := h.db.reqs[len(h.db.reqs)-1]; last.Sessions {
			t.Error("sessions still fetched after unzooming")
		}
	}
}

func TestRedisPaneQueuesAndCluster(t *testing.T) {
	h := newHarness(t, healthy(), nil, false)
	h.cache.st.Nodes = []sources.CacheNode{
		{Addr: "10.0.0.1:7000", Role: "master", Keys: 16_001, UsedMemory: 100 << 20, ConnectedClients: 8, OpsPerSec: 600, PingMillis: 0.3},
		{Addr: "10.0.0.2:7000", Error: "connection refused by 10.0.0.2:7000 (is Redis running there?)"},
	}
	h.cache.st.Mode, h.cache.st.Role = "cluster", "cluster"
	h.size(160, 48)
	h.advance(0)
	for i := 0; i < 5; i++ {
		h.key("tab")
	}
	h.key("enter")
	s := h.screen()
	checkGeometry(t, s, 160, 48)
	golden.RequireEqual(t, s)
	for _, want := range []string{"⚠ 137 queued celery (+12 in 4m)", "0 emails", "10.0.0.1:7000 master 16k keys", "10.0.0.2:7000 ⚠ connection refused", "KEYS session:*"} {
		if !strings.Contains(s, want) {
			t.Errorf("zoomed redis pane lacks %q", want)
		}
	}
}

// TestStatePanesKeepDataWhenFailing: a failing database or Redis keeps its
// last figures (dimmed), says what is wrong and since when, and recovers by
// itself within two refresh intervals.
func TestStatePanesKeepDataWhenFailing(t *testing.T) {
	h := newHarness(t, healthy(), nil, false)
	h.size(160, 48)
	h.advance(0)
	h.db.mu.Lock()
	h.db.err = errors.New("connection refused by db.qa:6432/origin_db (is PostgreSQL running there?)")
	h.db.mu.Unlock()
	h.cache.mu.Lock()
	h.cache.err = errors.New("no answer from cache.qa:6379/0 within 5s")
	h.cache.mu.Unlock()
	h.advance(2 * time.Second)
	h.advance(2 * time.Second)
	s := h.screen()
	for _, want := range []string{"⚠ postgres: connection refused by", "db.qa:6432/origin_db", "since 14:30:02", "4/100 conn", "⚠ redis: no answer from cache.qa:6379/0", "137 queued celery", "⚠ 2 failing"} {
		if !strings.Contains(s, want) {
			t.Errorf("failing state panes lack %q:\n%s", want, s)
		}
	}
	h.db.mu.Lock()
	h.db.err = nil
	h.db.mu.Unlock()
	h.cache.mu.Lock()
	h.cache.err = nil
	h.cache.mu.Unlock()
	h.advance(2 * time.Second)
	h.advance(2 * time.Second)
	if s := h.screen(); strings.Contains(s, "⚠ postgres") || strings.Contains(s, "⚠ redis") || strings.Contains(s, "failing") {
		t.Errorf("not recovered within two refresh intervals:\n%s", s)
	}
}

// TestDriftPaneZoomShowsSQL: zooming the drift pane shows the SQL that would
// mend each schema difference, the hazardous ones marked.
func TestDriftPaneZoomShowsSQL(t *testing.T) {
	h := newHarness(t, healthy(), nil, false)
	h.size(160, 48)
	h.advance(0)
	s := h.screen()
	if !strings.Contains(s, "⚠ 2 schema differences (1 hazardous) vs production") || strings.Contains(s, "DROP COLUMN") {
		t.Fatalf("drift pane:\n%s", s)
	}
	for i := 0; i < 6; i++ {
		h.key("tab")
	}
	h.key("enter")
	s = h.screen()
	checkGeometry(t, s, 160, 48)
	golden.RequireEqual(t, s)
	for _, want := range []string{"CREATE EXTENSION IF NOT EXISTS vector;", "-- hazardous: drops or rewrites data", "ALTER TABLE users DROP COLUMN legacy_flag;", "+ 5a0f3b8e2c61 add user facts"} {
		if !strings.Contains(s, want) {
			t.Errorf("zoomed drift pane lacks %q", want)
		}
	}
}

// TestDriftPaneCheckGoesThroughTheGuard: `c` in the zoomed drift pane asks
// for the migration check as an action: refused where the guard refuses it,
// confirmed where it asks, run and shown in the action overlay otherwise;
// nothing runs by itself.
func TestDriftPaneCheckGoesThroughTheGuard(t *testing.T) {
	for _, c := range []struct {
		guard   actionpane.Guard
		after   string
		runs    int
		answerY bool
	}{
		{actionpane.Refused, "alembic-check refused: opsdeck runs with --readonly", 0, false},
		{actionpane.Confirm, "[y/N]", 0, false},
		{actionpane.Confirm, "New upgrade operations detected", 1, true},
		{actionpane.None, "New upgrade operations detected", 1, false},
	} {
		h := newHarness(t, healthy(), nil, false)
		f := &fakeAction{queue: []actionpane.Line{{Text: "ERROR [alembic.util.messaging] New upgrade operations detected"}, {Done: true, Exit: 1}}}
		h.m.deps.Actions = func(string) []actionpane.Action {
			a := f.action(CheckAction, "", c.guard)
			a.Reason = "opsdeck runs with --readonly"
			return []actionpane.Action{a}
		}
		h.m.openEnv("qa")
		h.size(160, 48)
		h.advance(0)
		for i := 0; i < 6; i++ {
			h.key("tab")
		}
		h.key("c") // not zoomed: not the drift pane's key
		h.key("enter")
		if f.runs != 0 || !strings.Contains(h.screen(), "c: run the migration check") {
			t.Fatalf("the check ran by itself (%d) or is not offered:\n%s", f.runs, h.screen())
		}
		h.key("c")
		if c.answerY {
			h.key("y")
		}
		if s := h.screen(); f.runs != c.runs || !strings.Contains(s, c.after) {
			t.Errorf("guard %d: %d runs\n%s", c.guard, f.runs, s)
		}
	}
}

func (f *fakeDB) polls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.reqs)
}
