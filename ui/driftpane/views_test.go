package driftpane

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/ui/pane/panetest"

	"github.com/charmbracelet/x/ansi"

	"github.com/opsdeck/opsdeck/sources"
)

var t0 = time.Date(2026, 11, 30, 14, 30, 0, 0, time.UTC)

// fakeMigrations and fakeDrift answer what the test sets.
type fakeMigrations struct {
	st  sources.MigrationState
	err error
}

func (f *fakeMigrations) Poll(context.Context) (sources.MigrationState, error) { return f.st, f.err }

type fakeDrift struct{ d sources.SchemaDrift }

func (f *fakeDrift) Compare(context.Context, bool) sources.SchemaDrift { return f.d }

// incident is a database three migrations behind the code, whose schema
// also differs from production's.
func incident() (sources.MigrationState, sources.SchemaDrift) {
	m := sources.MigrationState{Status: sources.MigrationsBehind, Current: []string{"c7d0e5f19a24"}, Heads: []string{"1e9b7a6c5d40"}, Revisions: 6,
		Pending: []sources.Revision{{ID: "9b1c2d3e4f50", Message: "drop legacy flag"}, {ID: "5a0f3b8e2c61", Message: "add user facts"},
			{ID: "1e9b7a6c5d40", Message: "message versions"}},
		Problems: []sources.Problem{{Severity: sources.SeverityWarning, Message: "notes.py declares no revision: not a migration, or a broken one (Alembic refuses to load it)"}}}
	d := sources.SchemaDrift{Reference: "environment production", Differences: []sources.Difference{
		{Kind: "extension_missing", Object: "vector", Detail: "extension vector 0.7.4 is not installed", SQL: "CREATE EXTENSION IF NOT EXISTS vector;"},
		{Kind: "column_extra", Object: "users.legacy_flag", Detail: "column users.legacy_flag is not in the reference", SQL: "ALTER TABLE users DROP COLUMN legacy_flag;", Hazardous: true},
	}}
	return m, d
}

// newPane builds the pane in one of the states the goldens show: loading
// (no answer yet), ok, error (failing 12 s after its last answer), off
// (not configured); zoomed when asked. The pane fails only when what is
// configured all fails: in the error state only the Alembic directory is.
func newPane(state string, w, h int, zoomed bool) *Model {
	now := t0
	ctx := panetest.Context(func() time.Time { return now })
	mig, d := incident()
	src := &fakeMigrations{st: mig}
	o := Options{Source: src, Drift: &fakeDrift{d: d}, Check: "alembic-check", Hints: Hints{Zoom: "enter", Check: "c"}, Target: "migrations/"}
	switch state {
	case "error":
		o.Drift = nil
	case "off":
		o = Options{Problem: "no alembic.directory nor schema_reference in the configuration"}
	}
	m := New(ctx, o)
	m.SetSize(w, h)
	fetch := m.Start()
	if state != "loading" && fetch != nil {
		m.Update(fetch())
	}
	if state == "error" {
		now = now.Add(12 * time.Second)
		src.err = errors.New("connection refused by db.qa:5432 (is PostgreSQL running there?)")
		m.Update(m.Fetch()())
	}
	m.SetZoomed(zoomed)
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

// TestSmallPaneKeepsWhatIsPending: at 40x5, during the incident and while
// Alembic fails with the incident as last data, the first finding is how
// many migrations are pending, uncut.
func TestSmallPaneKeepsWhatIsPending(t *testing.T) {
	for _, state := range []string{"ok", "error"} {
		s := screen(t, newPane(state, 40, 5, false), 40, 5)
		if !strings.Contains(s, "│ ⚠ 3 pending · behind ") {
			t.Errorf("%s: the count pending is not on screen uncut:\n%s", state, s)
		}
	}
}

// TestFindingFirst: whatever is wrong comes first, the critical before the
// warnings, in a pane of three lines 36 cells wide (a 40x5 pane).
func TestFindingFirst(t *testing.T) {
	mig, d := incident()
	unknown := mig
	unknown.Status, unknown.Current, unknown.Pending = sources.MigrationsUnknownRevison, []string{"zz9"}, nil
	critical := mig
	critical.Problems = append(critical.Problems, sources.Problem{Severity: sources.SeverityCritical, Message: "two heads: a merge is missing"})
	for _, c := range []struct {
		name string
		r    sources.DriftReport
		want []string
	}{
		{"an unknown revision before the schema", sources.DriftReport{Migrations: &unknown, Schema: &d},
			[]string{"✖ UNKNOWN REVISION zz9", "⚠ notes.py declares no revision", "⚠ 2 schema differences (1 hazardous"}},
		{"a critical problem before the revisions pending", sources.DriftReport{Migrations: &critical, Schema: &d},
			[]string{"✖ two heads: a merge is missing", "⚠ 3 pending · behind", "⚠ notes.py declares no revision"}},
		{"schema differences before the revision count", sources.DriftReport{Migrations: &sources.MigrationState{Status: sources.MigrationsUpToDate,
			Heads: []string{"c3"}, Revisions: 3}, Schema: &d},
			[]string{"⚠ 2 schema differences (1 hazardous", "✔ up to date at c3", "3 revisions, 1 head(s)"}},
	} {
		lines := summaryLines(st, c.r, 36, 3, false, false, "enter")
		if len(lines) != len(c.want) {
			t.Fatalf("%s: %d lines, want %d:\n%s", c.name, len(lines), len(c.want), plain(lines))
		}
		for i, want := range c.want {
			if got := ansi.Strip(lines[i]); !strings.HasPrefix(got, want) {
				t.Errorf("%s: line %d is %q, want it to start %q", c.name, i, got, want)
			}
		}
	}
}
