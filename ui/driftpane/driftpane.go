// Package driftpane is the Schema drift pane: is this database where the
// code thinks it is? Revision status first (current -> heads, what is
// pending), then the revision graph's problems by severity.
package driftpane

import (
	"context"
	"fmt"
	"strings"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/frame"
	"github.com/opsdeck/opsdeck/ui/pane"
	"github.com/opsdeck/opsdeck/ui/poll"
	"github.com/opsdeck/opsdeck/ui/theme"
)

// Options configure the pane.
type Options struct {
	Source   sources.Migrations // nil when no Alembic directory is configured
	Problem  string
	Target   string // the Alembic directory
	Scrubber *redact.Scrubber
}

// Model is the drift pane.
type Model struct {
	pane.Polled[sources.MigrationState]
}

// New builds the pane.
func New(ctx *pane.Context, o Options) *Model {
	m := &Model{}
	m.Polled = pane.Polled[sources.MigrationState]{
		Ctx: ctx, Poll: poll.State[sources.MigrationState]{ID: ctx.ID("drift")}, Name: "Schema drift", Short: "alembic",
		Configured: o.Source != nil, Problem: o.Problem, Target: o.Target, Scrubber: o.Scrubber,
		Loading: "reading migrations…", Where: "in ",
		NewFetch: func() func(context.Context) (sources.MigrationState, error) {
			src := o.Source
			return func(ctx context.Context) (sources.MigrationState, error) { return src.Poll(ctx) }
		},
		Summary: func(st *theme.Styles, v sources.MigrationState, w, _ int, stale bool) []string {
			return summaryLines(st, v, w, stale)
		},
	}
	return m
}

func summaryLines(st *theme.Styles, s sources.MigrationState, w int, stale bool) []string {
	dim := func(p theme.Paint) theme.Paint {
		if stale {
			return st.Faint
		}
		return p
	}
	var out []string
	add := func(p theme.Paint, text string) { out = append(out, dim(p).Render(frame.Fit(text, w))) }
	heads := strings.Join(s.Heads, ", ")
	switch s.Status {
	case sources.MigrationsUpToDate:
		add(st.OK, "✔ up to date at "+heads)
	case sources.MigrationsBehind:
		add(st.Warn, fmt.Sprintf("⚠ behind: %d pending · %s → %s", len(s.Pending), strings.Join(s.Current, ", "), heads))
	case sources.MigrationsUnknownRevison:
		add(st.Crit, "✖ UNKNOWN REVISION "+strings.Join(s.Current, ", ")+" · code heads "+heads)
	case sources.MigrationsNoTable:
		add(st.Warn, fmt.Sprintf("⚠ not under Alembic control (no alembic_version) · %d to apply", len(s.Pending)))
	default:
		add(st.Muted, "heads "+heads+" · database not read")
	}
	add(st.Muted, fmt.Sprintf("%d revisions, %d head(s)", s.Revisions, len(s.Heads)))
	for i, r := range s.Pending {
		if i == 5 {
			add(st.Muted, fmt.Sprintf("  … %d more", len(s.Pending)-5))
			break
		}
		add(st.Text, "  + "+r.ID+" "+r.Message)
	}
	if s.DatabaseError != "" {
		for _, l := range frame.WrapN("database: "+s.DatabaseError, w, 2) {
			add(st.Warn, l)
		}
	}
	for _, sev := range []string{sources.SeverityCritical, sources.SeverityWarning, sources.SeverityInfo} {
		for _, p := range s.Problems {
			if p.Severity != sev {
				continue
			}
			paint := st.Muted
			mark := "ⓘ "
			switch sev {
			case sources.SeverityCritical:
				paint, mark = st.Crit, "✖ "
			case sources.SeverityWarning:
				paint, mark = st.Warn, "⚠ "
			}
			for _, l := range frame.WrapN(mark+p.Message, w, 3) {
				add(paint, l)
			}
		}
	}
	add(st.Faint, "live schema vs a reference: coming with the rest of issue #4")
	return out
}
