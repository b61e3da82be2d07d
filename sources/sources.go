package sources

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/opsdeck/opsdeck/internal/units"
)

// Status of a reading against its thresholds; the strings are the snapshot's.
type Status string

const (
	StatusOK     Status = "ok"
	StatusWarn   Status = "warn"
	StatusCrit   Status = "crit"
	StatusNoData Status = "no_data"
	StatusError  Status = "error"
)

// Thresholds colour a value; a nil level is not checked. Values at or above a
// level reach it.
type Thresholds struct {
	Warn, Crit *float64
}

// Classify gives the status of v (NaN means there is no value).
func (t Thresholds) Classify(v float64) Status {
	switch {
	case math.IsNaN(v):
		return StatusNoData
	case t.Crit != nil && v >= *t.Crit:
		return StatusCrit
	case t.Warn != nil && v >= *t.Warn:
		return StatusWarn
	default:
		return StatusOK
	}
}

// Golden-signal keys, as they appear in config and the snapshot.
const (
	RPS        = "rps"
	ErrorRate  = "error_rate"
	P95Latency = "p95_latency"
	Memory     = "memory"
)

// SignalSpec says what to query for one metric pane and how to judge it.
type SignalSpec struct {
	Key        string
	Title      string
	Query      string
	Unit       units.Unit
	Thresholds Thresholds
	// Split is Query split by one label, SplitLabel standing for it, when
	// splitting needs more than summing the query by the label (a ratio, a
	// quantile); "" splits by summing the query by the label.
	Split string
	// Rank is Split without the values at zero, cheaper to evaluate and
	// ranking the largest values the same (the error rate of the routes
	// that have errors); "" ranks with Split.
	Rank string
	// Additive says the values add up (a rate, bytes), so that a part's
	// share of the total means something.
	Additive bool
	// Group is the set the pane is shown with when the panes take several
	// pages: a dashboard's row ("" for the golden signals, always first).
	Group string
}

// SplitLabel stands for the label in a SignalSpec's Split query.
const SplitLabel = "__split_by__"

// Breakdown is a signal split by one label: its values ranked by their
// current value, each with its chart over the window.
type Breakdown struct {
	Label string
	// Labels are the labels the query's series carry, best choices first;
	// Label is one of them.
	Labels []string
	// Rows are the largest values first, at most MaxBreakdownRows; Others
	// counts the rest.
	Rows   []BreakdownRow
	Others int
	// Total is the sum of every value's current value (NaN unless the
	// signal is additive).
	Total  float64
	Query  string
	Window Window
	// Notes are what the source attached to its answers.
	Notes []string
	// Partial: the rows and their figures now, the rest still coming.
	Partial bool
}

// BreakdownRow is one value of the label.
type BreakdownRow struct {
	Value    string
	Current  float64 // NaN when there is none now
	Min, Max float64 // over the window, current included (NaN when none)
	Points   []float64
}

// MaxBreakdownRows bounds a breakdown: the top ten.
const MaxBreakdownRows = 10

// Splitter splits a signal by a label (label "" takes the first choice).
type Splitter interface {
	Breakdown(ctx context.Context, spec SignalSpec, label string, w Window) (Breakdown, error)
}

// EarlySplitter is a Splitter that can hand over the rows (the values and
// their figures now) as soon as it has them, before their share, range,
// sparklines and the count of the others: early is called at most once,
// from another goroutine, with Partial set.
type EarlySplitter interface {
	Splitter
	BreakdownEarly(ctx context.Context, spec SignalSpec, label string, w Window, early func(Breakdown)) (Breakdown, error)
}

// Window is the time range a chart covers. Step is sized by the caller to the
// number of points it can draw, so no more points are fetched than drawn.
type Window struct {
	// Now is when the current value is evaluated (the poll time); zero means time.Now().
	Now    time.Time
	End    time.Time
	Length time.Duration
	Step   time.Duration
}

// Start is the first point's time.
func (w Window) Start() time.Time { return w.End.Add(-w.Length) }

// Points is how many evaluation points the window holds.
func (w Window) Points() int {
	if w.Step <= 0 {
		return 0
	}
	return int(w.Length/w.Step) + 1
}

// WindowFor builds a window of length ending at now with at most points
// points. The end is aligned to the step so that successive polls share their
// evaluation times and the chart does not shimmer.
func WindowFor(now time.Time, length time.Duration, points int) Window {
	if points < 2 {
		points = 2
	}
	// Whole seconds a step, at least as many as the points allow; then only
	// as many points as cover length, so that the window stays length
	// (a narrow chart at 5m is not 6m50s).
	step := max((length+time.Duration(points-2))/time.Duration(points-1), time.Second)
	step = (step + time.Second - 1).Truncate(time.Second)
	n := (length + step - 1) / step
	end := now.Truncate(step)
	return Window{Now: now, End: end, Length: step * n, Step: step}
}

// Reading is one poll of one golden signal.
type Reading struct {
	Key string
	// At is when the instant value was evaluated.
	At time.Time
	// Value is the current value; NaN when the query returned nothing (or NaN).
	Value float64
	// Series is how many series the instant query returned; the pane shows the
	// largest when there are several.
	Series int
	// Points holds the chart, one value per Window step (NaN where there was none).
	Points []float64
	Window Window
	// Diagnosis explains an empty result in words (which metric or label is missing).
	Diagnosis string
	// Notes are the warnings and infos the source attached to its answer
	// ("warning: …" for a partial result, "info: …" for PromQL's hints).
	Notes []string
	// Partial: the server answered without some of its data (a store of a
	// Thanos querier down); its warning is among Notes.
	Partial bool
	// Resolution is the coarsest resolution of the data the chart may come
	// from, where the server downsamples long windows (Thanos'
	// max_source_resolution); zero for raw data.
	Resolution time.Duration
	// Server is the server that answered as the header names it
	// ("Prometheus 2.42.0", "VictoriaMetrics"), "" when unknown.
	Server string
	// Earlier is the chart EarlierBy before (a day, a week), on the same
	// grid as Points: the ghost line. EarlierNote says, in words, why there
	// is none (no history that far back, a source without history).
	Earlier     []float64
	EarlierBy   time.Duration
	EarlierNote string
	// EarlierAt is the window's end when the ghost line was read (it is
	// read again every so often, shifted along in between).
	EarlierAt time.Time
	// Exemplars are the requests the application singled out in the window
	// (P95 and the error rate, where the source keeps them): dots on the
	// chart, read up to ExemplarsTo.
	Exemplars   []Exemplar
	ExemplarsTo time.Time
}

// MarksExemplars says whether a signal's chart shows exemplars: the
// latency and the failures are what a trace explains.
func MarksExemplars(key string) bool { return key == P95Latency || key == ErrorRate }

// HasValue reports whether there is a current value.
func (r Reading) HasValue() bool { return !math.IsNaN(r.Value) }

// MinMax is the range of the chart's finite points; ok is false when there are none.
func (r Reading) MinMax() (lo, hi float64, ok bool) { return MinMax(r.Points...) }

// MinMax is the range of values, gaps (NaN) and infinities left out; ok is
// false when none is left.
func MinMax(values ...float64) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		lo, hi, ok = math.Min(lo, v), math.Max(hi, v), true
	}
	return lo, hi, ok
}

// Alert is an alert as Prometheus or Alertmanager reports it.
type Alert struct {
	Name string
	// State is "firing" or "pending" from Prometheus; active, suppressed or
	// unprocessed from Alertmanager (AlertActive...).
	State    string
	Severity string
	Summary  string
	ActiveAt time.Time
	Labels   map[string]string

	// From Alertmanager only: the alert's identity, its annotations' other
	// texts, when it ends, and what suppresses it.
	Fingerprint string
	Description string
	RunbookURL  string
	EndsAt      time.Time
	SilencedBy  []string // silence IDs
	InhibitedBy []string // fingerprints of the inhibiting alerts
	// Raw is the labels exactly as Alertmanager holds them (Labels are
	// made safe to show): a silence's matchers are built from these.
	Raw RawLabels
}

// Firing reports whether a is firing and not suppressed: what pages.
func (a Alert) Firing() bool { return a.State == "firing" || a.State == AlertActive }

// ErrNoAlerting is what a metrics source without alerting rules (direct
// /metrics mode) answers when asked for alerts: not a failure.
var ErrNoAlerting = errors.New("no alerts in direct /metrics mode: alerting rules live in Prometheus")

// Sampler is a metrics source that computes rates from its own samples
// (direct /metrics mode): a one-shot reader samples once, waits SampleGap and
// reads, so that it has two samples to take a rate from.
type Sampler interface {
	Scrape(ctx context.Context) error
}

// SampleGap is how far apart a one-shot reader takes its two samples.
const SampleGap = 3 * time.Second

// Warm readies m for a one-shot read: a Sampler takes its first sample and
// waits SampleGap, so that the read that follows has a rate to report. It
// reports whether it waited; other sources need nothing.
func Warm(ctx context.Context, m Metrics) bool {
	s, ok := m.(Sampler)
	if !ok || s.Scrape(ctx) != nil {
		return false
	}
	select {
	case <-time.After(SampleGap):
	case <-ctx.Done():
	}
	return true
}

// Metrics is a source of golden signals and alerts (Prometheus, Thanos, Mimir,
// VictoriaMetrics) or the application's own /metrics (package scrape).
type Metrics interface {
	Read(ctx context.Context, spec SignalSpec, w Window) (Reading, error)
	Alerts(ctx context.Context) ([]Alert, error)
}
