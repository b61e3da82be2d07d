package driftpane

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/theme"
)

func plain(lines []string) string { return ansi.Strip(strings.Join(lines, "\n")) }

var st = theme.New(theme.Dark(), true)

func TestMigrationFields(t *testing.T) {
	behind := sources.MigrationState{Status: sources.MigrationsBehind, Current: []string{"a1"}, Heads: []string{"c3"}, Revisions: 3,
		Pending:  []sources.Revision{{ID: "b2", Message: "add users"}, {ID: "c3", Message: "index"}},
		Problems: []sources.Problem{{Severity: sources.SeverityWarning, Message: "two revisions share a message"}}}
	got := plain(migrationLines(st, behind, 80, false))
	for _, want := range []string{"⚠ behind: 2 pending · a1 → c3", "3 revisions, 1 head(s)", "  + b2 add users", "  + c3 index", "⚠ two revisions share a message"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q missing:\n%s", want, got)
		}
	}
	unknown := sources.MigrationState{Status: sources.MigrationsUnknownRevison, Current: []string{"zz"}, Heads: []string{"c3"}}
	if got := plain(migrationLines(st, unknown, 80, false)); !strings.Contains(got, "✖ UNKNOWN REVISION zz · code heads c3") {
		t.Errorf("unknown revision:\n%s", got)
	}
}

// TestSchemaFieldsAndHints: differences in summary, their SQL when zoomed,
// and the hints name the keys the root passed (here remapped).
func TestSchemaFieldsAndHints(t *testing.T) {
	d := sources.SchemaDrift{Reference: "environment production", Differences: []sources.Difference{
		{Kind: "column_extra", Object: "users.legacy", Detail: "column users.legacy is not in the reference", SQL: "ALTER TABLE users DROP COLUMN legacy;", Hazardous: true}}}
	small := plain(schemaLines(st, d, 100, false, false, "Z"))
	if !strings.Contains(small, "column users.legacy is not in the reference") || !strings.Contains(small, "Z: the SQL that would mend each difference") ||
		strings.Contains(small, "DROP COLUMN") {
		t.Errorf("summary:\n%s", small)
	}
	zoomed := plain(schemaLines(st, d, 100, false, true, "Z"))
	if !strings.Contains(zoomed, "-- hazardous: drops or rewrites data") || !strings.Contains(zoomed, "ALTER TABLE users DROP COLUMN legacy;") {
		t.Errorf("zoomed:\n%s", zoomed)
	}
	m := &Model{check: "alembic-check", hints: Hints{Zoom: "Z", Check: "C"}}
	if got := plain(m.checkLines(st, 100)); !strings.Contains(got, "C: run the migration check") {
		t.Errorf("check hint: %s", got)
	}
	if m.check = ""; m.checkLines(st, 100) != nil {
		t.Error("no check, no hint")
	}
}
