package prometheus

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/prometheus/common/model"

	"github.com/opsdeck/opsdeck/internal/promql"
	"github.com/opsdeck/opsdeck/sources"
)

// preferredLabels are the first choices to split by: where a request went,
// how it ended, how it was made, where it ran.
var preferredLabels = []string{"handler", "route", "path", "endpoint", "status", "code", "method", "instance", "pod"}

// labelName is what PromQL accepts as a label name (the split label is
// written into a query).
var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// splitQuery is spec's query split by label: its own Split when it has one,
// else the query summed by the label.
func splitQuery(spec sources.SignalSpec, label string) (string, error) {
	if !labelName.MatchString(label) {
		return "", fmt.Errorf("%q is not a label name", label)
	}
	if spec.Split != "" {
		return strings.ReplaceAll(spec.Split, sources.SplitLabel, label), nil
	}
	return "sum by (" + label + ") (" + spec.Query + ")", nil
}

// splitLabels are the labels the series of spec's query carry over w, best
// choices first (the preferred ones, then the rest by name); never the
// metric name or a histogram's le.
func (c *Client) splitLabels(ctx context.Context, spec sources.SignalSpec, w sources.Window) ([]string, error) {
	sels, err := promql.Selectors(spec.Query)
	if err != nil {
		return nil, &Error{Kind: KindCannotSplit, Msg: "the query cannot be read: " + err.Error()}
	}
	var match []string
	for _, s := range sels {
		match = append(match, s.String())
	}
	if len(match) == 0 {
		return nil, &Error{Kind: KindCannotSplit, Msg: "the query reads no series: there is nothing to split"}
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	names, err := c.labelNames(ctx, match, w.Start(), w.End)
	if err != nil {
		return nil, c.classify(ctx, err)
	}
	names = slices.DeleteFunc(names, func(n string) bool { return n == model.MetricNameLabel || n == model.BucketLabel })
	rank := func(n string) int {
		if i := slices.Index(preferredLabels, n); i >= 0 {
			return i
		}
		return len(preferredLabels)
	}
	sort.SliceStable(names, func(i, j int) bool {
		if ri, rj := rank(names[i]), rank(names[j]); ri != rj {
			return ri < rj
		}
		return names[i] < names[j]
	})
	return names, nil
}

// Breakdown splits spec by label over w: the current value of each of the
// label's values (instant query at w.Now) and its chart (range query over
// w), the ten largest first. Label "" takes the first choice of Labels.
func (c *Client) Breakdown(ctx context.Context, spec sources.SignalSpec, label string, w sources.Window) (sources.Breakdown, error) {
	b := sources.Breakdown{Label: label, Window: w, Total: math.NaN()}
	labels, err := c.splitLabels(ctx, spec, w)
	if err != nil {
		return b, err
	}
	b.Labels = labels
	if b.Label == "" {
		if len(labels) == 0 {
			return b, &Error{Kind: KindCannotSplit, Msg: "the query's series carry no label to split by"}
		}
		b.Label = labels[0]
	}
	query, err := splitQuery(spec, b.Label)
	if err != nil {
		return b, &Error{Kind: KindCannotSplit, Msg: err.Error()}
	}
	b.Query = query
	at := w.Now
	if at.IsZero() {
		at = w.End
	}
	// Prometheus ranks and counts: only the ten largest values travel, and
	// the chart then asks for exactly those, so a label of a hundred
	// thousand values costs what ten do.
	n := strconv.Itoa(sources.MaxBreakdownRows)
	queries := map[string]string{
		"top":   "topk(" + n + ", " + query + ")",
		"count": "count(" + query + ")",
	}
	if spec.Additive {
		queries["sum"] = "sum(" + query + ")"
	}
	var (
		mu      sync.Mutex
		wg      sync.WaitGroup
		answers = map[string]model.Value{}
		errs    []error
	)
	ask := func(name string, run func(ctx context.Context) (model.Value, []string, error)) {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, c.timeout)
			defer cancel()
			v, notes, err := run(ctx)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, c.classify(ctx, err))
				return
			}
			answers[name] = v
			for _, note := range notes {
				if !slices.Contains(b.Notes, note) {
					b.Notes = append(b.Notes, note)
				}
			}
		})
	}
	for name, q := range queries {
		ask(name, func(ctx context.Context) (model.Value, []string, error) {
			v, notes, err := c.query(ctx, q, at)
			// The chart needs the top values alone: it is asked for as soon
			// as they come, while the count and the sum are still running.
			if top, ok := v.(model.Vector); ok && name == "top" && len(top) > 0 && w.Step > 0 && err == nil {
				chart := chartQuery(query, b.Label, top)
				ask("chart", func(ctx context.Context) (model.Value, []string, error) {
					return c.queryRange(ctx, chart, w.Start(), w.End, w.Step)
				})
			}
			return v, notes, err
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return b, errs[0]
	}
	vec, _ := answers["top"].(model.Vector)
	matrix, _ := answers["chart"].(model.Matrix)
	rows := map[string]*sources.BreakdownRow{}
	row := func(m model.Metric) *sources.BreakdownRow {
		key := string(m[model.LabelName(b.Label)])
		r := rows[key]
		if r == nil {
			r = &sources.BreakdownRow{Value: key, Current: math.NaN()}
			if w.Step > 0 {
				r.Points = gaps(w)
			}
			rows[key] = r
		}
		return r
	}
	for _, s := range vec {
		r := row(s.Metric)
		if f := float64(s.Value); math.IsNaN(r.Current) || f > r.Current {
			r.Current = f
		}
	}
	for _, series := range matrix {
		fold(row(series.Metric).Points, series.Values, w)
	}
	if _, blank := rows[""]; blank && len(rows) == 1 {
		return b, &Error{Kind: KindCannotSplit, Msg: fmt.Sprintf("this query cannot be split by %s: it aggregates the label away (split a query that keeps it, such as sum by (%s) (…))", b.Label, b.Label)}
	}
	all := make([]sources.BreakdownRow, 0, len(rows))
	for _, r := range rows {
		r.Min, r.Max = math.NaN(), math.NaN()
		if lo, hi, ok := sources.MinMax(append(slices.Clone(r.Points), r.Current)...); ok {
			r.Min, r.Max = lo, hi
		}
		all = append(all, *r)
	}
	if sum, ok := answers["sum"].(model.Vector); ok && len(sum) == 1 {
		b.Total = float64(sum[0].Value)
	}
	if count, ok := answers["count"].(model.Vector); ok && len(count) == 1 {
		b.Others = max(int(count[0].Value)-len(all), 0)
	}
	sort.Slice(all, func(i, j int) bool {
		a, c := all[i].Current, all[j].Current
		switch {
		case math.IsNaN(a) != math.IsNaN(c):
			return !math.IsNaN(a)
		case a != c:
			return a > c
		}
		return all[i].Value < all[j].Value
	})
	if len(all) > sources.MaxBreakdownRows { // several series of one value
		all = all[:sources.MaxBreakdownRows]
	}
	b.Rows = all
	return b, nil
}

// chartQuery is query over the values of label in top alone: a matcher on
// every selector, so that Prometheus reads ten values' series rather than
// every value's; failing that, the whole query filtered by a vector holding
// one sample per value (PromQL has no "in" for a computed vector's labels).
func chartQuery(query, label string, top model.Vector) string {
	var values []string
	for _, s := range top {
		if v := string(s.Metric[model.LabelName(label)]); !slices.Contains(values, v) {
			values = append(values, v)
		}
	}
	alts := make([]string, len(values))
	for i, v := range values {
		alts[i] = regexp.QuoteMeta(v)
	}
	if q, err := promql.AddMatcher(query, promql.Matcher{Name: label, Op: "=~", Value: strings.Join(alts, "|")}); err == nil {
		return q
	}
	only := make([]string, len(values))
	for i, v := range values {
		only[i] = fmt.Sprintf("label_replace(vector(1), %q, %s, \"\", \"\")", label, strconv.Quote(v))
	}
	return "(" + query + ") and on (" + label + ") (" + strings.Join(only, " or ") + ")"
}
