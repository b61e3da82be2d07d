package slopane

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/frame"
	"github.com/opsdeck/opsdeck/ui/pane"
	"github.com/opsdeck/opsdeck/ui/poll"
	"github.com/opsdeck/opsdeck/ui/theme"
)

// Options configure the pane.
type Options struct {
	Source   sources.SLOs // nil when not configured
	Problem  string
	Target   string
	Scrubber *redact.Scrubber
}

// Model is the SLO pane.
type Model struct {
	pane.Polled[[]sources.SLO]
}

// New builds the pane.
func New(ctx *pane.Context, o Options) *Model {
	m := &Model{}
	m.Polled = pane.Polled[[]sources.SLO]{
		Ctx: ctx, Poll: poll.State[[]sources.SLO]{ID: ctx.ID("slo")}, Name: "SLOs", Short: "slo",
		Configured: o.Source != nil, Problem: o.Problem, Target: o.Target, Scrubber: o.Scrubber,
		NewFetch: func() func(context.Context) ([]sources.SLO, error) {
			src := o.Source
			return func(ctx context.Context) ([]sources.SLO, error) { return src.Objectives(ctx) }
		},
		Summary: func(st *theme.Styles, v []sources.SLO, w, h int, stale bool) []string {
			return Lines(st, v, o.Scrubber, w, h, stale)
		},
	}
	return m
}

// Lines are the objectives in at most h lines w cells wide, the most
// urgent first: each objective's headline (its burn rate first), then,
// where there is room, its burn over every window.
func Lines(st *theme.Styles, slos []sources.SLO, scrub *redact.Scrubber, w, h int, stale bool) []string {
	ls := frame.NewLines(st, w, stale)
	if len(slos) == 0 {
		for _, l := range frame.Wrap("no objectives: no sloth or pyrra recording rules found, and none declared (slos:)", w) {
			ls.Add(frame.Ordinary, st.Muted, l)
		}
		return ls.Top(h)
	}
	// A narrow pane names an objective without its service: the figures
	// come first and the name must not push them out.
	short := w < 80
	for _, s := range slos {
		name := s.Name
		if i := strings.LastIndexByte(name, '/'); short && i >= 0 && i < len(name)-1 {
			name = name[i+1:]
		}
		if s.Problem != "" {
			// Unreadable is a warning: a budget burning is more urgent.
			ls.Add(frame.Warning, st.Warn, fmt.Sprintf("⚠ %s: %s", name, scrub.String(s.Problem)))
			continue
		}
		status := s.Status()
		lv := frame.LevelOf(status)
		head, detail := headline(s, name, w)
		ls.Add(lv, st.Status(status, st.Text), frame.Mark(lv)+head)
		if detail != "" {
			ls.More(st.Text, "  "+detail)
		}
		ls.More(st.Muted, "  "+windows(s))
		ls.More(st.Muted, "  "+pairs(s))
	}
	return ls.Top(h)
}

// headline is an objective in one line, its burn rate first, and its
// detail: "24.0× burn requests-availability · 14.4× 1h+5m · budget 40.0%
// left · gone in 12h00m · SLI 99.7% of 99.5% over 30d". A pane narrower
// than the whole puts what follows the name on a line of its own.
func headline(s sources.SLO, name string, w int) (head, detail string) {
	head = rate(s.BurnRate(sources.CurrentWindow)) + " burn " + name
	var parts []string
	if b := s.Breaching(); len(b) > 0 {
		names := make([]string, len(b))
		for i, p := range b {
			names[i] = p.String()
		}
		parts = append(parts, strings.Join(names, ", "))
	}
	parts = append(parts, "budget "+share(s.BudgetRemaining())+" left")
	switch d, ok := s.Exhaustion(); {
	case ok && d == 0:
		parts = append(parts, "spent")
	case ok:
		parts = append(parts, "gone in "+units.Span(d))
	}
	parts = append(parts, "SLI "+pct(s.SLI())+" of "+pct(s.Objective)+" over "+sources.WindowName(s.Window))
	detail = strings.Join(parts, " · ")
	if whole := head + " · " + detail; ansi.StringWidth(whole)+2 <= w {
		return whole, ""
	}
	return head, detail
}

// windows is the burn rate over every window, shortest first.
func windows(s sources.SLO) string {
	parts := make([]string, 0, len(sources.BurnWindows))
	for _, w := range sources.BurnWindows {
		parts = append(parts, sources.WindowName(w)+" "+rate(s.BurnRate(w)))
	}
	return "burn " + strings.Join(parts, " · ") + " · " + s.Origin
}

// pairs is how near each multi-window pair is to its factor: both its
// windows' burn rates, BREACHING when both are over.
func pairs(s sources.SLO) string {
	parts := make([]string, 0, len(sources.BurnPairs))
	for _, p := range sources.BurnPairs {
		text := fmt.Sprintf("%s at %s/%s", p, rate(s.BurnRate(p.Long)), rate(s.BurnRate(p.Short)))
		if s.BurnRate(p.Long) > p.Factor && s.BurnRate(p.Short) > p.Factor {
			text += " BREACHING"
		}
		parts = append(parts, text)
	}
	return "pairs " + strings.Join(parts, " · ")
}

// rate writes a burn rate ("24×", "0.20×"), "–×" when unknown.
func rate(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–×"
	}
	return units.FormatShort(v, units.None) + "×"
}

// pct writes a ratio near 1 to three decimals at most (99.95%).
func pct(v float64) string {
	if math.IsNaN(v) {
		return "–%"
	}
	return strconv.FormatFloat(math.Round(v*1e5)/1e3, 'f', -1, 64) + "%"
}

// share writes a share of the budget (87%, −2300%).
func share(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–%"
	}
	return units.FormatShort(v*100, units.None) + "%"
}
