// Package alerthistory reads how often and how long each alert fired, from
// the ALERTS series Prometheus's rule manager writes, in one instant query
// for every alert, and keeps the answer for minutes: the strip, the alerts
// view and the report show it beside each alert.
package alerthistory

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opsdeck/opsdeck/internal/safetext"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/prometheus"
)

// Querier is the server the history is read from: Prometheus's instant
// queries (*prometheus.Client).
type Querier interface {
	Instant(ctx context.Context, query string, at time.Time) ([]prometheus.Sample, []string, error)
}

// flavoured is a server that says which it is.
type flavoured interface {
	Flavour(ctx context.Context) prometheus.Flavour
}

// Options say how far back the history reaches and how often it is read.
type Options struct {
	// Span is how far back (default sources.HistoryWeek).
	Span time.Duration
	// Step is the resolution (default a minute): a firing shorter than a
	// step between two rule evaluations may be missed, and a start or end
	// is known to within a step.
	Step time.Duration
	// MaxAge is how long an answer (or a failure) is kept while the same
	// alerts fire (default DefaultMaxAge); MinAge how long it is kept
	// however they change (default DefaultMinAge): alerts that flap every
	// few seconds do not ask for a week every few seconds.
	MaxAge, MinAge time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// DefaultMaxAge: the week's history changes slowly; a new alert firing or
// one resolving reads it again (after DefaultMinAge).
const (
	DefaultMaxAge = 5 * time.Minute
	DefaultMinAge = time.Minute
)

// Reader reads the history and keeps the last answer. Safe for concurrent
// use; one fetch at a time is the caller's pattern.
type Reader struct {
	q Querier
	o Options

	mu       sync.Mutex
	last     sources.History
	has      bool
	key      string
	readAt   time.Time
	err      error
	errAt    time.Time
	queries  int
	inFlight bool // a Refresh's read under way
}

// For is the history reader of m, nil when m keeps no history (direct
// /metrics mode, no source).
func For(m sources.Metrics, o Options) *Reader {
	q, ok := m.(Querier)
	if !ok || q == nil {
		return nil
	}
	return New(q, o)
}

// New reads the history from q.
func New(q Querier, o Options) *Reader {
	if o.Span <= 0 {
		o.Span = sources.HistoryWeek
	}
	if o.Step <= 0 {
		o.Step = time.Minute
	}
	if o.MaxAge <= 0 {
		o.MaxAge = DefaultMaxAge
	}
	if o.MinAge <= 0 {
		o.MinAge = DefaultMinAge
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Reader{q: q, o: o}
}

// Queries is how many times the server was asked (for tests and budgets).
func (r *Reader) Queries() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.queries
}

// Read is the history: the last answer while it is younger than MaxAge and
// the same alerts fire (firing), or younger than MinAge; else one query. A
// failed read returns the last answer (if any) with the error, and is kept
// as long as an answer would be: a server that cannot answer the query in
// time is not asked it again at once.
func (r *Reader) Read(ctx context.Context, firing []sources.Alert) (sources.History, error) {
	key, now := firingKey(firing), r.o.Now()
	r.mu.Lock()
	if !r.due(key, now) {
		h, err := r.last, r.err
		r.mu.Unlock()
		return h, err
	}
	r.queries++
	r.mu.Unlock()
	h, err := r.read(ctx, now)
	r.keep(key, now, h, err)
	return r.Last()
}

// Refresh starts a read in the background when Read would ask the server
// and no read is under way, and returns at once: the alerts are not kept
// waiting for a week of history. base bounds the read (and the client's
// timeout); Last has its answer.
func (r *Reader) Refresh(base context.Context, firing []sources.Alert) {
	key, now := firingKey(firing), r.o.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.inFlight || !r.due(key, now) {
		return
	}
	r.queries++
	r.inFlight = true
	go func() {
		h, err := r.read(base, now)
		r.keep(key, now, h, err)
	}()
}

// Last is the last answer (kept through a failure; its At is zero before
// the first) and the last read's error.
func (r *Reader) Last() (sources.History, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last, r.err
}

// due reports whether a read for the alerts firing (key) at now asks the
// server. r.mu is held.
func (r *Reader) due(key string, now time.Time) bool {
	if !r.has && r.err == nil {
		return true
	}
	at := r.readAt
	if r.err != nil {
		at = r.errAt
	}
	age := now.Sub(at)
	return age >= r.o.MinAge && (key != r.key || age >= r.o.MaxAge)
}

// keep records a read's answer.
func (r *Reader) keep(key string, now time.Time, h sources.History, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.key, r.inFlight = key, false
	if err != nil {
		r.err, r.errAt = err, now
		return
	}
	r.last, r.has, r.readAt, r.err = h, true, now, nil
}

// read asks the server once.
func (r *Reader) read(ctx context.Context, now time.Time) (sources.History, error) {
	// A server that shows samples only after a delay (VictoriaMetrics'
	// latency offset) is read as of that delay ago: the last moments would
	// read as every firing ended.
	f, flav := r.q.(flavoured)
	if flav {
		now = now.Add(-f.Flavour(ctx).LatencyOffset)
	}
	// Aligned to the step, the subquery's last step is the query's time:
	// a series present there is firing now.
	at := now.Truncate(r.o.Step)
	samples, _, err := r.q.Instant(ctx, Query(r.o.Span, r.o.Step), at)
	if err != nil {
		return sources.History{}, err
	}
	edges, err := Edges(samples)
	if err != nil {
		return sources.History{}, err
	}
	h := sources.DeriveHistory(edges, at.Add(-r.o.Span), at, r.o.Step)
	// Made safe once, where it is kept: every poll and snapshot is handed
	// the same answer, and their own passes then only read it.
	safetext.Value(&h)
	if len(edges) == 0 {
		if flav && f.Flavour(ctx).Name == prometheus.FlavourVictoriaMetrics {
			h.Note = "VictoriaMetrics keeps no alert history unless vmalert writes its ALERTS series back to it (vmalert -remoteWrite.url)"
		}
	}
	return h, nil
}

// firingKey names the alerts firing, to tell when they change.
func firingKey(alerts []sources.Alert) string {
	keys := make([]string, 0, len(alerts))
	for _, a := range alerts {
		if a.Firing() {
			keys = append(keys, a.Name+"{"+sources.SeriesKey(a.Labels)+"}")
		}
	}
	slices.Sort(keys)
	return strings.Join(keys, "\n")
}

// atLabel is the label the query puts an edge's time in (negative: an
// end).
const atLabel = "opsdeck_at"

// Query is the one instant query that reads every alert's history over
// span at step: the edges of each ALERTS{alertstate="firing"} series. A
// series is firing at a step when it has a sample within the step before
// it (rule evaluations, which are more frequent than a minute); a start is
// a step where it fires and did not a step earlier, an end the converse.
// Each start and end becomes a series of its own through count_values,
// whose label opsdeck_at holds the step's time (an end's negative), so
// that the answer grows with the firings, not with the samples (a week at
// a minute of 200 alerts as a range query would be two million samples);
// a series without it is firing at the query's time.
//
// The span is read 12 hours at a time (subqueries with an offset):
// Prometheus makes room for all of a subquery's steps in every series it
// makes, so one week-long subquery costs edges × 10,080 steps, fourteen
// 12-hour ones edges × 720 (7.5 s against 0.7 s for 210 alerts, 6,140
// edges; shorter pieces cost more in evaluations than they save). The
// query is some 4,800 characters, under the 8 KB a proxy takes in a URL.
func Query(span, step time.Duration) string { return query(span, step, queryChunk) }

func query(span, step, chunk time.Duration) string {
	s := promDuration(step)
	firing := `last_over_time(ALERTS{alertstate="firing"}[` + s + `])`
	before := `last_over_time(ALERTS{alertstate="firing"}[` + s + `] offset ` + s + `)`
	// A start's time is positive, an end's negative: one count_values
	// makes both.
	edges := "(" + firing + " unless " + before + ") * 0 + time() or (" + before + " unless " + firing + ") * 0 - time()"
	var parts []string
	for off := time.Duration(0); off < span; off += chunk {
		at := ""
		if off > 0 {
			at = " offset " + promDuration(off)
		}
		parts = append(parts, fmt.Sprintf(`last_over_time(count_values without() (%q, %s)[%s:%s]%s)`, atLabel, edges, promDuration(min(chunk, span-off)), s, at))
	}
	// Firing now: the series without an edge's time.
	parts = append(parts, firing+" * 0 + time()")
	return strings.Join(parts, " or ")
}

// queryChunk is the span one subquery of Query reads.
const queryChunk = 12 * time.Hour

// promDuration writes d in PromQL's units (whole seconds at least).
func promDuration(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	case d%time.Hour == 0:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	case d%time.Minute == 0:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	}
	return strconv.Itoa(max(int(d/time.Second), 1)) + "s"
}

// Edges reads the query's answer.
func Edges(samples []prometheus.Sample) ([]sources.AlertEdge, error) {
	out := make([]sources.AlertEdge, 0, len(samples))
	// Edges of one series share its labels and key, made once: a flapping
	// week is thousands of edges of a few series.
	type series struct {
		key    string
		labels map[string]string
	}
	seen := map[string]series{}
	for _, s := range samples {
		raw := rawKey(s.Labels)
		ser, ok := seen[raw]
		if !ok {
			ser = series{key: sources.SeriesKey(s.Labels, atLabel), labels: maps.Clone(s.Labels)}
			for _, k := range []string{atLabel, "alertstate", "__name__"} {
				delete(ser.labels, k)
			}
			seen[raw] = ser
		}
		e := sources.AlertEdge{Key: ser.key, Labels: ser.labels, Kind: sources.EdgeNow}
		at := s.Value
		if text, ok := s.Labels[atLabel]; ok {
			v, err := strconv.ParseFloat(text, 64)
			if err != nil || v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("the alert history's answer has a %s of %q, not a time", atLabel, text)
			}
			e.Kind, at = sources.EdgeStart, v
			if v < 0 {
				e.Kind, at = sources.EdgeEnd, -v
			}
		}
		e.At = time.UnixMilli(int64(at * 1000))
		out = append(out, e)
	}
	return out, nil
}

// rawKey tells one series' samples apart cheaply: its labels but the
// edge's time, NUL-separated (names hold no NUL).
func rawKey(labels map[string]string) string {
	var names [16]string
	keys := names[:0]
	size := 0
	for k, v := range labels {
		if k != atLabel {
			keys = append(keys, k)
			size += len(k) + len(v) + 2
		}
	}
	slices.Sort(keys)
	var b strings.Builder
	b.Grow(size)
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte(0)
		b.WriteString(labels[k])
		b.WriteByte(0)
	}
	return b.String()
}
