package driftpane

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/frame"
	"github.com/opsdeck/opsdeck/ui/theme"
)

func plain(lines []string) string { return ansi.Strip(strings.Join(lines, "\n")) }

var st = theme.New(theme.Dark(), true)

// migrations and schema are the lines of one part alone, w cells wide.
func migrations(s sources.MigrationState, w int) string {
	ls := frame.NewLines(st, w, false)
	migrationLines(ls, st, s)
	return plain(ls.Out())
}

func schema(d sources.SchemaDrift, w int, zoomed bool, zoomKey string) string {
	ls := frame.NewLines(st, w, false)
	schemaLines(ls, st, d, zoomed, zoomKey)
	return plain(ls.Out())
}

func TestMigrationFields(t *testing.T) {
	behind := sources.MigrationState{Status: sources.MigrationsBehind, Current: []string{"a1"}, Heads: []string{"c3"}, Revisions: 3,
		Pending:  []sources.Revision{{ID: "b2", Message: "add users"}, {ID: "c3", Message: "index"}},
		Problems: []sources.Problem{{Severity: sources.SeverityWarning, Message: "two revisions share a message"}}}
	got := migrations(behind, 80)
	for _, want := range []string{"⚠ 2 pending · behind · a1 → c3", "3 revisions, 1 head(s)", "  + b2 add users", "  + c3 index", "⚠ two revisions share a message"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q missing:\n%s", want, got)
		}
	}
	unknown := sources.MigrationState{Status: sources.MigrationsUnknownRevison, Current: []string{"zz"}, Heads: []string{"c3"}}
	if got := migrations(unknown, 80); !strings.Contains(got, "✖ UNKNOWN REVISION zz · code heads c3") {
		t.Errorf("unknown revision:\n%s", got)
	}
}

// TestSchemaFieldsAndHints: differences in summary, their SQL when zoomed,
// and the hints name the keys the root passed (here remapped).
func TestSchemaFieldsAndHints(t *testing.T) {
	d := sources.SchemaDrift{Reference: "environment production", Differences: []sources.Difference{
		{Kind: "column_extra", Object: "users.legacy", Detail: "column users.legacy is not in the reference", SQL: "ALTER TABLE users DROP COLUMN legacy;", Hazardous: true}}}
	small := schema(d, 100, false, "Z")
	if !strings.Contains(small, "column users.legacy is not in the reference") || !strings.Contains(small, "Z: the SQL that would mend each difference") ||
		strings.Contains(small, "DROP COLUMN") {
		t.Errorf("summary:\n%s", small)
	}
	zoomed := schema(d, 100, true, "Z")
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
