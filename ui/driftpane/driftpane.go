package driftpane

import (
	"context"
	"fmt"
	"slices"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/frame"
	"github.com/opsdeck/opsdeck/ui/pane"
	"github.com/opsdeck/opsdeck/ui/poll"
	"github.com/opsdeck/opsdeck/ui/theme"
)

// Hints are the keys the pane names, as the root has them bound.
type Hints struct {
	Zoom, Check string
}

// Options configure the pane.
type Options struct {
	Source sources.Migrations // nil when no Alembic directory is configured
	Drift  sources.Drift      // nil when no schema reference is configured
	// Check is the migration check (alembic.check_command) as the action
	// overlay runs it, guarded and audited; "" when the environment has none.
	Check string
	// Hints name the keys as bound: the zoom key and the check's key.
	Hints    Hints
	Problem  string
	Target   string // the Alembic directory
	Scrubber *redact.Scrubber
}

// Model is the drift pane.
type Model struct {
	pane.Polled[sources.DriftReport]
	zoomed bool
	check  string
	hints  Hints
}

// New builds the pane.
func New(ctx *pane.Context, o Options) *Model {
	m := &Model{check: o.Check, hints: o.Hints}
	m.Polled = pane.Polled[sources.DriftReport]{
		Ctx: ctx, Poll: poll.State[sources.DriftReport]{ID: ctx.ID("drift")}, Name: "Schema drift", Short: "alembic",
		Configured: o.Source != nil || o.Drift != nil, Problem: o.Problem, Target: o.Target, Scrubber: o.Scrubber,
		NewFetch: func() func(context.Context) (sources.DriftReport, error) {
			mig, drift, scrub := o.Source, o.Drift, o.Scrubber
			var before []string
			if last := m.Poll.Last.Migrations; m.Poll.HasLast && last != nil {
				before = append(before, last.Current...)
			}
			return func(ctx context.Context) (sources.DriftReport, error) { return fetch(ctx, mig, drift, scrub, before) }
		},
		Summary: func(st *theme.Styles, v sources.DriftReport, w, h int, stale bool) []string {
			if !m.zoomed {
				return summaryLines(st, v, w, h, stale, false, m.hints.Zoom)
			}
			check := m.checkLines(st, w)
			return append(summaryLines(st, v, w, h-len(check), stale, true, m.hints.Zoom), check...)
		},
	}
	return m
}

// fetch reads the revision state, then compares the schema, afresh when the
// database's revision moved since the last reading (a migration ran). It
// fails only when the one thing configured fails.
func fetch(ctx context.Context, mig sources.Migrations, drift sources.Drift, scrub *redact.Scrubber, before []string) (sources.DriftReport, error) {
	var r sources.DriftReport
	var err error
	fresh := false
	if mig != nil {
		var st sources.MigrationState
		if st, err = mig.Poll(ctx); err == nil {
			r.Migrations = &st
			fresh = before != nil && !slices.Equal(before, st.Current)
		} else {
			r.MigrationsError = scrub.Error(err)
		}
	}
	if drift != nil {
		d := drift.Compare(ctx, fresh)
		d.Error = scrub.String(d.Error)
		r.Schema = &d
	}
	if err != nil && drift == nil {
		return r, err
	}
	return r, nil
}

// Revision is the database's revision at the last good poll; ok is false
// before one, or when the database could not be read.
func (m *Model) Revision() (current []string, ok bool) {
	if !m.Poll.HasLast || m.Poll.Last.Migrations == nil || m.Poll.Last.Migrations.DatabaseError != "" {
		return nil, false
	}
	return m.Poll.Last.Migrations.Current, true
}

// SetZoomed shows each schema difference with the SQL that would mend it.
func (m *Model) SetZoomed(z bool) tea.Cmd {
	m.zoomed = z
	m.Changed()
	return nil
}

// Check is the migration check's action name, "" when there is none: the
// root's run_check binding starts it while the pane is zoomed, guarded and
// audited like every command, its output in the action overlay.
func (m *Model) Check() string { return m.check }

// Zoomed reports whether the pane is zoomed.
func (m *Model) Zoomed() bool { return m.zoomed }

// checkLines say how to run the migration check.
func (m *Model) checkLines(st *theme.Styles, w int) []string {
	if m.check == "" {
		return nil
	}
	return []string{st.Faint.Render(strings.Repeat("─", w)),
		st.Muted.Render(frame.Fit(m.hints.Check+": run the migration check (alembic.check_command) against this database, guarded and audited", w))}
}

// summaryLines are the pane's findings in at most h lines, most urgent
// first (a short pane keeps the top ones), each line with its figure before
// its label (a cut line keeps its number).
func summaryLines(st *theme.Styles, r sources.DriftReport, w, h int, stale, zoomed bool, zoomKey string) []string {
	ls := frame.NewLines(st, w, stale)
	if r.Migrations != nil {
		migrationLines(ls, st, *r.Migrations)
	} else if r.MigrationsError != "" {
		ls.Add(frame.Warning, st.Warn, "⚠ alembic: "+r.MigrationsError)
	}
	if r.Schema != nil {
		schemaLines(ls, st, *r.Schema, zoomed, zoomKey)
	} else {
		ls.Add(frame.Ordinary, st.Faint, "schema: no reference (set schema_reference)")
	}
	return ls.Top(h)
}

// wrapped adds text wrapped in at most n lines as one finding.
func wrapped(ls *frame.Lines, lv frame.Level, p theme.Paint, text string, n int) {
	for i, l := range frame.WrapN(text, ls.Width(), n) {
		if i == 0 {
			ls.Add(lv, p, l)
		} else {
			ls.More(p, l)
		}
	}
}

// schemaLines are the schema compared with its reference: equal, the
// differences (with the SQL that would mend each, zoomed), or why it
// could not be compared.
func schemaLines(ls *frame.Lines, st *theme.Styles, d sources.SchemaDrift, zoomed bool, zoomKey string) {
	switch {
	case d.Error != "":
		wrapped(ls, frame.Warning, st.Warn, "⚠ schema not compared with "+d.Reference+": "+d.Error, 3)
		return
	case len(d.Differences) == 0:
		ls.Add(frame.Ordinary, st.OK, "✔ schema equal to "+d.Reference)
		return
	}
	hazardous := 0
	for _, x := range d.Differences {
		if x.Hazardous {
			hazardous++
		}
	}
	ls.Add(frame.Warning, st.Warn, fmt.Sprintf("⚠ %d schema differences (%d hazardous) vs %s", len(d.Differences), hazardous, strings.TrimPrefix(d.Reference, "environment ")))
	for _, x := range d.Differences {
		ls.More(st.Text, "  "+x.Detail)
		if !zoomed {
			continue
		}
		if x.Hazardous {
			ls.More(st.Crit, "    -- hazardous: drops or rewrites data")
		}
		for _, l := range strings.Split(x.SQL, "\n") {
			ls.More(st.Muted, "    "+l)
		}
	}
	if !zoomed {
		ls.More(st.Faint, zoomKey+": the SQL that would mend each difference")
	}
}

// migrationLines are the database's revision against the code's heads
// (with the revisions pending), the database's error, and the problems
// found in the migrations, by severity.
func migrationLines(ls *frame.Lines, st *theme.Styles, s sources.MigrationState) {
	statusLine(ls, st, s)
	for i, r := range s.Pending {
		if i == 5 {
			ls.More(st.Muted, fmt.Sprintf("  … %d more", len(s.Pending)-5))
			break
		}
		ls.More(st.Text, "  + "+r.ID+" "+r.Message)
	}
	ls.Add(frame.Ordinary, st.Muted, fmt.Sprintf("%d revisions, %d head(s)", s.Revisions, len(s.Heads)))
	if s.DatabaseError != "" {
		wrapped(ls, frame.Warning, st.Warn, "⚠ database: "+s.DatabaseError, 2)
	}
	for _, p := range s.Problems {
		switch p.Severity {
		case sources.SeverityCritical:
			wrapped(ls, frame.Critical, st.Crit, "✖ "+p.Message, 3)
		case sources.SeverityWarning:
			wrapped(ls, frame.Warning, st.Warn, "⚠ "+p.Message, 3)
		default:
			wrapped(ls, frame.Ordinary, st.Muted, "ⓘ "+p.Message, 3)
		}
	}
}

// statusLine is the database's revision against the code's heads, the
// count of revisions to apply first.
func statusLine(ls *frame.Lines, st *theme.Styles, s sources.MigrationState) {
	heads := strings.Join(s.Heads, ", ")
	switch s.Status {
	case sources.MigrationsUpToDate:
		ls.Add(frame.Ordinary, st.OK, "✔ up to date at "+heads)
	case sources.MigrationsBehind:
		ls.Add(frame.Warning, st.Warn, fmt.Sprintf("⚠ %d pending · behind · %s → %s", len(s.Pending), strings.Join(s.Current, ", "), heads))
	case sources.MigrationsUnknownRevison:
		ls.Add(frame.Critical, st.Crit, "✖ UNKNOWN REVISION "+strings.Join(s.Current, ", ")+" · code heads "+heads)
	case sources.MigrationsNoTable:
		ls.Add(frame.Warning, st.Warn, fmt.Sprintf("⚠ %d to apply · not under Alembic control (no alembic_version)", len(s.Pending)))
	default:
		ls.Add(frame.Ordinary, st.Muted, "heads "+heads+" · database not read")
	}
}
