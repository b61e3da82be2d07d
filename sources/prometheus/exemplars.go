package prometheus

import (
	"cmp"
	"context"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/sources"
)

// apiExemplars is one series' entry of /api/v1/query_exemplars.
type apiExemplars struct {
	SeriesLabels map[string]string `json:"seriesLabels"`
	Exemplars    []struct {
		Labels    map[string]string `json:"labels"`
		Value     string            `json:"value"`
		Timestamp float64           `json:"timestamp"`
	} `json:"exemplars"`
}

// traceLabels are the names instrumentations give an exemplar's trace id.
var traceLabels = []string{"trace_id", "traceID", "traceId", "trace.id"}

// Exemplars reads the exemplars of the series spec's query reads, over
// [start, end]: largest value first, at most MaxExemplars. None found is
// explained: exemplar storage off, or nothing recorded.
func (c *Client) Exemplars(ctx context.Context, spec sources.SignalSpec, start, end time.Time) (sources.ExemplarReading, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var raw []apiExemplars
	params := url.Values{"query": {spec.Query}, "start": {apiTime(start)}, "end": {apiTime(end)}}
	if err := c.call(ctx, "/query_exemplars", params, &raw); err != nil {
		return sources.ExemplarReading{}, c.classify(ctx, err)
	}
	var r sources.ExemplarReading
	for _, s := range raw {
		for _, e := range s.Exemplars {
			v, err := strconv.ParseFloat(e.Value, 64)
			if err != nil || math.IsNaN(e.Timestamp) {
				continue
			}
			ex := sources.Exemplar{At: time.UnixMilli(int64(e.Timestamp * 1000)), Value: v, Labels: map[string]string{}}
			for k, v := range s.SeriesLabels {
				if k != "__name__" && k != "le" {
					ex.Labels[k] = v
				}
			}
			for k, v := range e.Labels {
				if slices.Contains(traceLabels, k) && ex.TraceID == "" {
					ex.TraceID = v
					continue
				}
				ex.Labels[k] = v
			}
			r.Exemplars = append(r.Exemplars, ex)
		}
	}
	slices.SortFunc(r.Exemplars, func(a, b sources.Exemplar) int {
		return cmp.Or(cmp.Compare(b.Value, a.Value), b.At.Compare(a.At), strings.Compare(a.TraceID, b.TraceID))
	})
	if n := len(r.Exemplars); n > sources.MaxExemplars {
		r.Dropped, r.Exemplars = n-sources.MaxExemplars, r.Exemplars[:sources.MaxExemplars]
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
	var flags map[string]string
	if err := c.call(ctx, "/status/flags", nil, &flags); err == nil {
		if f, ok := flags["enable-feature"]; ok && !strings.Contains(f, "exemplar-storage") {
			return "exemplar storage is off: Prometheus keeps exemplars only with --enable-feature=exemplar-storage"
		}
	}
	return "no exemplars in the window: the application records none on these series, or is not scraped as OpenMetrics (the only format that carries them)"
}
