package sources

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// FlapFirings is how many separate firings within a day make an alert
// flapping: an alert that fires and resolves four times in 24 hours pages
// more than it informs, and its threshold or its `for:` wants looking at.
const FlapFirings = 4

// HistoryDay and HistoryWeek are the spans the history counts firings over.
const (
	HistoryDay  = 24 * time.Hour
	HistoryWeek = 7 * HistoryDay
)

// EdgeKind is what an AlertEdge marks.
type EdgeKind int

const (
	// EdgeStart: the series was firing at this step and not at the one
	// before.
	EdgeStart EdgeKind = iota
	// EdgeEnd: the series was firing at the step before and not at this
	// one: resolved by then.
	EdgeEnd
	// EdgeNow: the series is firing at the read's last step.
	EdgeNow
)

// AlertEdge is one change of one ALERTS{alertstate="firing"} series, as the
// history query reads it from the server.
type AlertEdge struct {
	// Labels are the series' labels without __name__ and alertstate.
	Labels map[string]string
	// Key is SeriesKey(Labels), when the reader has it already ("": made
	// from Labels).
	Key  string
	At   time.Time
	Kind EdgeKind
}

// Firing is one stretch of an alert firing.
type Firing struct {
	Start, End time.Time
	// Open: still firing at the read (End is the read's time).
	Open bool
	// Before: it was already firing when the history begins (Start is the
	// history's start; the firing is longer than it says).
	Before bool
}

// Duration is how long it fired.
func (f Firing) Duration() time.Duration { return f.End.Sub(f.Start) }

// AlertHistory is one alert's firings, oldest first: one series' (Labels),
// or every series of one alert name merged (Labels nil).
type AlertHistory struct {
	Name    string
	Labels  map[string]string
	Firings []Firing
}

// HistoryStats are an alert's firings over one span.
type HistoryStats struct {
	Span time.Duration
	// Count is the firings that fired at some point in the span.
	Count int
	// Total is how long it fired within the span; Median is the median
	// firing's whole length (within the history read).
	Total, Median time.Duration
}

// Stats are h's firings over the span ending at now.
func (h AlertHistory) Stats(now time.Time, span time.Duration) HistoryStats {
	from := now.Add(-span)
	st := HistoryStats{Span: span}
	var lengths []time.Duration
	for _, f := range h.Firings {
		if !f.End.After(from) || f.Start.After(now) {
			continue
		}
		st.Count++
		st.Total += earlier(f.End, now).Sub(later(f.Start, from))
		lengths = append(lengths, f.Duration())
	}
	st.Median = median(lengths)
	return st
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// earlier of two times.
func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// median of lengths (the lower middle of an even count: a length that
// happened); zero when there are none.
func median(lengths []time.Duration) time.Duration {
	if len(lengths) == 0 {
		return 0
	}
	slices.Sort(lengths)
	return lengths[(len(lengths)-1)/2]
}

// LastResolved is when h last stopped firing (false: it never did within
// the history).
func (h AlertHistory) LastResolved() (time.Time, bool) {
	for i := len(h.Firings) - 1; i >= 0; i-- {
		if !h.Firings[i].Open {
			return h.Firings[i].End, true
		}
	}
	return time.Time{}, false
}

// Flapping reports whether h fired FlapFirings times or more in the day
// before now.
func (h AlertHistory) Flapping(now time.Time) bool {
	return h.Stats(now, HistoryDay).Count >= FlapFirings
}

// Line is h in words over span: "fired 14 times in 7d, median 4m, 1h10m in
// all"; "did not fire in 7d".
func (h AlertHistory) Line(now time.Time, span time.Duration) string {
	st := h.Stats(now, span)
	switch st.Count {
	case 0:
		return "did not fire in " + SpanWords(span)
	case 1:
		return fmt.Sprintf("fired once in %s, for %s", SpanWords(span), shortDur(st.Median))
	}
	return fmt.Sprintf("fired %d times in %s, median %s, %s in all", st.Count, SpanWords(span), shortDur(st.Median), shortDur(st.Total))
}

// SpanWords names a history span: "24 h", "7 days".
func SpanWords(span time.Duration) string {
	switch {
	case span == HistoryDay:
		return "24 h"
	case span%HistoryDay == 0:
		return fmt.Sprintf("%d days", span/HistoryDay)
	}
	return shortDur(span)
}

// shortDur is d in at most two units, at least a second: 4m, 1h10m, 2d3h.
func shortDur(d time.Duration) string {
	switch {
	case d < time.Second:
		return "<1s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", d/time.Second)
	case d < time.Hour:
		m, s := d/time.Minute, d%time.Minute/time.Second
		if s == 0 {
			return fmt.Sprintf("%dm", m)
		}
		return fmt.Sprintf("%dm%ds", m, s)
	case d < HistoryDay:
		h, m := d/time.Hour, d%time.Hour/time.Minute
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%dm", h, m)
	}
	days, h := d/HistoryDay, d%HistoryDay/time.Hour
	if h == 0 {
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd%dh", days, h)
}

// HistoryDuration is d as the history writes it (4m, 1h10m).
func HistoryDuration(d time.Duration) string { return shortDur(d) }

// History is what one read of the alerts' history holds: each series'
// firings, and each alert name's.
type History struct {
	// At is the read's time, Start where the history begins, Step its
	// resolution: a start or an end is known to within a step.
	At, Start time.Time
	Step      time.Duration
	// Series are by SeriesKey, Names by alert name.
	Series map[string]AlertHistory
	Names  map[string]AlertHistory
	// Note says why there is no history where the server keeps none ("":
	// there is one, perhaps empty).
	Note string
}

// For is a's history: its own series' when the server has one with a's
// exact labels, else every series of its name merged (Alertmanager adds
// labels; a series whose labels changed is another series).
func (h History) For(a Alert) (AlertHistory, bool) {
	if len(a.Labels) > 0 {
		if s, ok := h.Series[SeriesKey(a.Labels)]; ok {
			return s, true
		}
	}
	s, ok := h.Names[a.Name]
	return s, ok
}

// Named is the history of every series named name, merged.
func (h History) Named(name string) (AlertHistory, bool) {
	s, ok := h.Names[name]
	return s, ok
}

// SeriesKey identifies an alert series by its labels, alertstate and
// __name__ left out, and skip (labels a query added): name="value",… with
// each value quoted to printable text (Quote), so that a key is already
// what the terminal's sanitiser would leave it (a key it rewrote would no
// longer be found).
func SeriesKey(labels map[string]string, skip ...string) string {
	var names [16]string
	keys := names[:0]
	size := 0
	for k, v := range labels {
		if k != "alertstate" && k != "__name__" && !slices.Contains(skip, k) {
			keys = append(keys, k)
			size += len(k) + len(v) + 4
		}
	}
	slices.Sort(keys)
	var b strings.Builder
	b.Grow(size)
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(Quote(labels[k]))
	}
	return b.String()
}

// DeriveHistory turns the edges of one read into firings: per series, each
// start paired with the next end; an end with no start before it began
// before the history did (at start); a start with no end still fires at
// now when the series is firing now, else ended at now (between the last
// step and the read). A series firing now with no edge fired all along.
// Edges outside [start, now] are not of this history and are left out.
// Firings of one series (or, merged by name, of several) that meet or are
// apart by one step or less are one: a missed rule evaluation or a label
// that changed is not a new firing.
func DeriveHistory(edges []AlertEdge, start, now time.Time, step time.Duration) History {
	h := History{At: now, Start: start, Step: step, Series: map[string]AlertHistory{}, Names: map[string]AlertHistory{}}
	bySeries := map[string][]AlertEdge{}
	for _, e := range edges {
		if e.Kind != EdgeNow && (e.At.Before(start) || e.At.After(now)) {
			continue // not of this history: a server's answer is not trusted to keep within it
		}
		k := e.Key
		if k == "" {
			k = SeriesKey(e.Labels)
		}
		bySeries[k] = append(bySeries[k], e)
	}
	byName := map[string][]Firing{}
	for k, es := range bySeries {
		slices.SortStableFunc(es, func(a, b AlertEdge) int { return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Kind, b.Kind)) })
		name := es[0].Labels["alertname"]
		fs := merge(seriesFirings(es, start, now), step)
		h.Series[k] = AlertHistory{Name: name, Labels: es[0].Labels, Firings: fs}
		byName[name] = append(byName[name], fs...)
	}
	for name, fs := range byName {
		slices.SortFunc(fs, func(a, b Firing) int { return a.Start.Compare(b.Start) })
		h.Names[name] = AlertHistory{Name: name, Firings: merge(fs, step)}
	}
	return h
}

// seriesFirings pairs one series' sorted edges into firings.
func seriesFirings(es []AlertEdge, start, now time.Time) []Firing {
	var out []Firing
	var open *Firing
	firingNow := false
	for _, e := range es {
		switch e.Kind {
		case EdgeNow:
			firingNow = true
		case EdgeStart:
			if open == nil {
				open = &Firing{Start: e.At}
			}
		case EdgeEnd:
			f := Firing{Start: start, End: e.At, Before: true}
			if open != nil {
				f = Firing{Start: open.Start, End: e.At}
			}
			out, open = append(out, f), nil
		}
	}
	switch {
	case open != nil:
		out = append(out, Firing{Start: open.Start, End: now, Open: firingNow})
	case firingNow && len(out) == 0:
		out = append(out, Firing{Start: start, End: now, Open: true, Before: true})
	}
	return out
}

// merge joins sorted firings that overlap, meet or are apart by at most
// gap.
func merge(fs []Firing, gap time.Duration) []Firing {
	var out []Firing
	for _, f := range fs {
		if n := len(out); n > 0 && !f.Start.After(out[n-1].End.Add(gap)) {
			last := &out[n-1]
			if f.End.After(last.End) {
				last.End, last.Open = f.End, f.Open
			} else if f.Open && f.End.Equal(last.End) {
				last.Open = true
			}
			last.Before = last.Before || f.Before
			continue
		}
		out = append(out, f)
	}
	return out
}
