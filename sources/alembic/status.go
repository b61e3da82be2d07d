package alembic

import (
	"fmt"
	"strings"

	"github.com/opsdeck/opsdeck/sources"
)

// State is where a database stands against the project.
type State struct {
	Status   string
	Current  []string
	Heads    []string
	Pending  []sources.Revision
	Problems []sources.Problem
}

// Judge compares a database's revisions with the graph.
func (g *Graph) Judge(current []string, hasTable bool) State {
	st := State{Current: current, Heads: g.Heads, Problems: append([]sources.Problem(nil), g.Problems...)}
	if !hasTable {
		st.Status = sources.MigrationsNoTable
		st.Problems = append(st.Problems, sources.Problem{Severity: sources.SeverityWarning,
			Message: "the database has no alembic_version table: it is not under Alembic's control (a fresh database needs `alembic upgrade head`; an existing one `alembic stamp`)"})
		pending, _ := g.Pending(nil)
		st.Pending = pending
		return st
	}
	var unknown []string
	for _, c := range current {
		if g.Revisions[c] == nil {
			unknown = append(unknown, c)
		}
	}
	if len(unknown) > 0 {
		st.Status = sources.MigrationsUnknownRevison
		st.Problems = append(st.Problems, sources.Problem{Severity: sources.SeverityCritical,
			Message: fmt.Sprintf("the database is at %s, which no migration file here declares: code older than the database (a rolled-back deploy) or another branch; do not run migrations until the code matches", strings.Join(unknown, ", "))})
		return st
	}
	if len(g.Heads) == 0 && len(g.Revisions) > 0 {
		// Every revision has a child: a cycle. "Up to date" would be a lie.
		st.Status = sources.MigrationsUnknown
		st.Problems = append(st.Problems, sources.Problem{Severity: sources.SeverityCritical,
			Message: "the revision graph has no head (its revisions form a cycle): Alembic cannot upgrade, and where the database stands is unknown"})
		return st
	}
	pending, _ := g.Pending(current)
	st.Pending = pending
	if len(pending) == 0 {
		st.Status = sources.MigrationsUpToDate
	} else {
		st.Status = sources.MigrationsBehind
	}
	return st
}
