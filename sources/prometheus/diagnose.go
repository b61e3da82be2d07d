package prometheus

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/sources"

	"github.com/opsdeck/opsdeck/internal/promql"
	"github.com/opsdeck/opsdeck/internal/suggest"
)

// lookback is how far back diagnosis looks for series, metric names and labels.
const lookback = time.Hour

// metricNameLabel is where Prometheus keeps a series' metric name.
const metricNameLabel = "__name__"

// Diagnose explains why query returns no series, naming the metric or label
// that does not exist and the closest one that does — the three mistakes of
// Origin's Grafana dashboard (status_code for status, http_requests_duration
// for http_request_duration, memory_usage_bytes for origin_memory_usage_bytes)
// are each found this way. Results are cached briefly per query.
func (c *Client) Diagnose(ctx context.Context, query string, at time.Time) string {
	c.mu.Lock()
	if d, ok := c.diagnoses[query]; ok && time.Since(d.at) < cacheTTL {
		c.mu.Unlock()
		return d.text
	}
	c.mu.Unlock()
	text := c.diagnose(ctx, query, at)
	c.mu.Lock()
	c.diagnoses[query] = diagnosis{text: text, at: time.Now()}
	c.mu.Unlock()
	return text
}

func (c *Client) diagnose(ctx context.Context, query string, at time.Time) string {
	selectors, err := promql.Selectors(query)
	if err != nil {
		return "the query does not parse: " + err.Error()
	}
	if len(selectors) == 0 {
		return "the query selects no series at all"
	}
	start := at.Add(-lookback)
	for _, sel := range selectors {
		if why := c.explainSelector(ctx, sel, start, at); why != "" {
			return why
		}
	}
	return "every selector in the query has series, so the expression itself yields nothing: " +
		"a rate window shorter than two scrape intervals, no traffic (0/0), or labels that differ between the two sides of a binary operator"
}

// explainSelector returns why sel matches nothing, or "" when it matches series.
func (c *Client) explainSelector(ctx context.Context, sel promql.Selector, start, end time.Time) string {
	name, others := sel.Name, sel.Matchers
	if name != "" {
		names, err := c.metricNames(ctx, start, end)
		if err != nil {
			return "" // cannot tell; the query error (if any) says more
		}
		if !slices.Contains(names, name) {
			msg := fmt.Sprintf("metric %s does not exist", name)
			if strings.HasPrefix(name, "celery_") && !slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, "celery_") }) {
				// Origin's alert rules ask for them (absent(celery_worker_up)),
				// and only an exporter makes them.
				return msg + "; celery_* metrics come from a Celery exporter, which this Prometheus does not scrape: " + sources.CeleryNoExporter
			}
			if best, ok := suggest.Closest(name, names); ok {
				msg += fmt.Sprintf("; closest: %s", best)
			}
			return msg
		}
	}
	match := []string{sel.String()}
	if name != "" {
		match = []string{name}
	}
	labelNames, err := c.withTimeout(ctx, func(ctx context.Context) ([]string, error) {
		return c.labelNames(ctx, match, start, end)
	})
	if err != nil {
		return ""
	}
	subject := name
	if subject == "" {
		subject = "the selector"
	}
	for _, m := range others {
		if !slices.Contains(labelNames, m.Name) {
			if m.Matches("") {
				continue // {x=""} or {x!="..."} match series without the label
			}
			msg := fmt.Sprintf("label %s does not exist on %s", m.Name, subject)
			candidates := without(labelNames, metricNameLabel)
			if best, ok := suggest.Closest(m.Name, candidates); ok {
				msg += fmt.Sprintf("; closest: %s", best)
			}
			return msg + " (labels: " + strings.Join(candidates, ", ") + ")"
		}
		values, err := c.withTimeout(ctx, func(ctx context.Context) ([]string, error) {
			return c.labelValues(ctx, m.Name, match, start, end)
		})
		if err != nil {
			return ""
		}
		matched, matches := false, m.Matcher()
		for _, v := range values {
			if matches(v) {
				matched = true
				break
			}
		}
		if !matched {
			msg := fmt.Sprintf("no series of %s has %s", subject, m.String())
			if best, ok := suggest.Closest(m.Value, values); ok && m.Op == "=" {
				msg += fmt.Sprintf("; closest value: %s=%q", m.Name, best)
			}
			return msg + " (values: " + strings.Join(limit(values, 8), ", ") + ")"
		}
	}
	series, err := c.withTimeout(ctx, func(ctx context.Context) ([]string, error) {
		ls, err := c.series(ctx, []string{sel.String()}, start, end)
		out := make([]string, len(ls))
		for i, l := range ls {
			out[i] = l.String()
		}
		return out, err
	})
	if err == nil && len(series) == 0 {
		return fmt.Sprintf("each matcher of %s matches some series, but no series matches all of them together", sel.String())
	}
	return ""
}

// metricNames lists metric names seen within the lookback, cached briefly.
func (c *Client) metricNames(ctx context.Context, start, end time.Time) ([]string, error) {
	c.mu.Lock()
	if c.names != nil && time.Since(c.namesAt) < cacheTTL {
		names := c.names
		c.mu.Unlock()
		return names, nil
	}
	c.mu.Unlock()
	names, err := c.withTimeout(ctx, func(ctx context.Context) ([]string, error) {
		return c.labelValues(ctx, metricNameLabel, nil, start, end)
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	c.mu.Lock()
	c.names, c.namesAt = names, time.Now()
	c.mu.Unlock()
	return names, nil
}

func (c *Client) withTimeout(ctx context.Context, f func(context.Context) ([]string, error)) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	return f(ctx)
}

func without(ss []string, drop string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if s != drop {
			out = append(out, s)
		}
	}
	return out
}

func limit(ss []string, n int) []string {
	if len(ss) <= n {
		return ss
	}
	return append(append([]string{}, ss[:n]...), fmt.Sprintf("… %d more", len(ss)-n))
}
