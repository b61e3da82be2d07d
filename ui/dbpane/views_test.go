package dbpane

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/ui/pane/panetest"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/theme"
)

var t0 = time.Date(2026, 11, 30, 14, 30, 0, 0, time.UTC)

// fakeDB answers what the test sets.
type fakeDB struct {
	st  sources.DBState
	err error
}

func (f *fakeDB) Poll(_ context.Context, req sources.DBRequest) (sources.DBState, error) {
	if f.err != nil {
		return sources.DBState{}, f.err
	}
	st := f.st
	if !req.Sessions {
		st.Sessions = nil
	}
	return st, nil
}

// incident is a database during an incident: a transaction left idle holds
// up three sessions, one of them a migration.
func incident() sources.DBState {
	holder := sources.DBSession{PID: 4100, User: "origin", Application: "fastapi", State: "idle in transaction", XactAge: 312, StateAge: 300,
		Query: "UPDATE conversations SET title = $1 WHERE id = $2"}
	alter := sources.DBSession{PID: 4301, User: "origin", Application: "alembic", State: "active", WaitEvent: "Lock:relation", QueryAge: 41, XactAge: 41,
		Query: "ALTER TABLE conversations ADD COLUMN note text", BlockedBy: []int{4100}, Lock: &sources.DBLock{Mode: "AccessExclusiveLock", Relation: "conversations", Type: "relation"}}
	reader := sources.DBSession{PID: 4302, User: "origin", Application: "fastapi", State: "active", WaitEvent: "Lock:relation", QueryAge: 30, XactAge: 30,
		Query: "SELECT * FROM conversations WHERE id = $1", BlockedBy: []int{4301}, Lock: &sources.DBLock{Mode: "AccessShareLock", Relation: "conversations", Type: "relation"}}
	writer := sources.DBSession{PID: 4303, User: "origin", Application: "celery-worker", State: "active", WaitEvent: "Lock:relation", QueryAge: 12, XactAge: 12,
		Query: "UPDATE conversations SET seen = now()", BlockedBy: []int{4301}, Lock: &sources.DBLock{Mode: "RowExclusiveLock", Relation: "conversations", Type: "relation"}}
	idle := sources.DBSession{PID: 3999, User: "origin", Application: "fastapi", State: "idle", StateAge: 3}
	hit := 0.9962
	return sources.DBState{
		Version: "16.4 (Debian 16.4-1.pgdg120+1)", StartedAt: t0.Add(-76 * time.Hour), Role: "primary", Database: "origin_db", User: "origin",
		Connections:        sources.DBConnections{Total: 38, Active: 4, Idle: 32, IdleInTransaction: 1, Waiting: 3, Max: 100, Reserved: 3},
		LongestTransaction: &holder,
		LongestQuery:       &alter,
		Blocked:            []sources.DBSession{alter, reader, writer},
		Blockers:           []sources.DBSession{holder},
		Rates:              &sources.DBRates{TPS: 182.5, CacheHitRatio: &hit, Seconds: 2},
		DatabaseSize:       2_147_483_648,
		Extensions:         []sources.DBExtension{{Name: "plpgsql", Version: "1.0"}},
		Tables:             []sources.DBTable{{Name: "public.conversations", RowsEstimate: 310_500, SizeBytes: 201_326_592, DeadTuples: 88}},
		Sessions:           []sources.DBSession{idle, holder, alter, reader, writer},
	}
}

func thresholds() sources.DBThresholds {
	return sources.DBThresholds{Connections: sources.Thresholds{Warn: f(0.8), Crit: f(0.95)},
		TransactionAge: sources.Thresholds{Warn: f(60), Crit: f(300)}, QueryAge: sources.Thresholds{Warn: f(30), Crit: f(300)}}
}

// run hands the pane the result of cmd, as the program would.
func run(m *Model, cmd tea.Cmd) {
	if cmd != nil {
		m.Update(cmd())
	}
}

// newPane builds the pane in one of the states the goldens show: loading
// (no answer yet), ok, error (failing 12 s after its last answer), off
// (not configured); zoomed when asked.
func newPane(state string, w, h int, zoomed bool) *Model {
	now := t0
	ctx := panetest.Context(func() time.Time { return now })
	src := &fakeDB{st: incident()}
	o := Options{Source: src, Target: "db.qa:5432/origin_db", Thresholds: thresholds(),
		Hints: Hints{Browse: "/ filter · s sort · esc back", Locks: "v next view · esc back", Statements: "v next view · esc back"}}
	if state == "off" {
		o = Options{Problem: "no postgres.dsn in the configuration"}
	}
	m := New(ctx, o)
	m.SetSize(w, h)
	fetch := m.Start()
	if state != "loading" {
		run(m, fetch)
	}
	if state == "error" {
		now = now.Add(12 * time.Second)
		src.err = errors.New("connection refused by db.qa:5432 (is PostgreSQL running there?)")
		run(m, m.Fetch())
	}
	if zoomed {
		if cmd := m.SetZoomed(true); state != "loading" {
			run(m, cmd)
		}
	}
	return m
}

// screen is the pane's view without colour, checked to be exactly w x h.
func screen(t *testing.T, m *Model, w, h int) string {
	t.Helper()
	return panetest.Screen(t, m.View(false), w, h)
}

// TestViews: the pane in every state at the small sizes the root gives it
// (a 2x2 grid at 80x24 and 100x30, a row of four at 160x48) and zoomed.
func TestViews(t *testing.T) {
	panetest.Views(t, []string{"loading", "ok", "error", "off"}, panetest.Sizes, func(state string, s panetest.Size) []string {
		return newPane(state, s.W, s.H, s.Zoomed).View(false)
	})
}

// TestSmallPaneKeepsTheBlocker: at 40x5, during the incident and while the
// source fails with the incident as last data, the pane's first finding is
// the root blocker with how many sessions it holds up, uncut.
func TestSmallPaneKeepsTheBlocker(t *testing.T) {
	for _, state := range []string{"ok", "error"} {
		s := screen(t, newPane(state, 40, 5, false), 40, 5)
		if !strings.Contains(s, "│ ⚠ 3 held up by pid 4100 ") {
			t.Errorf("%s: the root blocker's figure is not on screen uncut:\n%s", state, s)
		}
	}
}

// TestFindingFirst: whatever is wrong comes first, its figure first, in a
// pane of three lines 36 cells wide (a 40x5 pane).
func TestFindingFirst(t *testing.T) {
	st := theme.New(theme.Dark(), true)
	lag, replay := int64(10<<20), 4.0
	for _, c := range []struct {
		name   string
		change func(*sources.DBState)
		want   string
	}{
		{"connections near the maximum", func(s *sources.DBState) { s.Connections.Total = 96 }, "⚠ 96/100 conn · PG 16.4"},
		{"a replica whose WAL receiver stopped", func(s *sources.DBState) {
			s.Replication.Upstream = &sources.DBUpstream{Sender: "db1", LagBytes: &lag, ReplayLag: &replay}
		}, "⚠ 10 MiB / 4.00 s behind · replica"},
		{"deadlocks", func(s *sources.DBState) { s.Rates = &sources.DBRates{TPS: 40, Deadlocks: 2} }, "⚠ 2.00/s deadlocks · 40.0 tps"},
		{"clients waiting in pgbouncer", func(s *sources.DBState) {
			s.Pgbouncer = &sources.Pgbouncer{Pools: []sources.PgbouncerPool{{Database: "app", User: "app", ClientsActive: 20, ClientsWait: 7}}}
		}, "⚠ 7 waiting · 20 active · pool app/…"},
		{"an extension missing", func(s *sources.DBState) { s.MissingExtensions = []string{"vector"} }, "⚠ vector: extension not installed"},
	} {
		s := sources.DBState{Version: "16.4", Role: "primary", StartedAt: t0.Add(-time.Hour), Connections: sources.DBConnections{Total: 10, Max: 100},
			DatabaseSize: 1 << 30, Rates: &sources.DBRates{TPS: 40}}
		c.change(&s)
		lines := summaryLines(st, s, nil, thresholds(), 36, 3, false, t0)
		if len(lines) != 3 {
			t.Errorf("%s: %d lines in a pane of 3", c.name, len(lines))
		}
		if got := strings.TrimRight(ansi.Strip(lines[0]), " "); !strings.HasPrefix(got, c.want) {
			t.Errorf("%s: first line %q, want it to start %q", c.name, got, c.want)
		}
	}
}
