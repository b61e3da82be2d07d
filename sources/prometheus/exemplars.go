package prometheus

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/sources"
)

// apiExemplars is one series' entry of /api/v1/query_exemplars. An
// exemplar's labels are kept as they came until it is among those kept.
type apiExemplars struct {
	SeriesLabels map[string]string `json:"seriesLabels"`
	Exemplars    []struct {
		Labels    json.RawMessage `json:"labels"`
		Value     string          `json:"value"`
		Timestamp float64         `json:"timestamp"`
	} `json:"exemplars"`
}

// ranked is an exemplar as ranked: its series' labels and its own, as
// they came.
type ranked struct {
	at     time.Time
	value  float64
	labels json.RawMessage
	series map[string]string
}

// traceLabels are the names instrumentations give an exemplar's trace id.
var traceLabels = []string{"trace_id", "traceID", "traceId", "trace.id"}

// exemplarSpan is the longest stretch of a window read at once: a
// 15-minute latency window of a busy API holds tens of thousands of
// exemplars (some 1.5 MB of JSON), of which MaxExemplars are kept, so the
// window is read piece by piece, keeping the largest after each.
const exemplarSpan = 2 * time.Minute

// Exemplars reads the exemplars of the series spec's query reads, over
// [start, end]: largest value first, at most MaxExemplars. None found is
// explained: exemplar storage off, or nothing recorded.
func (c *Client) Exemplars(ctx context.Context, spec sources.SignalSpec, start, end time.Time) (sources.ExemplarReading, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var kept []ranked
	seen := 0
	for from := start; !from.After(end); from = from.Add(exemplarSpan) {
		to := from.Add(exemplarSpan - time.Millisecond) // the API's bounds are inclusive, in milliseconds
		if to.After(end) {
			to = end
		}
		var raw []apiExemplars
		params := url.Values{"query": {spec.Query}, "start": {apiTime(from)}, "end": {apiTime(to)}}
		if err := c.call(ctx, "/query_exemplars", params, &raw); err != nil {
			return sources.ExemplarReading{}, c.classify(ctx, err)
		}
		for _, s := range raw {
			for _, e := range s.Exemplars {
				v, err := strconv.ParseFloat(e.Value, 64)
				if err != nil || math.IsNaN(e.Timestamp) {
					continue
				}
				kept = append(kept, ranked{at: time.UnixMilli(int64(e.Timestamp * 1000)), value: v, labels: e.Labels, series: s.SeriesLabels})
				seen++
			}
		}
		// Largest first; ties by the labels as sent, which start with the
		// trace id where it is the exemplar's one label.
		slices.SortFunc(kept, func(a, b ranked) int {
			return cmp.Or(cmp.Compare(b.value, a.value), b.at.Compare(a.at), bytes.Compare(a.labels, b.labels))
		})
		kept = kept[:min(len(kept), sources.MaxExemplars)]
	}
	r := sources.ExemplarReading{Dropped: seen - len(kept)}
	for _, k := range kept {
		r.Exemplars = append(r.Exemplars, k.exemplar())
	}
	if len(r.Exemplars) == 0 {
		r.Diagnosis = c.noExemplars(ctx)
	}
	return r, nil
}

// noExemplars says why a query has no exemplars: the server does not keep
// them, or the application records none (or is not scraped as OpenMetrics,
// the only format that carries them).
func (c *Client) noExemplars(ctx context.Context) string {
	f := c.Flavour(ctx)
	if f.NoExemplars() {
		return "exemplars are not supported by this server: " + f.Name + " keeps none, whatever the application records"
	}
	if f.Name == FlavourThanos {
		// The flags a querier answers are its own: whether the servers
		// behind it keep exemplars cannot be asked through it.
		return "no exemplars in the window: the Prometheus servers behind Thanos keep them only with --enable-feature=exemplar-storage, and the application records them only on series scraped as OpenMetrics"
	}
	var flags map[string]string
	if err := c.call(ctx, "/status/flags", nil, &flags); err == nil {
		if f, ok := flags["enable-feature"]; ok && !strings.Contains(f, "exemplar-storage") {
			return "exemplar storage is off: Prometheus keeps exemplars only with --enable-feature=exemplar-storage"
		}
	}
	return "no exemplars in the window: the application records none on these series, or is not scraped as OpenMetrics (the only format that carries them)"
}

// exemplar is k with its labels: the series' (without __name__ and le) and
// its own, one of which, a trace id, is told apart.
func (k ranked) exemplar() sources.Exemplar {
	ex := sources.Exemplar{At: k.at, Value: k.value, Labels: make(map[string]string, len(k.series))}
	for n, v := range k.series {
		if n != "__name__" && n != "le" {
			ex.Labels[n] = v
		}
	}
	var own map[string]string
	json.Unmarshal(k.labels, &own) // null or broken: no labels of its own
	for n, v := range own {
		if slices.Contains(traceLabels, n) && ex.TraceID == "" {
			ex.TraceID = v
			continue
		}
		ex.Labels[n] = v
	}
	return ex
}
