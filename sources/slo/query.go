package slo

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/opsdeck/opsdeck/internal/promql"
	"github.com/opsdeck/opsdeck/sources"
)

// windowLabel carries each error ratio's window (in seconds) in the one
// query an objective is read with.
const windowLabel = "opsdeck_window"

// objective is one objective found or declared, with the one query that
// reads its error ratio over every window.
type objective struct {
	name, origin string
	objective    float64
	window       time.Duration
	query        string
}

// Declared is an objective from the configuration (checked there): errors
// and total are counter selectors (or PromQL with {{.window}} where the
// range goes, as in sloth's specs); the latency form counts as errors the
// events of Latency's histogram slower than Threshold (its bucket's le).
type Declared struct {
	Name      string
	Objective float64 // percent, as configured: 99.9
	Window    time.Duration
	Errors    string
	Total     string
	Latency   string
	Threshold float64
}

// batch is one PromQL that answers the error ratio of every window of
// ratios, each sample labelled with its window in seconds: one query per
// objective per refresh.
func batch(ratios map[time.Duration]string) string {
	windows := slices.Sorted(maps.Keys(ratios))
	parts := make([]string, 0, len(windows))
	for _, w := range windows {
		parts = append(parts, fmt.Sprintf(`label_replace(%s, %q, %q, "", "")`, ratios[w], windowLabel, strconv.Itoa(int(w.Seconds()))))
	}
	return "max by (" + windowLabel + ") (" + strings.Join(parts, " or ") + ")"
}

// promDuration writes d as PromQL does (30d, 1h, 5m), whole units only.
func promDuration(d time.Duration) string { return model.Duration(d).String() }

// allWindows are SLOWindows and the objective's own.
func allWindows(own time.Duration) []time.Duration {
	out := slices.Clone(sources.SLOWindows)
	if !slices.Contains(out, own) {
		out = append(out, own)
	}
	return out
}

// eventsOver is the rate of events over w of a declared query: a counter
// selector summed, or the query with {{.window}} filled in.
func eventsOver(q string, w time.Duration) string {
	if strings.Contains(q, "{{.window}}") {
		return "(" + strings.ReplaceAll(q, "{{.window}}", promDuration(w)) + ")"
	}
	return "sum(rate(" + strings.TrimSpace(q) + "[" + promDuration(w) + "]))"
}

// declared is d's objective with its derived query.
func declared(d Declared) objective {
	ratios := map[time.Duration]string{}
	for _, w := range allWindows(d.Window) {
		var errs, total string
		if sel, err := promql.Selectors(d.Latency); d.Latency != "" && err == nil && len(sel) == 1 {
			count, bucket := histogramParts(sel[0], d.Threshold)
			total = "sum(rate(" + count + "[" + promDuration(w) + "]))"
			errs = "(" + total + " - sum(rate(" + bucket + "[" + promDuration(w) + "])))"
		} else {
			errs, total = eventsOver(d.Errors, w), eventsOver(d.Total, w)
		}
		ratios[w] = errs + " / " + total
	}
	return objective{name: d.Name, origin: "config", objective: d.Objective / 100, window: d.Window, query: batch(ratios)}
}

// histogramParts are the _count and the threshold's _bucket selectors of a
// histogram selected by sel.
func histogramParts(sel promql.Selector, le float64) (count, bucket string) {
	c := promql.Selector{Name: sel.Name + "_count", Matchers: sel.Matchers}
	b := promql.Selector{Name: sel.Name + "_bucket", Matchers: append(slices.Clone(sel.Matchers), promql.Matcher{Name: "le", Op: "=~", Value: leValues(le)})}
	return c.String(), b.String()
}

// leValues matches the bucket of bound le however the server writes it: a
// whole bound is "1" in the exposition and "1.0" once Prometheus 3
// normalises classic histograms.
func leValues(le float64) string {
	s := strconv.FormatFloat(le, 'f', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		return regexp.QuoteMeta(s) + `|` + regexp.QuoteMeta(s+".0")
	}
	return regexp.QuoteMeta(s)
}
