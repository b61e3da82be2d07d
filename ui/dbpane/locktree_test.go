package dbpane

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/theme"
)

// TestLockTreeLines: the root blocker first with what it holds up, each
// waiting session indented under the one it waits for, with its lock.
func TestLockTreeLines(t *testing.T) {
	st := theme.New(theme.Dark(), true)
	holder := sources.DBSession{PID: 100, Application: "worker", User: "origin", State: "idle in transaction", XactAge: 320, Query: "UPDATE accounts SET v = 1"}
	alter := sources.DBSession{PID: 200, Application: "alembic", User: "origin", QueryAge: 41, BlockedBy: []int{100}, Query: "ALTER TABLE accounts ADD COLUMN note text",
		Lock: &sources.DBLock{Mode: "AccessExclusiveLock", Relation: "accounts", Type: "relation"}}
	reader := sources.DBSession{PID: 300, Application: "fastapi", User: "origin", QueryAge: 12, BlockedBy: []int{200}, Query: "SELECT count(*) FROM accounts",
		Lock: &sources.DBLock{Mode: "AccessShareLock", Relation: "accounts", Type: "relation"}}
	roots := sources.LockTree([]sources.DBSession{alter, reader}, []sources.DBSession{holder})
	got := LockTreeLines(st, roots, 200, 10)
	want := []string{
		"⚠ pid 100 holds up 2 · tx 5m20s idle in transaction · worker origin: UPDATE accounts SET v = 1",
		"└ pid 200 waits 41s for AccessExclusiveLock on accounts, holds up 1 · alembic origin: ALTER TABLE accounts ADD COLUMN note text",
		"  └ pid 300 waits 12s for AccessShareLock on accounts · fastapi origin: SELECT count(*) FROM accounts",
	}
	if len(got) != len(want) {
		t.Fatalf("%d lines:\n%s", len(got), strings.Join(got, "\n"))
	}
	for i := range want {
		if l := strings.TrimRight(ansi.Strip(got[i]), " "); l != want[i] {
			t.Errorf("line %d:\n got %q\nwant %q", i, l, want[i])
		}
	}
	if got := LockTreeLines(st, roots, 200, 2); !strings.Contains(ansi.Strip(got[1]), "… 2 more in the lock tree") {
		t.Errorf("cut at two lines: %q", got)
	}
}

// BenchmarkLockTree300: a lock tree of 300 sessions, laid out and drawn
// for a zoomed pane. Budget: 1 ms.
func BenchmarkLockTree300(b *testing.B) {
	st := theme.New(theme.Dark(), false)
	var blocked, blockers []sources.DBSession
	for r := range 10 {
		blockers = append(blockers, sources.DBSession{PID: 1000 + r, XactAge: 60, Query: "UPDATE t SET v = v + 1 WHERE id = $1"})
	}
	for i := range 300 - 10 {
		by := 1000 + i%10
		if i >= 50 {
			by = 2000 + i/5 // deeper chains
		}
		blocked = append(blocked, sources.DBSession{PID: 2000 + i, BlockedBy: []int{by}, QueryAge: float64(i), Query: "SELECT * FROM t WHERE id = $1",
			Lock: &sources.DBLock{Mode: "RowExclusiveLock", Relation: "t"}})
	}
	for b.Loop() {
		_ = LockTreeLines(st, sources.LockTree(blocked, blockers), 160, 20)
	}
	if per := b.Elapsed() / time.Duration(b.N); per > time.Millisecond {
		b.Errorf("%v for 300 sessions: over the 1 ms budget", per)
	}
}

// TestStatementsView: the statements view says why it has nothing (how to
// enable the extension, or that rates need a second read) and otherwise
// lists the figures per statement, within the width.
func TestStatementsView(t *testing.T) {
	st := theme.New(theme.Dark(), true)
	problem := &sources.DBStatements{Problem: "pg_stat_statements is not installed in database origin_db: add pg_stat_statements to shared_preload_libraries in postgresql.conf and restart the server, then run CREATE EXTENSION pg_stat_statements in origin_db"}
	got := strings.Join(strings.Fields(ansi.Strip(strings.Join(renderStatements(st, problem, 0, 60, 12, "v next"), " "))), " ")
	if !strings.Contains(got, "CREATE EXTENSION") || !strings.Contains(got, "shared_preload_libraries") {
		t.Errorf("problem not said in full:\n%s", got)
	}
	if got := strings.Join(renderStatements(st, &sources.DBStatements{}, 0, 100, 8, ""), "\n"); !strings.Contains(got, "two reads") {
		t.Errorf("first read:\n%s", got)
	}
	s := &sources.DBStatements{Seconds: 2, Entries: 9, Top: []sources.DBStatement{
		{User: "origin", Query: "SELECT * FROM messages WHERE conversation_id = $1", CallsPerSec: 120, MeanMS: 2.5, LoadMSPerSec: 300, RowsPerCall: 40}}}
	lines := renderStatements(st, s, 0, 100, 8, "")
	if len(lines) != 8 {
		t.Fatalf("%d lines, want 8", len(lines))
	}
	body := strings.Join(lines, "\n")
	for _, want := range []string{"CALLS/S", "120", "2.5 ms", "300 ms", "40", "origin", "conversation_id = $1"} {
		if !strings.Contains(body, want) {
			t.Errorf("missing %q:\n%s", want, body)
		}
	}
	for _, l := range lines {
		if ansi.StringWidth(l) > 100 {
			t.Errorf("line wider than the pane: %q", l)
		}
	}
}
