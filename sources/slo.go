package sources

import (
	"context"
	"math"
	"strconv"
	"time"
)

// BurnWindows are the windows whose burn rates an objective shows, shortest
// first; BurnPairs read 2h too.
var BurnWindows = []time.Duration{5 * time.Minute, 30 * time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour, 72 * time.Hour}

// BurnPair is one alert of the multi-window, multi-burn-rate method (the
// SRE workbook's): it breaches when both windows burn faster than Factor.
type BurnPair struct {
	Long, Short time.Duration
	Factor      float64
	// Page is true for the pairs that page (14.4x, 6x), false for tickets.
	Page bool
}

// BurnPairs are the workbook's four pairs, the fastest first.
var BurnPairs = []BurnPair{
	{Long: time.Hour, Short: 5 * time.Minute, Factor: 14.4, Page: true},
	{Long: 6 * time.Hour, Short: 30 * time.Minute, Factor: 6, Page: true},
	{Long: 24 * time.Hour, Short: 2 * time.Hour, Factor: 3},
	{Long: 72 * time.Hour, Short: 6 * time.Hour, Factor: 1},
}

// SLOWindows are every window an objective's error ratio is read over
// (BurnWindows and the pairs' 2h), shortest first; the objective's own
// window comes on top.
var SLOWindows = []time.Duration{5 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 6 * time.Hour, 24 * time.Hour, 72 * time.Hour}

// SLO is one service level objective as it stands at At.
type SLO struct {
	// Name is service/objective for sloth's, the objective's name else.
	Name string
	// Origin is where it was found: "sloth", "pyrra" or "config".
	Origin string
	// Objective is the target ratio of good events (0.999).
	Objective float64
	// Window is the objective's period (30 days).
	Window time.Duration
	// At is when the figures were evaluated.
	At time.Time
	// ErrorRatios are the error ratio over each window of SLOWindows and
	// over Window, by window (missing where no data or no rule).
	ErrorRatios map[time.Duration]float64
	// Problem says why the figures could not be read ("" when they were).
	Problem string
}

// Budget is the share of events allowed to fail: 1 - Objective.
func (s SLO) Budget() float64 { return 1 - s.Objective }

// ratio is the error ratio over w (NaN when unknown).
func (s SLO) ratio(w time.Duration) float64 {
	if v, ok := s.ErrorRatios[w]; ok {
		return v
	}
	return math.NaN()
}

// SLI is the share of good events over the objective's window.
func (s SLO) SLI() float64 { return 1 - s.ratio(s.Window) }

// BudgetRemaining is the share of the window's error budget not yet spent
// (negative when overspent): computed from the window's error ratio, not
// read from a period rule that a team may have dropped.
func (s SLO) BudgetRemaining() float64 { return 1 - s.ratio(s.Window)/s.Budget() }

// BurnRate is how many times faster than the budget allows events failed
// over w: 1 spends the budget exactly over the window.
func (s SLO) BurnRate(w time.Duration) float64 { return s.ratio(w) / s.Budget() }

// Breaching are the pairs whose two windows both burn faster than their
// factor now.
func (s SLO) Breaching() []BurnPair {
	var out []BurnPair
	for _, p := range BurnPairs {
		if s.BurnRate(p.Long) > p.Factor && s.BurnRate(p.Short) > p.Factor {
			out = append(out, p)
		}
	}
	return out
}

// CurrentWindow is the window whose burn rate is "the current rate", as
// sloth's slo:current_burn_rate:ratio reads it.
const CurrentWindow = 5 * time.Minute

// Exhaustion is how long the remaining budget lasts at the current burn
// rate; the duration is 0 when it is already spent, and ok false when it
// does not run out at this rate (no burn, or no data).
func (s SLO) Exhaustion() (d time.Duration, ok bool) {
	rem, rate := s.BudgetRemaining(), s.BurnRate(CurrentWindow)
	switch {
	case rem <= 0: // spent, whatever the rate now
		return 0, true
	case math.IsNaN(rem) || math.IsNaN(rate) || rate <= 0:
		return 0, false
	}
	// A burn rate of 1 spends the whole budget over the window.
	secs := rem * s.Window.Seconds() / rate
	if secs > float64(100*365*24*time.Hour/time.Second) {
		return 0, false
	}
	return time.Duration(secs * float64(time.Second)), true
}

// SLOs are an environment's objectives: found in its Prometheus's rules
// (sloth's, pyrra's) or declared in the configuration, each read in one
// query.
type SLOs interface {
	// Objectives reads every objective now.
	Objectives(ctx context.Context) ([]SLO, error)
	String() string
}

// String names the pair as the pane and the reports do: "14.4× 1h+5m".
func (p BurnPair) String() string {
	return strconv.FormatFloat(p.Factor, 'f', -1, 64) + "× " + WindowName(p.Long) + "+" + WindowName(p.Short)
}

// WindowName writes a window as PromQL does (5m, 1h, 30d).
func WindowName(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	case d%time.Hour == 0:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	}
	return strconv.Itoa(int(d/time.Minute)) + "m"
}

// Status is the objective's state: crit when a paging pair breaches (the
// budget burns fast), warn when a ticket pair does or the budget is spent,
// ok otherwise, error when its figures could not be read.
func (s SLO) Status() Status {
	if s.Problem != "" {
		return StatusError
	}
	out := StatusOK
	for _, p := range s.Breaching() {
		if p.Page {
			return StatusCrit
		}
		out = StatusWarn
	}
	if s.BudgetRemaining() <= 0 {
		out = StatusWarn
	}
	if math.IsNaN(s.BurnRate(CurrentWindow)) && out == StatusOK {
		return StatusNoData
	}
	return out
}
