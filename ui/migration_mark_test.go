package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/internal/wire"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/theme"
)

// TestMigrationFromOutsideIsMarked: against a real PostgreSQL and Alembic
// project, a migration run by someone else (alembic in another process)
// becomes a mark within two refreshes, and the report the console writes
// lists it under what changed.
func TestMigrationFromOutsideIsMarked(t *testing.T) {
	t.Parallel()
	sandboxtest.SkipServers(t, "PostgreSQL and alembic")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	dir := t.TempDir()
	if err := servers.WriteAlembicProject(dir); err != nil {
		t.Fatal(err)
	}
	if err := servers.Alembic(ctx, dir, pg.URL(), "upgrade", "a1"); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse("real.yaml", []byte(`environments:
  qa: {postgres: {url: "`+pg.URL()+`"}, alembic: {dir: "`+dir+`"}}
`), nil, Specs())
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, now: time.Now()}
	var reported *sources.Environment
	h.m = New(Deps{
		Environments: []EnvChoice{{Name: "qa"}},
		Initial:      "qa",
		Open:         func(name string) (*sources.Environment, error) { return wire.Open(cfg, name, "test") },
		Refresh:      2 * time.Second,
		Window:       15 * time.Minute,
		Now:          func() time.Time { return h.now },
		Styles:       theme.New(theme.Dark(), true),
		After:        func(d time.Duration, msg tea.Msg) tea.Cmd { return func() tea.Msg { return scheduled{d, msg} } },
		Report: func(_ context.Context, env *sources.Environment) (string, error) {
			reported = env
			return "report.md", nil
		},
	})
	t.Cleanup(func() { h.m.quit() })
	h.run(h.m.Init())
	h.size(160, 48)
	if rev, ok := h.m.driftPane.Revision(); !ok || strings.Join(rev, ",") != "a1" {
		t.Fatalf("the drift pane read revision %v (%v), want a1:\n%s", rev, ok, h.screen())
	}
	if err := servers.Alembic(ctx, dir, pg.URL(), "upgrade", "b2"); err != nil {
		t.Fatal(err)
	}
	ran := h.now
	var mark *sources.Mark
	for range 2 {
		h.advance(2 * time.Second)
		for _, k := range h.m.timeline.Marks {
			if k.Kind == sources.MarkMigration {
				mark = &k
			}
		}
	}
	if mark == nil {
		t.Fatalf("no migration mark two refreshes after the upgrade; marks %+v", h.m.timeline.Marks)
	}
	if mark.Text != "migration a1 → b2" || mark.At.Before(ran) || mark.At.After(h.now) {
		t.Errorf("mark %+v, want a1 → b2 between %s and %s", mark, ran.Format(time.TimeOnly), h.now.Format(time.TimeOnly))
	}
	h.key("w")
	if reported == nil || len(reported.Marks) != 1 || reported.Marks[0].Text != "migration a1 → b2" {
		t.Errorf("the report was given marks %+v", reported)
	}
}
