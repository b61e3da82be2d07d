package snapshot

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"github.com/opsdeck/opsdeck/sources"
)

// Migrations is the Alembic section; error is set when the project could not
// be read (the database side's trouble is database_error).
type Migrations struct {
	Dir   string `json:"dir,omitempty"`
	Error string `json:"error,omitempty"`
	*sources.MigrationState
	configured bool
}

func migrationsSource() Source {
	return Source{Name: "migrations", Key: "migrations", Gate: GateAlways,
		configured: func(env *sources.Environment) bool { return isSet(env.Migrations) },
		read:       func(ctx context.Context, r *reading) { r.doc.Migrations = readMigrations(ctx, r.env) },
		section:    func(d *Document) Section { return d.Migrations }}
}

func readMigrations(ctx context.Context, env *sources.Environment) Migrations {
	out := Migrations{Dir: env.Migrations.Target, configured: env.Migrations.Source != nil}
	if env.Migrations.Source == nil {
		out.Error = notConfigured(cmp.Or(env.Migrations.Problem, "no Alembic project: set alembic.dir in the config or ALEMBIC_DIR"))
		return out
	}
	st, err := env.Migrations.Source.Poll(ctx)
	if err != nil {
		out.Error = env.Scrubber.Error(err)
		return out
	}
	if st.Pending == nil {
		st.Pending = []sources.Revision{}
	}
	if st.Problems == nil {
		st.Problems = []sources.Problem{}
	}
	st.DatabaseError = env.Scrubber.String(st.DatabaseError)
	out.MigrationState = &st
	return out
}

func (m Migrations) Down() string {
	if m.configured && m.MigrationState == nil {
		return m.Error
	}
	return ""
}

func (m Migrations) Text(b *strings.Builder) {
	if m.MigrationState == nil {
		fmt.Fprintf(b, "Migrations: unknown (%s)\n", m.Error)
		return
	}
	st := m.MigrationState
	fmt.Fprintf(b, "Migrations: %s (database at %s; heads %s; %d revisions)\n", st.Status, strings.Join(st.Current, ", "), strings.Join(st.Heads, ", "), st.Revisions)
	for _, r := range st.Pending {
		fmt.Fprintf(b, "  pending %s %s\n", r.ID, r.Message)
	}
	if st.DatabaseError != "" {
		fmt.Fprintf(b, "  database: %s\n", st.DatabaseError)
	}
	for _, p := range st.Problems {
		fmt.Fprintf(b, "  %s: %s\n", p.Severity, p.Message)
	}
}

func (m Migrations) Markdown(b *strings.Builder) {
	b.WriteString("## Migrations\n\n")
	if m.MigrationState == nil {
		fmt.Fprintf(b, "Unknown: %s\n\n", orNone(m.Error))
		return
	}
	st := m.MigrationState
	fmt.Fprintf(b, "- Status: **%s**; database at %s; heads %s (%d revisions)\n", strings.ReplaceAll(st.Status, "_", " "),
		orNone(strings.Join(st.Current, ", ")), orNone(strings.Join(st.Heads, ", ")), st.Revisions)
	for _, r := range st.Pending {
		fmt.Fprintf(b, "- Pending: `%s` %s\n", r.ID, r.Message)
	}
	if st.DatabaseError != "" {
		fmt.Fprintf(b, "- Database: %s\n", st.DatabaseError)
	}
	for _, p := range st.Problems {
		fmt.Fprintf(b, "- %s: %s\n", p.Severity, p.Message)
	}
	b.WriteString("\n")
}

func (m Migrations) Cells() []Cell {
	switch {
	case !m.configured:
		return []Cell{{Text: "migrations –"}}
	case m.MigrationState == nil:
		return []Cell{{Text: "migrations unknown", Status: sources.StatusError}}
	}
	switch m.Status {
	case sources.MigrationsUpToDate:
		return []Cell{{Text: "up to date", Status: sources.StatusOK}}
	case sources.MigrationsBehind:
		return []Cell{{Text: fmt.Sprintf("behind %d", len(m.Pending)), Status: sources.StatusWarn}}
	case "no_table":
		return []Cell{{Text: "no alembic_version", Status: sources.StatusWarn}}
	case "unknown_revision":
		return []Cell{{Text: "unknown revision", Status: sources.StatusCrit}}
	}
	return []Cell{{Text: "migrations unknown", Status: sources.StatusError}}
}

// Findings are the reasons the deploy gate fails: a database behind, a
// revision that cannot be read, and the project's critical or warning
// problems (Alembic itself refuses several heads or a file without a
// revision).
func (m Migrations) Findings() []Finding {
	switch {
	case !m.configured:
		return nil
	case m.MigrationState == nil:
		return []Finding{{Level: sources.StatusCrit, Text: m.Error}}
	}
	var out []Finding
	st := m.MigrationState
	switch st.Status {
	case sources.MigrationsUpToDate:
	case sources.MigrationsBehind:
		ids := make([]string, len(st.Pending))
		for i, r := range st.Pending {
			ids[i] = r.ID
		}
		out = append(out, Finding{Level: sources.StatusWarn, Text: fmt.Sprintf("the database is behind: %d revision(s) pending (%s); run `alembic upgrade head`", len(st.Pending), strings.Join(ids, ", "))})
	case sources.MigrationsUnknown:
		out = append(out, Finding{Level: sources.StatusCrit, Text: "the database's revision could not be read: " + st.DatabaseError})
	}
	for _, p := range st.Problems {
		switch p.Severity {
		case sources.SeverityCritical:
			out = append(out, Finding{Level: sources.StatusCrit, Text: p.Severity + ": " + p.Message})
		case sources.SeverityWarning:
			out = append(out, Finding{Level: sources.StatusWarn, Text: p.Severity + ": " + p.Message})
		}
	}
	return out
}
