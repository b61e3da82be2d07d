package scrape

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/opsdeck/opsdeck/internal/redact"
)

// The metric names of prometheus-fastapi-instrumentator and the process
// collector: what Origin's API exports.
const (
	RequestsMetric = "http_requests_total"
	DurationMetric = "http_request_duration_seconds"
	MemoryMetric   = "process_resident_memory_bytes"
)

// Options configure a scraper.
type Options struct {
	URL     string
	Timeout time.Duration
	// RateWindow is the range of the rates, as [1m] in the PromQL it replaces.
	RateWindow time.Duration
	// Retention is how much history the ring keeps (default one hour).
	Retention time.Duration
	// MinInterval is the youngest scrape that is reused rather than repeated:
	// the four panes polling together cost one scrape (default 1s).
	MinInterval time.Duration
	Scrubber    *redact.Scrubber
	UserAgent   string
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
	// MaxBody bounds one answer (default DefaultMaxBody).
	MaxBody int64
}

// maxSamples bounds the ring; older samples are thinned to stay under it.
const maxSamples = 1800

// DefaultMaxBody bounds one /metrics answer (10,000 series are about 1 MiB).
const DefaultMaxBody = 8 << 20

// Source is safe for concurrent use by all panes.
type Source struct {
	o      Options
	client *http.Client
	target string

	scrapeMu sync.Mutex // one scrape at a time; waiters reuse its result

	mu     sync.Mutex
	ring   []sample
	prev   map[string]float64 // last raw value per counter series, for increments
	totals totals
	// The same totals per value of each label the breakdown splits by, and
	// their own (shorter) ring.
	parts        map[part]*totals
	partRing     []partSample
	partsTooWide bool // a histogram with more than maxPartBounds buckets
	lastTry      time.Time
	lastErr      error
}

// totals are counters summed over series since the first scrape, each series
// contributing its increments (a reset counts its new value, as rate() does).
type totals struct {
	requests, errors float64
	bounds           []float64 // sorted upper bounds, +Inf last
	buckets          []float64 // cumulative count per bound
}

type sample struct {
	at       time.Time
	requests float64
	errors   float64
	bounds   []float64 // shared with totals until the bounds change
	buckets  []float64
	memory   float64 // NaN when the endpoint has no memory gauge
	has      struct{ requests, buckets bool }
}

// New builds a scraper; it does no I/O.
func New(o Options) (*Source, error) {
	if o.URL == "" {
		return nil, errors.New("no metrics URL configured")
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.RateWindow <= 0 {
		o.RateWindow = time.Minute
	}
	if o.Retention <= 0 {
		o.Retention = time.Hour
	}
	if o.MinInterval <= 0 {
		o.MinInterval = time.Second
	}
	if o.UserAgent == "" {
		o.UserAgent = "opsdeck"
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.Scrubber = o.Scrubber.With(redact.SecretsOf(o.URL)...)
	return &Source{o: o, client: &http.Client{Timeout: o.Timeout}, target: redact.URL(o.URL), prev: map[string]float64{}}, nil
}

// String is the endpoint with any password masked.
func (s *Source) String() string { return s.target }

// Close releases idle connections.
func (s *Source) Close() { s.client.CloseIdleConnections() }

// Scrape fetches /metrics now (or reuses a scrape younger than MinInterval)
// and adds it to the ring.
func (s *Source) Scrape(ctx context.Context) error {
	s.scrapeMu.Lock()
	defer s.scrapeMu.Unlock()
	now := s.o.Now()
	s.mu.Lock()
	if !s.lastTry.IsZero() && now.Sub(s.lastTry) < s.o.MinInterval {
		err := s.lastErr
		s.mu.Unlock()
		return err
	}
	s.mu.Unlock()
	families, err := s.fetch(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	// The try counts from when its outcome is known: panes that waited for
	// it take its answer, or its failure, rather than each waiting out the
	// timeout again.
	s.lastTry, s.lastErr = s.o.Now(), err
	if err == nil {
		s.add(now, families)
	}
	return err
}

func (s *Source) fetch(ctx context.Context) (map[string]*dto.MetricFamily, error) {
	ctx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.o.URL, nil)
	if err != nil {
		return nil, s.fail("bad metrics URL: %v", err)
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4;q=1,*/*;q=0.1")
	req.Header.Set("User-Agent", s.o.UserAgent)
	resp, err := s.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, s.fail("no answer from %s within %s", s.target, s.o.Timeout)
		}
		return nil, s.fail("cannot reach %s: %v", s.target, rootCause(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return nil, s.fail("HTTP %d from %s", resp.StatusCode, s.target)
	}
	if ct := strings.ToLower(resp.Header.Get("Content-Type")); strings.Contains(ct, "html") {
		return nil, s.fail("%s answered with an HTML page, not Prometheus metrics: is metrics_url the /metrics endpoint?", s.target)
	}
	families, err := s.parse(resp.Body)
	if err != nil && ctx.Err() != nil {
		return nil, s.fail("no complete answer from %s within %s", s.target, s.o.Timeout)
	}
	return families, err
}

// parse reads Prometheus text format, at most MaxBody bytes of it.
func (s *Source) parse(r io.Reader) (map[string]*dto.MetricFamily, error) {
	maxBody := s.o.MaxBody
	limited := &io.LimitedReader{R: r, N: maxBody + 1}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(limited)
	if limited.N <= 0 { // more than maxBody bytes were offered
		return nil, s.fail("the answer of %s is larger than %d MiB (max_response_bytes): opsdeck reads at most that much", s.target, maxBody>>20)
	}
	if err != nil {
		return nil, s.fail("the answer of %s is not Prometheus text format: %v", s.target, err)
	}
	return families, nil
}

func (s *Source) fail(format string, args ...any) error {
	return errors.New(s.o.Scrubber.String(fmt.Sprintf(format, args...)))
}

// rootCause drops the "Get URL:" wrapping (the URL may hold a password).
func rootCause(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}

// add folds one scrape into the totals and appends a sample. Called with mu held.
func (s *Source) add(at time.Time, families map[string]*dto.MetricFamily) {
	smp := sample{at: at, memory: math.NaN()}
	if f := families[RequestsMetric]; f != nil {
		smp.has.requests = true
		for _, m := range f.GetMetric() {
			v := counterValue(m)
			inc := s.increment(RequestsMetric+labelKey(m, ""), v)
			bad := isServerError(m)
			s.totals.requests += inc
			if bad {
				s.totals.errors += inc
			}
			for _, t := range s.partsOf(m) {
				t.requests += inc
				if bad {
					t.errors += inc
				}
			}
		}
	}
	if f := families[DurationMetric]; f != nil && f.GetType() == dto.MetricType_HISTOGRAM {
		smp.has.buckets = true
		for _, m := range f.GetMetric() {
			h := m.GetHistogram()
			key := DurationMetric + labelKey(m, "")
			sawInf := false
			parts := s.partsOf(m)
			add := func(up, inc float64) {
				s.totals.addBucket(up, inc)
				if len(s.totals.bounds) > maxPartBounds {
					s.partsTooWide = true
				}
				if s.partsTooWide {
					return
				}
				for _, t := range parts {
					t.addBucket(up, inc)
				}
			}
			for _, b := range h.GetBucket() {
				up := b.GetUpperBound()
				sawInf = sawInf || math.IsInf(up, 1)
				add(up, s.increment(fmt.Sprintf("%s|%g", key, up), float64(b.GetCumulativeCount())))
			}
			if !sawInf {
				add(math.Inf(1), s.increment(key+"|+Inf", float64(h.GetSampleCount())))
			}
		}
	}
	if f := families[MemoryMetric]; f != nil {
		sum := 0.0
		for _, m := range f.GetMetric() {
			sum += gaugeValue(m)
		}
		if len(f.GetMetric()) > 0 {
			smp.memory = sum
		}
	}
	smp.requests, smp.errors = s.totals.requests, s.totals.errors
	smp.bounds, smp.buckets = s.totals.bounds, append([]float64(nil), s.totals.buckets...)
	s.ring = append(s.ring, smp)
	s.prune(at)
	s.snapshotParts(at)
}

// increment is how much a counter series grew since the last scrape: nothing
// on its first appearance (as a new series in a range has no increase yet),
// its whole value after a reset.
func (s *Source) increment(series string, v float64) float64 {
	prev, seen := s.prev[series]
	s.prev[series] = v
	switch {
	case !seen:
		return 0
	case v < prev:
		return v
	default:
		return v - prev
	}
}

func (t *totals) addBucket(upper, inc float64) {
	b := t.bounds
	i := sort.SearchFloat64s(b, upper)
	if i == len(b) || b[i] != upper {
		// A new bound: copy, so that older samples keep the bounds they had.
		nb := make([]float64, 0, len(b)+1)
		nb = append(append(append(nb, b[:i]...), upper), b[i:]...)
		nc := make([]float64, 0, len(b)+1)
		nc = append(append(append(nc, t.buckets[:i]...), 0), t.buckets[i:]...)
		t.bounds, t.buckets = nb, nc
	}
	t.buckets[i] += inc
}

// prune drops samples older than the retention and thins the oldest half when
// the ring is full, so memory stays bounded at any refresh rate.
func (s *Source) prune(now time.Time) {
	s.ring = thin(s.ring, func(smp sample) time.Time { return smp.at }, now, s.o.Retention, maxSamples)
}

// thin drops the entries of ring older than retention at now, then every
// other one of the oldest half while more than limit are left.
func thin[T any](ring []T, at func(T) time.Time, now time.Time, retention time.Duration, limit int) []T {
	cut := sort.Search(len(ring), func(i int) bool { return now.Sub(at(ring[i])) <= retention })
	if cut > 0 {
		ring = append(ring[:0], ring[cut:]...)
	}
	if len(ring) > limit {
		half := len(ring) / 2
		kept := ring[:0]
		for i, e := range ring {
			if i >= half || i%2 == 0 {
				kept = append(kept, e)
			}
		}
		ring = kept
	}
	return ring
}

func labelKey(m *dto.Metric, skip string) string {
	var b strings.Builder
	for _, l := range m.GetLabel() {
		if l.GetName() == skip {
			continue
		}
		b.WriteString("," + l.GetName() + "=" + l.GetValue())
	}
	return b.String()
}

// isServerError reads the instrumentator's status label ("5xx") or a plain
// status code ("503"), under either common name.
func isServerError(m *dto.Metric) bool {
	for _, l := range m.GetLabel() {
		if n := l.GetName(); n == "status" || n == "status_code" || n == "code" {
			return strings.HasPrefix(l.GetValue(), "5")
		}
	}
	return false
}

func counterValue(m *dto.Metric) float64 {
	if c := m.GetCounter(); c != nil {
		return c.GetValue()
	}
	if u := m.GetUntyped(); u != nil {
		return u.GetValue()
	}
	return 0
}

func gaugeValue(m *dto.Metric) float64 {
	if g := m.GetGauge(); g != nil {
		return g.GetValue()
	}
	if u := m.GetUntyped(); u != nil {
		return u.GetValue()
	}
	return 0
}
