package scrape

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/opsdeck/opsdeck/sources"
)

// splitBy are the labels direct mode splits by, the likeliest first: where
// a request went, how it ended, how it was made.
var splitBy = []string{"handler", "route", "path", "endpoint", "status", "status_code", "code", "method"}

const (
	// maxPartValues bounds the values kept per label; later ones are
	// counted together as otherValue, so a hostile endpoint cannot grow
	// the totals without bound.
	maxPartValues = 20
	otherValue    = "(other values)"
	// maxPartBounds bounds the histogram buckets kept per part; an
	// endpoint with more is not split by latency.
	maxPartBounds = 64
	// maxPartSamples bounds the split ring, thinned like the main one.
	maxPartSamples = 240
)

// part is one value of one label.
type part struct{ label, value string }

// partSample is every part's totals at one scrape.
type partSample struct {
	at     time.Time
	totals map[part]totals
}

// partsOf are the totals m adds to, one per label it carries that the
// breakdown splits by. Called with mu held.
func (s *Source) partsOf(m *dto.Metric) []*totals {
	var out []*totals
	for _, l := range m.GetLabel() {
		if !slices.Contains(splitBy, l.GetName()) {
			continue
		}
		if s.parts == nil {
			s.parts = map[part]*totals{}
		}
		p := part{l.GetName(), l.GetValue()}
		if _, ok := s.parts[p]; !ok && s.valuesOf(p.label) >= maxPartValues {
			p.value = otherValue
		}
		t := s.parts[p]
		if t == nil {
			t = &totals{}
			s.parts[p] = t
		}
		out = append(out, t)
	}
	return out
}

func (s *Source) valuesOf(label string) int {
	n := 0
	for p := range s.parts {
		if p.label == label {
			n++
		}
	}
	return n
}

// snapshotParts adds the parts' totals at to their ring. Called with mu held.
func (s *Source) snapshotParts(at time.Time) {
	if len(s.parts) == 0 {
		return
	}
	snap := partSample{at: at, totals: make(map[part]totals, len(s.parts))}
	for p, t := range s.parts {
		snap.totals[p] = totals{requests: t.requests, errors: t.errors, bounds: t.bounds, buckets: slices.Clone(t.buckets)}
	}
	s.partRing = thin(append(s.partRing, snap), func(p partSample) time.Time { return p.at }, at, s.o.Retention, maxPartSamples)
}

// evalPart is key for part p at t, from the split ring, as eval computes it
// for the whole endpoint. Called with mu held.
func (s *Source) evalPart(key string, p part, t time.Time) float64 {
	j := sort.Search(len(s.partRing), func(i int) bool { return s.partRing[i].at.After(t) }) - 1
	if j < 0 {
		return math.NaN()
	}
	i := sort.Search(j+1, func(i int) bool { return !s.partRing[i].at.Before(t.Add(-s.o.RateWindow)) })
	if i >= j {
		return math.NaN()
	}
	first, last := s.partRing[i].totals[p], s.partRing[j].totals[p]
	dt := s.partRing[j].at.Sub(s.partRing[i].at).Seconds()
	switch key {
	case sources.RPS:
		return (last.requests - first.requests) / dt
	case sources.ErrorRate:
		n := last.requests - first.requests
		if n <= 0 {
			return math.NaN()
		}
		return (last.errors - first.errors) / n
	case sources.P95Latency:
		if len(last.bounds) == 0 {
			return math.NaN()
		}
		b := make([]bucket, len(last.bounds))
		for k, up := range last.bounds {
			b[k] = bucket{upper: up, count: last.buckets[k] - first.countAt(up)}
		}
		return quantile(0.95, b)
	}
	return math.NaN()
}

func (t totals) countAt(upper float64) float64 {
	i := sort.SearchFloat64s(t.bounds, upper)
	if i < len(t.bounds) && t.bounds[i] == upper {
		return t.buckets[i]
	}
	return 0
}

// Breakdown splits a golden signal by a label of the endpoint's own series,
// from the samples this source took: requests/s, the error rate and P95 per
// value, memory by instance (this one endpoint).
func (s *Source) Breakdown(ctx context.Context, spec sources.SignalSpec, label string, w sources.Window) (sources.Breakdown, error) {
	if !Computes(spec.Key) {
		return sources.Breakdown{}, fmt.Errorf("direct /metrics mode splits the four golden signals only; %q needs Prometheus", spec.Title)
	}
	if err := s.Scrape(ctx); err != nil {
		return sources.Breakdown{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.ring[len(s.ring)-1].at
	b := sources.Breakdown{Window: w, Total: math.NaN()}
	if spec.Additive {
		b.Total = s.eval(spec.Key, now)
	}
	points := func(f func(time.Time) float64) []float64 {
		if w.Step <= 0 {
			return nil
		}
		out := make([]float64, w.Points())
		for i := range out {
			out[i] = f(w.Start().Add(time.Duration(i) * w.Step))
		}
		return out
	}
	row := func(value string, f func(time.Time) float64) sources.BreakdownRow {
		r := sources.BreakdownRow{Value: value, Current: f(now), Points: points(f)}
		var ok bool
		if r.Min, r.Max, ok = sources.MinMax(append(slices.Clone(r.Points), r.Current)...); !ok {
			r.Min, r.Max = math.NaN(), math.NaN()
		}
		return r
	}
	if spec.Key == sources.Memory {
		// One endpoint is one instance.
		b.Label, b.Labels = "instance", []string{"instance"}
		b.Query = fmt.Sprintf("%s of %s, from its own samples", MemoryMetric, s.target)
		b.Rows = []sources.BreakdownRow{row(s.target, func(t time.Time) float64 { return s.eval(spec.Key, t) })}
		return b, nil
	}
	for _, l := range splitBy {
		if s.valuesOf(l) > 0 && !(spec.Key == sources.ErrorRate && isStatusLabel(l)) {
			b.Labels = append(b.Labels, l)
		}
	}
	if len(b.Labels) == 0 {
		return b, fmt.Errorf("the series of %s carry none of the labels direct /metrics mode splits by (%v)", s.target, splitBy)
	}
	b.Label = cmp.Or(label, b.Labels[0])
	if !slices.Contains(b.Labels, b.Label) {
		return b, fmt.Errorf("%s: no label %q to split by (have %v)", s.target, b.Label, b.Labels)
	}
	metric := RequestsMetric
	if spec.Key == sources.P95Latency {
		metric = DurationMetric
		if s.partsTooWide {
			return b, fmt.Errorf("%s of %s has more than %d buckets: too many to keep per %s", DurationMetric, s.target, maxPartBounds, b.Label)
		}
	}
	b.Query = fmt.Sprintf("%s by %s, from %s's own samples", metric, b.Label, s.target)
	var rows []sources.BreakdownRow
	for p := range s.parts {
		if p.label != b.Label {
			continue
		}
		rows = append(rows, row(p.value, func(t time.Time) float64 { return s.evalPart(spec.Key, p, t) }))
	}
	// Largest first, gaps last, ties by name: the order Prometheus's topk
	// would not guarantee, made stable.
	slices.SortFunc(rows, func(a, c sources.BreakdownRow) int {
		an, cn := math.IsNaN(a.Current), math.IsNaN(c.Current)
		switch {
		case an != cn:
			if an {
				return 1
			}
			return -1
		case !an && a.Current != c.Current:
			return cmp.Compare(c.Current, a.Current)
		}
		return cmp.Compare(a.Value, c.Value)
	})
	if len(rows) > sources.MaxBreakdownRows {
		b.Others = len(rows) - sources.MaxBreakdownRows
		rows = rows[:sources.MaxBreakdownRows]
	}
	b.Rows = rows
	return b, nil
}

// isStatusLabel: the error rate split by status is 1 or 0 per value, which
// says nothing the split by route does not.
func isStatusLabel(l string) bool { return l == "status" || l == "status_code" || l == "code" }
