package scrape

import (
	"math"
	"sort"
)

// bucket is one cumulative histogram bucket: how many observations were at or
// below upper.
type bucket struct {
	upper float64
	count float64
}

// quantile is Prometheus's histogram_quantile over cumulative buckets (its
// bucketQuantile, promql/quantile.go): linear interpolation inside the bucket
// the rank falls in, the second-highest bound when it falls in +Inf, NaN
// without a +Inf bucket or without observations. The same algorithm is what
// makes direct mode agree with a Prometheus scraping the same target.
func quantile(q float64, buckets []bucket) float64 {
	switch {
	case math.IsNaN(q):
		return math.NaN()
	case q < 0:
		return math.Inf(-1)
	case q > 1:
		return math.Inf(1)
	}
	b := append([]bucket(nil), buckets...)
	sort.Slice(b, func(i, j int) bool { return b[i].upper < b[j].upper })
	if len(b) < 2 || !math.IsInf(b[len(b)-1].upper, 1) {
		return math.NaN()
	}
	b = coalesce(b)
	monotonic(b)
	observations := b[len(b)-1].count
	if observations == 0 {
		return math.NaN()
	}
	rank := q * observations
	i := sort.Search(len(b)-1, func(i int) bool { return b[i].count >= rank })
	if i == len(b)-1 {
		return b[len(b)-2].upper
	}
	if i == 0 && b[0].upper <= 0 {
		return b[0].upper
	}
	start, end, count := 0.0, b[i].upper, b[i].count
	if i > 0 {
		start = b[i-1].upper
		count -= b[i-1].count
		rank -= b[i-1].count
	}
	if count == 0 {
		return start
	}
	return start + (end-start)*(rank/count)
}

// coalesce merges buckets with the same bound (series that differ only in
// labels Prometheus would have summed away already).
func coalesce(b []bucket) []bucket {
	out := b[:1]
	for _, x := range b[1:] {
		if x.upper == out[len(out)-1].upper {
			out[len(out)-1].count += x.count
		} else {
			out = append(out, x)
		}
	}
	return out
}

// monotonic repairs counts that decrease with the bound, which scraping
// between the updates of two buckets can produce, as Prometheus does.
func monotonic(b []bucket) {
	for i := 1; i < len(b); i++ {
		if b[i].count < b[i-1].count {
			b[i].count = b[i-1].count
		}
	}
}
