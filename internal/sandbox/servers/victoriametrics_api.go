package servers

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Query evaluates PromQL at time at with a plain HTTP request, as
// Prometheus.Query does: the same API asked the same way, so that tests
// compare opsdeck against the server itself.
func (v *VictoriaMetrics) Query(ctx context.Context, query string, at time.Time) ([]Sample, error) {
	return v.prometheusAPI().Query(ctx, query, at)
}

// WaitFor polls query until cond accepts its samples or ctx ends.
func (v *VictoriaMetrics) WaitFor(ctx context.Context, query string, cond func([]Sample) bool) error {
	return v.prometheusAPI().WaitFor(ctx, query, cond)
}

// prometheusAPI is the server's Prometheus-compatible API as
// Prometheus's own helpers ask it (they need only the port).
func (v *VictoriaMetrics) prometheusAPI() *Prometheus { return &Prometheus{Port: v.Port} }

// Import loads history (OpenMetrics text with timestamps, as
// PrometheusOptions.History writes it) through /api/v1/import/prometheus,
// which wants the exposition format's millisecond timestamps, and flushes it
// so that the next query sees it.
func (v *VictoriaMetrics) Import(ctx context.Context, history func(w io.Writer) error) error {
	var om bytes.Buffer
	if err := history(&om); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	var text bytes.Buffer
	sc := bufio.NewScanner(&om)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			return fmt.Errorf("history line without a timestamp: %q", line)
		}
		// "1796585291.660" seconds (always three decimals) -> milliseconds.
		text.WriteString(line[:i+1] + strings.Replace(line[i+1:], ".", "", 1) + "\n")
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if err := v.post(ctx, "/api/v1/import/prometheus", &text); err != nil {
		return err
	}
	return v.post(ctx, "/internal/force_flush", nil)
}

// ImportJSON loads series written in VictoriaMetrics' JSON line format
// (/api/v1/import: one series a line, its values and millisecond
// timestamps) and flushes them so that the next query sees them.
func (v *VictoriaMetrics) ImportJSON(ctx context.Context, lines io.Reader) error {
	if err := v.post(ctx, "/api/v1/import", lines); err != nil {
		return err
	}
	return v.post(ctx, "/internal/force_flush", nil)
}

func (v *VictoriaMetrics) post(ctx context.Context, path string, body io.Reader) error {
	method := http.MethodPost
	if body == nil {
		method = http.MethodGet
	}
	req, err := http.NewRequestWithContext(ctx, method, v.URL()+path, body)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s: %s: %s", path, resp.Status, bytes.TrimSpace(b))
	}
	return nil
}
