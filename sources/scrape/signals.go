package scrape

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
)

// staleAfter is Prometheus's lookback delta: a gauge older than this has no value.
const staleAfter = 5 * time.Minute

// Read scrapes (or reuses a fresh scrape) and computes one golden signal: the
// current value and, when the window has a step, the chart from the ring.
func (s *Source) Read(ctx context.Context, spec sources.SignalSpec, w sources.Window) (sources.Reading, error) {
	if !Computes(spec.Key) {
		return sources.Reading{}, fmt.Errorf("direct /metrics mode computes the four golden signals only; %q needs Prometheus", spec.Title)
	}
	called := s.o.Now()
	if err := s.Scrape(ctx); err != nil {
		return sources.Reading{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// "Now" is the scrape this call just made (or reused), which is a little
	// newer than the caller's clock; an older instant (a paused chart) is
	// read as asked.
	at := w.Now
	if newest := s.ring[len(s.ring)-1].at; at.IsZero() || !at.Before(called.Add(-s.o.MinInterval)) || at.After(newest) {
		at = newest
	}
	r := sources.Reading{Key: spec.Key, At: at, Window: w}
	r.Value = s.eval(spec.Key, at)
	if !math.IsNaN(r.Value) {
		r.Series = 1
	} else {
		r.Diagnosis = s.explain(spec.Key)
	}
	if w.Step > 0 {
		r.Points = make([]float64, w.Points())
		start := w.Start()
		for i := range r.Points {
			r.Points[i] = s.eval(spec.Key, start.Add(time.Duration(i)*w.Step))
		}
	}
	return r, nil
}

// Computes reports whether direct mode can compute the signal key.
func Computes(key string) bool {
	switch key {
	case sources.RPS, sources.ErrorRate, sources.P95Latency, sources.Memory:
		return true
	}
	return false
}

// Alerts: without Prometheus there are no alerting rules to ask.
func (s *Source) Alerts(context.Context) ([]sources.Alert, error) {
	return nil, sources.ErrNoAlerting
}

// eval computes key at t from the ring. Called with mu held.
func (s *Source) eval(key string, t time.Time) float64 {
	j := sort.Search(len(s.ring), func(i int) bool { return s.ring[i].at.After(t) }) - 1
	if j < 0 {
		return math.NaN()
	}
	last := s.ring[j]
	if key == sources.Memory {
		if t.Sub(last.at) > staleAfter {
			return math.NaN()
		}
		return last.memory
	}
	// The earliest sample inside the rate window; a rate needs two.
	i := sort.Search(j+1, func(i int) bool { return !s.ring[i].at.Before(t.Add(-s.o.RateWindow)) })
	if i >= j {
		return math.NaN()
	}
	first := s.ring[i]
	dt := last.at.Sub(first.at).Seconds()
	switch key {
	case sources.RPS:
		if !last.has.requests {
			return math.NaN()
		}
		return (last.requests - first.requests) / dt
	case sources.ErrorRate:
		n := last.requests - first.requests
		if !last.has.requests || n <= 0 {
			return math.NaN() // 0/0, as in PromQL
		}
		return (last.errors - first.errors) / n
	case sources.P95Latency:
		if !last.has.buckets {
			return math.NaN()
		}
		b := make([]bucket, len(last.bounds))
		for k, up := range last.bounds {
			b[k] = bucket{upper: up, count: last.buckets[k] - countAt(first, up)}
		}
		return quantile(0.95, b)
	}
	return math.NaN()
}

func countAt(s sample, upper float64) float64 {
	i := sort.SearchFloat64s(s.bounds, upper)
	if i < len(s.bounds) && s.bounds[i] == upper {
		return s.buckets[i]
	}
	return 0
}

// explain says why a signal has no value, in the words a Diagnosis uses.
func (s *Source) explain(key string) string {
	last := s.ring[len(s.ring)-1]
	switch {
	case key == sources.Memory && math.IsNaN(last.memory):
		return fmt.Sprintf("%s exports no %s", s.target, MemoryMetric)
	case key == sources.Memory:
		return ""
	case key == sources.P95Latency && !last.has.buckets:
		return fmt.Sprintf("%s exports no %s histogram", s.target, DurationMetric)
	case key != sources.P95Latency && !last.has.requests:
		return fmt.Sprintf("%s exports no %s", s.target, RequestsMetric)
	case len(s.ring) < 2:
		return "a rate needs two scrapes: the next one comes with the next refresh"
	}
	return fmt.Sprintf("no requests in the last %s (0/0)", units.ShortDuration(s.o.RateWindow))
}
