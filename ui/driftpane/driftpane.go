// Package driftpane is the Schema drift pane: is this database where the
// code thinks it is? Revision status first (current -> heads, what is
// pending), then the revision graph's problems by severity.
package driftpane

import (
	"context"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

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
	ctx     *pane.Context
	o       Options
	poll    poll.State[sources.MigrationState]
	w, h    int
	version int
	memo    frame.Memo
}

// New builds the pane.
func New(ctx *pane.Context, o Options) *Model {
	return &Model{ctx: ctx, o: o, poll: poll.State[sources.MigrationState]{ID: ctx.ID("drift")}}
}

func (m *Model) ID() string               { return m.poll.ID }
func (m *Model) Title() string            { return "Schema drift" }
func (m *Model) Start() tea.Cmd           { return m.fetch() }
func (m *Model) SetSize(w, h int) tea.Cmd { m.w, m.h = w, h; m.version++; return nil }
func (m *Model) Failing() bool            { return m.poll.Err != nil }
func (m *Model) Loaded() bool             { return m.o.Source == nil || m.poll.HasLast || m.poll.Err != nil }
func (m *Model) Ticking() bool            { return pane.Ticking(m.ctx, &m.poll) }

func (m *Model) fetch() tea.Cmd {
	if m.o.Source == nil {
		return nil
	}
	src := m.o.Source
	return m.poll.Fetch(m.ctx.Base, pane.FetchGuard, m.ctx.Now, func(ctx context.Context) (sources.MigrationState, error) {
		return src.Poll(ctx)
	})
}

// Update handles poll results, ticks and refreshes.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	m.version++
	return m.poll.Update(msg, m.ctx.Scheduler(), m.fetch)
}

// View renders the pane.
func (m *Model) View(focused bool) []string {
	k := frame.MemoKey{W: m.w, H: m.h, Focused: focused, Version: m.version}
	if m.Ticking() {
		k.Second = m.ctx.Now().Unix()
	}
	return m.memo.Get(k, func() []string {
		box := frame.Box{Title: "Schema drift", Info: pane.Info(m.ctx, m.o.Source != nil, &m.poll), Focused: focused}
		return box.Render(m.ctx.Styles, m.w, m.h, m.body())
	})
}

func (m *Model) body() []string {
	st := m.ctx.Styles
	iw, ih := frame.Inner(m.w), m.h-2
	if iw < 1 || ih < 1 {
		return nil
	}
	if m.o.Source == nil {
		lines := []string{st.Muted.Render("not configured")}
		for _, l := range frame.Wrap(m.o.Problem, iw) {
			lines = append(lines, st.Muted.Render(l))
		}
		return lines
	}
	p := &m.poll
	var lines []string
	if p.Err != nil {
		n := 2
		if ih >= 10 {
			n = 4
		}
		lines = pane.ErrorLines(m.ctx, "alembic", m.o.Scrubber.Error(p.Err), p, iw, n)
	}
	if !p.HasLast {
		if p.Err == nil {
			return []string{st.Muted.Render("reading migrations…"), st.Faint.Render("in " + m.o.Target)}
		}
		return lines
	}
	return append(lines, summaryLines(st, p.Last, iw, p.Err != nil)...)
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
