package originapi

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// Instance is one API whose history Backfill writes: its schedule, the
// labels its samples carry (job, instance) and its random seed.
type Instance struct {
	Sched  Schedule
	Labels map[string]string
	Seed   uint64
}

// Span is a stretch of history Backfill writes, scraped every Interval.
// Quiet leaves the schedule's incidents out: an ordinary day to compare with.
type Span struct {
	From, To time.Time
	Interval time.Duration
	Quiet    bool
}

// Backfill simulates each instance over [from, to) with a fresh set of
// instruments and writes what a scraper would have collected every interval,
// as OpenMetrics text with timestamps: the input of
// `promtool tsdb create-blocks-from openmetrics`. An instance's labels are
// added to each of its samples so that history and live scrapes are one series.
func Backfill(w io.Writer, from, to time.Time, interval time.Duration, instances ...Instance) error {
	return BackfillSpans(w, []Span{{From: from, To: to, Interval: interval}}, instances...)
}

// BackfillSpans is Backfill over several stretches (oldest first): the hour
// a day and a week ago that a comparison with the past reads, without
// simulating the week between.
func BackfillSpans(w io.Writer, spans []Span, instances ...Instance) error {
	type sample struct {
		t      time.Time
		fam    *dto.MetricFamily
		labels string
	}
	var scrapes []sample
	for _, in := range instances {
		api := New()
		sim := NewSimulator(api, in.Sched, in.Seed)
		extra := labelPairs(in.Labels)
		for _, sp := range spans {
			sim.sched = in.Sched
			sim.sched.Quiet = in.Sched.Quiet || sp.Quiet
			// Fifty steps a scrape: enough requests between scrapes for
			// smooth rates, few enough that a week-old hour costs little.
			step := max(sp.Interval/50, 100*time.Millisecond)
			next := sp.From
			for now := sp.From; now.Before(sp.To); now = now.Add(step) {
				sim.Step(now, step)
				if !now.Before(next) {
					fams, err := api.Registry.Gather()
					if err != nil {
						return err
					}
					for _, f := range fams {
						scrapes = append(scrapes, sample{now, f, extra})
					}
					next = next.Add(sp.Interval)
				}
			}
		}
	}
	// OpenMetrics wants each family's samples together, each series in time order.
	byFamily := map[string][]sample{}
	var names []string
	for _, s := range scrapes {
		n := s.fam.GetName()
		if _, ok := byFamily[n]; !ok {
			names = append(names, n)
		}
		byFamily[n] = append(byFamily[n], s)
	}
	sort.Strings(names)
	bw := bufio.NewWriter(w)
	for _, name := range names {
		ss := byFamily[name]
		typ := ss[0].fam.GetType()
		family := name
		switch typ {
		case dto.MetricType_COUNTER:
			family = strings.TrimSuffix(name, "_total")
			fmt.Fprintf(bw, "# TYPE %s counter\n", family)
		case dto.MetricType_GAUGE:
			fmt.Fprintf(bw, "# TYPE %s gauge\n", family)
		case dto.MetricType_HISTOGRAM:
			fmt.Fprintf(bw, "# TYPE %s histogram\n", family)
		default:
			continue
		}
		for _, s := range ss {
			ts := strconv.FormatFloat(float64(s.t.UnixMilli())/1000, 'f', 3, 64)
			for _, m := range s.fam.GetMetric() {
				lbl := s.labels + labelPairsDTO(m.GetLabel())
				switch typ {
				case dto.MetricType_COUNTER:
					fmt.Fprintf(bw, "%s_total{%s} %s %s\n", family, trimComma(lbl), num(m.GetCounter().GetValue()), ts)
				case dto.MetricType_GAUGE:
					fmt.Fprintf(bw, "%s{%s} %s %s\n", family, trimComma(lbl), num(m.GetGauge().GetValue()), ts)
				case dto.MetricType_HISTOGRAM:
					h := m.GetHistogram()
					for _, b := range h.GetBucket() {
						fmt.Fprintf(bw, "%s_bucket{%sle=\"%s\"} %d %s\n", family, lbl, num(b.GetUpperBound()), b.GetCumulativeCount(), ts)
					}
					fmt.Fprintf(bw, "%s_bucket{%sle=\"+Inf\"} %d %s\n", family, lbl, h.GetSampleCount(), ts)
					fmt.Fprintf(bw, "%s_count{%s} %d %s\n", family, trimComma(lbl), h.GetSampleCount(), ts)
					fmt.Fprintf(bw, "%s_sum{%s} %s %s\n", family, trimComma(lbl), num(h.GetSampleSum()), ts)
				}
			}
		}
	}
	bw.WriteString("# EOF\n")
	return bw.Flush()
}

// labelPairs renders labels as `k="v",` (sorted), ready to prefix others.
func labelPairs(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%q,", k, labels[k])
	}
	return b.String()
}

func labelPairsDTO(pairs []*dto.LabelPair) string {
	var b strings.Builder
	for _, p := range pairs {
		fmt.Fprintf(&b, "%s=%q,", p.GetName(), p.GetValue())
	}
	return b.String()
}

func trimComma(s string) string { return strings.TrimSuffix(s, ",") }

func num(v float64) string {
	if math.IsInf(v, 1) {
		return "+Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
