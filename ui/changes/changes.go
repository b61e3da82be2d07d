package changes

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/pane"
	"github.com/opsdeck/opsdeck/ui/poll"
)

// Options configure the gatherer; every source may be nil.
type Options struct {
	Source sources.Changes
	// Audit reads the environment's runs from the audit log.
	Audit func(ctx context.Context) ([]sources.Mark, error)
	// Notes reads the responders' notes and pins.
	Notes func(ctx context.Context) ([]sources.Mark, error)
	// Deploys says what each deploy brought (nil: no repository).
	Deploys  sources.Deploys
	Scrubber *redact.Scrubber
}

// Model polls the sources of marks at the refresh interval and keeps the
// migrations it is told of. It draws nothing: the charts do.
type Model struct {
	pane.Polled[Found]
	seen     []sources.Mark // migrations observed, oldest first
	added    []sources.Mark // notes and pins kept here, marked before the next read
	revision []string
	known    bool
}

// maxSeen bounds the migrations kept: a console left open for weeks.
const maxSeen = 200

// points is how finely the marks are placed: a step of the chart window
// divided into this many.
const points = 120

// New builds the gatherer.
func New(ctx *pane.Context, o Options) *Model {
	m := &Model{}
	src, audit, deploys, scrub := o.Source, joinReads(o.Audit, o.Notes), o.Deploys, o.Scrubber
	m.Polled = pane.Polled[Found]{
		Ctx: ctx, Poll: poll.State[Found]{ID: ctx.ID("changes")}, Name: "Changes", Short: "changes",
		Configured: src != nil || audit != nil, Scrubber: o.Scrubber,
		NewFetch: func() func(context.Context) (Found, error) {
			w := sources.WindowFor(ctx.Time.End(ctx.Now()), ctx.Time.Window, points)
			// Prometheus's marks only move when the window gains a step:
			// until then keep them and read the audit log alone.
			var keep *Found
			if last := m.Poll.Last; m.Poll.HasLast && m.Poll.Err == nil && last.Problem == "" && last.Window.End.Equal(w.End) && last.Window.Step == w.Step {
				keep = &last
			}
			return func(ctx context.Context) (Found, error) {
				f, err := read(ctx, src, audit, w, keep)
				if err == nil && deploys != nil {
					f.Marks = sources.Annotated(f.Marks, sources.ReadDeploys(ctx, deploys, f.Marks, scrub.Error))
				}
				return f, err
			}
		},
		// Paused, the charts stand still and so do their marks.
		Hold: func() string {
			if ctx.Time.Paused {
				return "paused"
			}
			return ""
		},
	}
	return m
}

// Found is one reading: the marks, and what could not be read.
type Found struct {
	Marks   []sources.Mark
	Problem string
	// Window and Source are the window read and the source's own marks in
	// it, kept until the window moves.
	Window sources.Window
	Source []sources.Mark
}

// read gathers the marks of w (the source's kept from keep, when given);
// it fails only when every source failed.
func read(ctx context.Context, src sources.Changes, audit func(context.Context) ([]sources.Mark, error), w sources.Window, keep *Found) (Found, error) {
	f := Found{Window: w}
	var errs []error
	asked := 0 // the sources there are; all of them failing is an error
	if src != nil {
		asked++
	}
	if audit != nil {
		asked++
	}
	switch {
	case src == nil:
	case keep != nil:
		f.Source = keep.Source
	default:
		found, err := src.Changes(ctx, w)
		f.Source = found
		if err != nil {
			errs = append(errs, err)
		}
	}
	marks := slices.Clone(f.Source)
	if audit != nil {
		found, err := audit(ctx)
		marks = append(marks, sources.MarksIn(found, w.Start(), w.Now)...)
		if err != nil {
			if !strings.Contains(err.Error(), "audit log") && !strings.HasPrefix(err.Error(), "notes") {
				err = errors.New("audit log: " + err.Error())
			}
			errs = append(errs, err)
		}
	}
	err := errors.Join(errs...)
	if err != nil && len(errs) == asked {
		return Found{}, err
	}
	f.Marks = sources.SortMarks(marks)
	if err != nil {
		f.Problem = err.Error()
	}
	return f, nil
}

// Observe is told the database's revision at each poll: a change from the
// revision seen before is a migration, whoever ran it. It reports whether
// that made a new mark.
func (m *Model) Observe(revision []string, at time.Time) bool {
	if !m.known {
		m.revision, m.known = slices.Clone(revision), true
		return false
	}
	if slices.Equal(revision, m.revision) {
		return false
	}
	text := "migration " + orNone(m.revision) + " → " + orNone(revision)
	m.revision = slices.Clone(revision)
	m.seen = append(m.seen, sources.Mark{At: at, Kind: sources.MarkMigration, Text: text})
	if len(m.seen) > maxSeen {
		m.seen = slices.Delete(m.seen, 0, len(m.seen)-maxSeen)
	}
	return true
}

func orNone(revs []string) string {
	if len(revs) == 0 {
		return "(none)"
	}
	return strings.Join(revs, "+")
}

// Marks are every mark known, oldest first.
func (m *Model) Marks() []sources.Mark {
	var all []sources.Mark
	if m.Poll.HasLast {
		all = append(all, m.Poll.Last.Marks...)
	}
	all = append(all, m.seen...)
	return sources.SortMarks(append(all, m.added...))
}

// Add marks notes or pins just kept, before the next read finds them in
// their file (the same marks: counted once).
func (m *Model) Add(marks ...sources.Mark) {
	m.added = append(m.added, marks...)
	if len(m.added) > maxSeen {
		m.added = slices.Delete(m.added, 0, len(m.added)-maxSeen)
	}
}

// joinReads is the console's own records as one read: the audit log's
// runs and the notes file's entries (either may be nil). A failing one
// says which.
func joinReads(audit, notes func(context.Context) ([]sources.Mark, error)) func(context.Context) ([]sources.Mark, error) {
	switch {
	case notes == nil:
		return audit
	case audit == nil:
		return func(ctx context.Context) ([]sources.Mark, error) {
			marks, err := notes(ctx)
			if err != nil {
				err = errors.New("notes: " + err.Error())
			}
			return marks, err
		}
	}
	return func(ctx context.Context) ([]sources.Mark, error) {
		marks, err := audit(ctx)
		more, nerr := notes(ctx)
		if nerr != nil {
			nerr = errors.New("notes: " + nerr.Error())
		}
		return append(marks, more...), errors.Join(err, nerr)
	}
}

// Problem says, in words, why the marks may be incomplete ("" when all is well).
func (m *Model) Problem() string {
	switch {
	case m.Poll.Err != nil:
		return "the marks could not be read: " + m.Scrubber.Error(m.Poll.Err)
	case m.Poll.Last.Problem != "":
		return "some marks could not be read: " + m.Scrubber.String(m.Poll.Last.Problem)
	}
	return ""
}
