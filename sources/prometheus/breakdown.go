package prometheus

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

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

// rankQuery is spec's cheaper ranking split by label, "" when it has none.
func rankQuery(spec sources.SignalSpec, label string) string {
	if spec.Rank == "" || spec.Split == "" || !labelName.MatchString(label) {
		return ""
	}
	return strings.ReplaceAll(spec.Rank, sources.SplitLabel, label)
}

// splitLabels are the labels the series of spec's query carry from start
// to end, best choices first (the preferred ones, then the rest by name);
// never the metric name or a histogram's le.
func (c *Client) splitLabels(ctx context.Context, spec sources.SignalSpec, start, end time.Time) ([]string, error) {
	sels, err := promql.Selectors(spec.Query)
	if err != nil {
		return nil, &Error{Kind: KindCannotSplit, Msg: "the query cannot be read: " + err.Error()}
	}
	var match []string
	for _, s := range broadest(sels) {
		match = append(match, s.String())
	}
	if len(match) == 0 {
		return nil, &Error{Kind: KindCannotSplit, Msg: "the query reads no series: there is nothing to split"}
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	names, err := c.labelNames(ctx, match, start, end)
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

// broadest are sels without those whose series another selects too (of
// equal ones, the first): the series' labels are the same, and Prometheus
// looks each series up once (the error rate's 5xx requests are among its
// requests: half the lookup).
func broadest(sels []promql.Selector) []promql.Selector {
	var out []promql.Selector
	for i, s := range sels {
		if !slices.ContainsFunc(sels[:i], s.Within) && !slices.ContainsFunc(sels[i+1:], func(t promql.Selector) bool { return s.Within(t) && !t.Within(s) }) {
			out = append(out, s)
		}
	}
	return out
}

// Breakdown splits spec by label over w: the current value of each of the
// label's values (instant query at w.Now) and its chart (range query over
// w), the ten largest first. Label "" takes the first choice of Labels.
func (c *Client) Breakdown(ctx context.Context, spec sources.SignalSpec, label string, w sources.Window) (sources.Breakdown, error) {
	return c.BreakdownEarly(ctx, spec, label, w, nil)
}

// BreakdownEarly is Breakdown, handing the ten rows to early (when not nil)
// the moment the largest values come, while the chart, the count and the
// sum are still being read.
func (c *Client) BreakdownEarly(ctx context.Context, spec sources.SignalSpec, label string, w sources.Window, early func(sources.Breakdown)) (sources.Breakdown, error) {
	b := sources.Breakdown{Label: label, Window: w, Total: math.NaN()}
	at := w.Now
	if at.IsZero() {
		at = w.End
	}
	// The ranking is asked beside the labels lookup rather than after it, by
	// the label asked for or, with none, the one this query was split by
	// last: the lookup (tens of milliseconds on VictoriaMetrics) is then off
	// the rows' path. A guess the lookup proves wrong is cancelled.
	guess := c.speculate(ctx, spec, cmp.Or(label, c.splitBefore(spec.Query)), at)
	defer guess.cancel()
	// Looked up to the moment the rows are read, not the chart's last step:
	// a series younger than the step (all of them, on a Prometheus started
	// since) carries labels too.
	labels, err := c.splitLabels(ctx, spec, w.Start(), at)
	if err != nil {
		return b, err
	}
	b.Labels = labels
	if b.Label == "" {
		if len(labels) == 0 {
			return b, &Error{Kind: KindCannotSplit, Msg: "the query's series carry no label to split by"}
		}
		b.Label = labels[0]
		c.splitAgain(spec.Query, b.Label)
	}
	query, err := splitQuery(spec, b.Label)
	if err != nil {
		return b, &Error{Kind: KindCannotSplit, Msg: err.Error()}
	}
	b.Query = query
	// Prometheus ranks and counts: only the ten largest values travel, and
	// the chart then asks for exactly those, so a label of a hundred
	// thousand values costs what ten do.
	queries := map[string]string{"count": "count(" + query + ")"}
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
	rest := func() {
		for name, q := range queries {
			ask(name, func(ctx context.Context) (model.Value, []string, error) { return c.query(ctx, q, at) })
		}
	}
	ask("top", func(ctx context.Context) (model.Value, []string, error) {
		v, notes, err := guess.answer(b.Label)
		if v == nil && err == nil {
			v, notes, err = c.rank(ctx, spec, b.Label, at)
		}
		// The chart needs the top values alone: it is asked for as soon
		// as they come, while the count and the sum are still running.
		if top, ok := v.(model.Vector); ok && len(top) > 0 && err == nil {
			if w.Step > 0 {
				chart := chartQuery(query, b.Label, top)
				ask("chart", func(ctx context.Context) (model.Value, []string, error) {
					return c.queryRange(ctx, chart, w.Start(), w.End, w.Step, c.Flavour(ctx).resolution(w.Step))
				})
			}
			if early != nil {
				first := sources.Breakdown{Label: b.Label, Labels: b.Labels, Query: b.Query, Window: w, Total: math.NaN(), Partial: true}
				first.Rows = rowsOf(top, nil, b.Label, sources.Window{})
				for i := range first.Rows { // the range comes with the chart
					first.Rows[i].Min, first.Rows[i].Max = math.NaN(), math.NaN()
				}
				if len(first.Rows) > 1 || first.Rows[0].Value != "" { // else: cannot be split, said at the end
					early(first)
				}
			}
		}
		if early != nil {
			rest() // after the rows, so as not to slow them down
		}
		return v, notes, err
	})
	if early == nil {
		rest()
	}
	wg.Wait()
	if len(errs) > 0 {
		return b, errs[0]
	}
	vec, _ := answers["top"].(model.Vector)
	matrix, _ := answers["chart"].(model.Matrix)
	all := rowsOf(vec, matrix, b.Label, w)
	if len(all) == 1 && all[0].Value == "" {
		return b, &Error{Kind: KindCannotSplit, Msg: fmt.Sprintf("this query cannot be split by %s: it aggregates the label away (split a query that keeps it, such as sum by (%s) (…))", b.Label, b.Label)}
	}
	if sum, ok := answers["sum"].(model.Vector); ok && len(sum) == 1 {
		b.Total = float64(sum[0].Value)
	}
	if count, ok := answers["count"].(model.Vector); ok && len(count) == 1 {
		b.Others = max(int(count[0].Value)-len(all), 0)
	}
	b.Rows = all
	return b, nil
}

// rank asks for the ten largest values of spec split by label: by its
// cheaper ranking when it has one, which leaves out the values at zero, so
// with fewer than ten left the split itself ranks them.
func (c *Client) rank(ctx context.Context, spec sources.SignalSpec, label string, at time.Time) (model.Value, []string, error) {
	query, err := splitQuery(spec, label)
	if err != nil {
		return nil, nil, err
	}
	n := strconv.Itoa(sources.MaxBreakdownRows)
	rank := rankQuery(spec, label)
	var v model.Value
	var notes []string
	if rank != "" {
		v, notes, err = c.query(ctx, "topk("+n+", "+rank+")", at)
	}
	if top, ok := v.(model.Vector); rank == "" || err != nil || !ok || len(top) < sources.MaxBreakdownRows {
		v, notes, err = c.query(ctx, "topk("+n+", "+query+")", at)
	}
	return v, notes, err
}

// ranking is a ranking asked before the label to split by is known.
type ranking struct {
	label  string // "" when none was asked
	cancel context.CancelFunc
	done   chan struct{}
	v      model.Value
	notes  []string
	err    error
}

// speculate asks for spec's ranking by label in the background (nothing
// when label is "" or not a label name), its answer kept for answer.
func (c *Client) speculate(ctx context.Context, spec sources.SignalSpec, label string, at time.Time) *ranking {
	r := &ranking{cancel: func() {}}
	if !labelName.MatchString(label) {
		return r
	}
	ctx, r.cancel = context.WithTimeout(ctx, c.timeout)
	r.label, r.done = label, make(chan struct{})
	go func() {
		defer close(r.done)
		r.v, r.notes, r.err = c.rank(ctx, spec, label, at)
	}()
	return r
}

// answer is the ranking's answer when it was asked by label (waiting for
// it), else nil, nil, nil: it is cancelled, and the caller asks itself.
func (r *ranking) answer(label string) (model.Value, []string, error) {
	if r.label == "" || r.label != label {
		r.cancel()
		return nil, nil, nil
	}
	<-r.done
	return r.v, r.notes, r.err
}

// splitBefore is the label query was last split by when none was asked,
// the first preferred label before that.
func (c *Client) splitBefore(query string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if l, ok := c.splitBy[query]; ok {
		return l
	}
	return preferredLabels[0]
}

// splitAgain remembers label as the one query was split by.
func (c *Client) splitAgain(query, label string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.splitBy == nil {
		c.splitBy = map[string]string{}
	}
	c.splitBy[query] = label
}

// rowsOf are the rows of the values in vec, their charts from matrix over
// w (none when w has no step), largest first, at most MaxBreakdownRows.
func rowsOf(vec model.Vector, matrix model.Matrix, label string, w sources.Window) []sources.BreakdownRow {
	rows := map[string]*sources.BreakdownRow{}
	row := func(m model.Metric) *sources.BreakdownRow {
		key := string(m[model.LabelName(label)])
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
	all := make([]sources.BreakdownRow, 0, len(rows))
	for _, r := range rows {
		r.Min, r.Max = math.NaN(), math.NaN()
		if lo, hi, ok := sources.MinMax(append(slices.Clone(r.Points), r.Current)...); ok {
			r.Min, r.Max = lo, hi
		}
		all = append(all, *r)
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
	return all
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
