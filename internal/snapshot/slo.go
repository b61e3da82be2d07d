package snapshot

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
)

// SLOs is the service level objectives' section: each objective's figures
// as read at one instant; error is set when none could be read.
type SLOs struct {
	Target     string      `json:"target,omitempty"`
	Error      string      `json:"error,omitempty"`
	Objectives []Objective `json:"objectives"`
	configured bool
}

// Objective is one objective's figures; a figure without data is null.
type Objective struct {
	Name   string `json:"name"`
	Origin string `json:"origin"`
	// Objective is the target ratio of good events (0.995); Window its
	// period ("30d").
	Objective float64 `json:"objective"`
	Window    string  `json:"window"`
	// SLI is the share of good events over the window; BudgetRemaining
	// the share of the window's error budget not spent (negative when
	// overspent).
	SLI             *float64 `json:"sli"`
	BudgetRemaining *float64 `json:"budget_remaining"`
	// BurnRates are by window ("5m", "1h"): how many times faster than the
	// budget allows errors came.
	BurnRates map[string]*float64 `json:"burn_rates"`
	// Breaching are the multi-window pairs over their factor ("14.4× 1h+5m").
	Breaching []string `json:"breaching"`
	// ExhaustedIn is when the budget runs out at the 5m rate ("11h54m",
	// "spent"; absent: not at this rate).
	ExhaustedIn string         `json:"exhausted_in,omitempty"`
	Status      sources.Status `json:"status"`
	Problem     string         `json:"problem,omitempty"`
}

func sloSource() Source {
	return Source{Name: "slo", Key: "slos", Gate: GateLive,
		configured: func(env *sources.Environment) bool { return isSet(env.SLOs) },
		read:       func(ctx context.Context, r *reading) { r.doc.SLOs = readSLOs(ctx, r.env) },
		section:    func(d *Document) Section { return d.SLOs }}
}

func readSLOs(ctx context.Context, env *sources.Environment) SLOs {
	out := SLOs{Target: env.SLOs.Target, configured: env.SLOs.Source != nil, Objectives: []Objective{}}
	if env.SLOs.Source == nil {
		out.Error = notConfigured(env.SLOs.Problem)
		return out
	}
	slos, err := env.SLOs.Source.Objectives(ctx)
	if err != nil {
		out.Error = env.Scrubber.Error(err)
		return out
	}
	for _, s := range slos {
		o := ObjectiveOf(s)
		o.Problem = env.Scrubber.String(o.Problem)
		out.Objectives = append(out.Objectives, o)
	}
	// The worst first: what burns fastest is what the reader wants.
	slices.SortStableFunc(out.Objectives, func(a, b Objective) int { return Rank(b.Status) - Rank(a.Status) })
	return out
}

// figure is v, nil when unknown.
func figure(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// ObjectiveOf is s's figures as every reader shows them.
func ObjectiveOf(s sources.SLO) Objective {
	o := Objective{Name: s.Name, Origin: s.Origin, Objective: s.Objective, Window: sources.WindowName(s.Window),
		BurnRates: map[string]*float64{}, Breaching: []string{}, Status: s.Status(), Problem: s.Problem}
	if s.Problem != "" {
		return o
	}
	o.SLI, o.BudgetRemaining = figure(s.SLI()), figure(s.BudgetRemaining())
	for _, w := range sources.BurnWindows {
		o.BurnRates[sources.WindowName(w)] = figure(s.BurnRate(w))
	}
	for _, p := range s.Breaching() {
		o.Breaching = append(o.Breaching, p.String())
	}
	switch d, ok := s.Exhaustion(); {
	case ok && d == 0:
		o.ExhaustedIn = "spent"
	case ok:
		o.ExhaustedIn = units.Span(d)
	}
	return o
}

// pct writes a ratio near 1 (an objective, an SLI) as a percentage to
// three decimals at most (99.95%), "–" when unknown.
func pct(v *float64) string {
	if v == nil {
		return "–"
	}
	return strconv.FormatFloat(math.Round(*v*1e5)/1e3, 'f', -1, 64) + "%"
}

// share writes a share of a budget as a percentage (87%, -2300%), "–"
// when unknown.
func share(v *float64) string {
	if v == nil {
		return "–"
	}
	return units.FormatShort(*v*100, units.None) + "%"
}

// rate writes a burn rate, "–" when unknown.
func rate(v *float64) string {
	if v == nil {
		return "–"
	}
	return units.FormatShort(*v, units.None) + "×"
}

// Summary is the objective in one line: its target, SLI, budget and burn.
func (o Objective) Summary() string {
	if o.Problem != "" {
		return o.Problem
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s over %s: SLI %s, budget %s left, burn %s (1h %s)", pct(&o.Objective), o.Window, pct(o.SLI),
		share(o.BudgetRemaining), rate(o.BurnRates["5m"]), rate(o.BurnRates["1h"]))
	if len(o.Breaching) > 0 {
		fmt.Fprintf(&b, ", breaching %s", strings.Join(o.Breaching, ", "))
	}
	switch o.ExhaustedIn {
	case "":
	case "spent":
		b.WriteString(", budget spent")
	default:
		fmt.Fprintf(&b, ", budget gone in %s", o.ExhaustedIn)
	}
	return b.String()
}

func (s SLOs) Down() string {
	if s.configured && s.Error != "" {
		return s.Error
	}
	return ""
}

func (s SLOs) Text(b *strings.Builder) {
	if !s.configured {
		fmt.Fprintf(b, "SLOs: not configured (%s)\n", orNone(s.Error))
		return
	}
	if s.Error != "" {
		fmt.Fprintf(b, "SLOs: unknown (%s)\n", s.Error)
		return
	}
	fmt.Fprintf(b, "SLOs: %d at %s\n", len(s.Objectives), s.Target)
	if len(s.Objectives) == 0 {
		b.WriteString("  none found: no sloth or pyrra recording rules, and none declared (slos:)\n")
	}
	for _, o := range s.Objectives {
		fmt.Fprintf(b, "  %s %s: %s\n", o.Status, o.Name, o.Summary())
	}
}

func (s SLOs) Markdown(b *strings.Builder) {
	b.WriteString("## Service level objectives\n\n")
	if !s.configured {
		fmt.Fprintf(b, "Not configured: %s\n\n", orNone(s.Error))
		return
	}
	if s.Error != "" {
		fmt.Fprintf(b, "Unknown: %s\n\n", orNone(s.Error))
		return
	}
	if len(s.Objectives) == 0 {
		b.WriteString("None found: no sloth or pyrra recording rules, and none declared (`slos:`).\n\n")
		return
	}
	b.WriteString("| Objective | Target | SLI | Budget left | Burn 5m | 1h | 6h | 3d | Breaching | Exhausted in |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	for _, o := range s.Objectives {
		if o.Problem != "" {
			fmt.Fprintf(b, "| %s | %s | %s |  |  |  |  |  |  |  |\n", cell(o.Name), pct(&o.Objective), cell(o.Problem))
			continue
		}
		fmt.Fprintf(b, "| %s (%s) | %s over %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", cell(o.Name), o.Origin, pct(&o.Objective), o.Window,
			pct(o.SLI), share(o.BudgetRemaining), rate(o.BurnRates["5m"]), rate(o.BurnRates["1h"]), rate(o.BurnRates["6h"]),
			rate(o.BurnRates["3d"]), cmp.Or(strings.Join(o.Breaching, ", "), "none"), cmp.Or(o.ExhaustedIn, "–"))
	}
	b.WriteString("\n")
}

// Cells are the worst objectives' burn rates, the worst first.
func (s SLOs) Cells() []Cell {
	switch {
	case !s.configured:
		return []Cell{{Text: "SLO –"}}
	case s.Error != "":
		return []Cell{{Text: "SLO unknown", Status: sources.StatusError}}
	case len(s.Objectives) == 0:
		return []Cell{{Text: "no SLOs", Status: sources.StatusOK}}
	}
	var out []Cell
	for _, o := range s.Objectives[:min(2, len(s.Objectives))] {
		// A cell is short: sloth's objective without its service.
		name := cmp.Or(o.Name[strings.LastIndexByte(o.Name, '/')+1:], o.Name)
		text := "SLO " + name + " " + rate(o.BurnRates["5m"])
		if o.Problem != "" {
			text = "SLO " + name + " unknown"
		}
		out = append(out, Cell{Text: text, Status: o.Status})
	}
	return out
}

// Findings: a paging pair breaching (the budget burns fast) fails the
// check; a ticket pair, a spent budget or an objective that cannot be
// read is a warning.
func (s SLOs) Findings() []Finding {
	switch {
	case !s.configured:
		return nil
	case s.Error != "":
		return []Finding{{Level: sources.StatusCrit, Text: "SLOs: " + s.Error}}
	}
	var out []Finding
	for _, o := range s.Objectives {
		switch {
		case o.Problem != "":
			out = append(out, Finding{Level: sources.StatusWarn, Text: o.Name + ": " + o.Problem})
		case o.Status == sources.StatusCrit: // only a paging pair makes it crit
			out = append(out, Finding{Level: sources.StatusCrit, Text: o.Name + " burns its error budget fast: " + o.Summary()})
		case len(o.Breaching) > 0:
			out = append(out, Finding{Level: sources.StatusWarn, Text: o.Name + " burns its error budget slowly: " + o.Summary()})
		case o.Status == sources.StatusWarn:
			out = append(out, Finding{Level: sources.StatusWarn, Text: o.Name + ": " + o.Summary()})
		}
	}
	return out
}
