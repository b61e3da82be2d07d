package servers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// PrometheusOptions shape a throwaway Prometheus.
type PrometheusOptions struct {
	// Targets are host:port addresses serving /metrics, scraped as Job.
	Targets []string
	// Job is the job label of the targets (default "fastapi-app", Origin's).
	Job string
	// ScrapeInterval defaults to 1s so tests see data quickly.
	ScrapeInterval time.Duration
	// Rules is the text of a rule file (alerting/recording rules), if any.
	Rules string
	// MoreRules are more rule files' texts, each loaded as a file of its
	// own (sloth's generated SLO rules beside the alert rules).
	MoreRules []string
	// RuleFiles are rule files written elsewhere, listed as they are: the
	// replicas of an HA pair load the same files, so that Thanos tells
	// their rules for one.
	RuleFiles []string
	// History, if set, writes OpenMetrics text with timestamps that is
	// loaded as past data before the server starts (promtool backfill).
	History func(w io.Writer) error
	// Exemplars turns exemplar storage on (the targets must serve
	// OpenMetrics for their exemplars to be kept).
	Exemplars bool
	// Alertmanager, when set (host:port), receives the firing alerts,
	// resent every second rather than every minute.
	Alertmanager string
	// ExternalLabels are the global external labels (a Thanos replica's
	// identity).
	ExternalLabels map[string]string
	// Current runs the current Prometheus release (PrometheusVersion,
	// built into the cache by `make prometheus`) instead of the system's
	// (Debian's 2.42).
	Current bool
}

// PrometheusVersion is the release tools/prometheus pins (module version
// v0.316.0): the current one, built from the module proxy without service
// discovery, which nothing here uses.
const PrometheusVersion = "3.16.0"

func prometheusBuild() pinned {
	return pinned{name: "prometheus", version: "v" + PrometheusVersion, pkg: "github.com/prometheus/prometheus/cmd/prometheus",
		tags: "remove_all_sd", ldflags: "-X github.com/prometheus/common/version.Version=" + PrometheusVersion}
}

// PrometheusBuilt reports whether the cache holds the current Prometheus.
func PrometheusBuilt() bool { return prometheusBuild().built() }

// BuildPrometheus builds the current Prometheus into the cache when it is
// not there yet (a minute or two the first time).
func BuildPrometheus(ctx context.Context) (string, error) { return prometheusBuild().build(ctx) }

// Prometheus is a running throwaway Prometheus server.
type Prometheus struct {
	server
	Port int
}

// URL is the server's base URL.
func (p *Prometheus) URL() string { return "http://127.0.0.1:" + strconv.Itoa(p.Port) }

// StartPrometheus runs prometheus scraping the given targets.
func StartPrometheus(ctx context.Context, opts PrometheusOptions) (*Prometheus, error) {
	if err := refuseShort(); err != nil {
		return nil, err
	}
	bin, err := prometheusBuild().orSystem(ctx, opts.Current, "prometheus", "prometheus")
	if err != nil {
		return nil, err
	}
	if opts.Job == "" {
		opts.Job = "fastapi-app"
	}
	if opts.ScrapeInterval == 0 {
		opts.ScrapeInterval = time.Second
	}
	dir, err := makeDir("opsdeck-prom-", nil)
	if err != nil {
		return nil, err
	}
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "global:\n  scrape_interval: %s\n  evaluation_interval: %s\n", opts.ScrapeInterval, opts.ScrapeInterval)
	if len(opts.ExternalLabels) > 0 {
		cfg.WriteString("  external_labels:\n")
		for _, k := range slices.Sorted(maps.Keys(opts.ExternalLabels)) {
			fmt.Fprintf(&cfg, "    %s: %q\n", k, opts.ExternalLabels[k])
		}
	}
	rules, err := writeRules(dir, append([]string{opts.Rules}, opts.MoreRules...))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if rules = append(rules, opts.RuleFiles...); len(rules) > 0 {
		quoted := make([]string, len(rules))
		for i, r := range rules {
			quoted[i] = strconv.Quote(r)
		}
		fmt.Fprintf(&cfg, "rule_files: [%s]\n", strings.Join(quoted, ", "))
	}
	if opts.Alertmanager != "" {
		fmt.Fprintf(&cfg, "alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: [%q]\n", opts.Alertmanager)
	}
	fmt.Fprintf(&cfg, "scrape_configs:\n  - job_name: %q\n    static_configs:\n      - targets: [", opts.Job)
	for i, t := range opts.Targets {
		if i > 0 {
			cfg.WriteString(", ")
		}
		fmt.Fprintf(&cfg, "%q", t)
	}
	cfg.WriteString("]\n")
	confPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(confPath, []byte(cfg.String()), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if opts.History != nil {
		if err := backfill(ctx, dir, opts.History); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	p := &Prometheus{server: server{Dir: dir, stopSignal: syscall.SIGTERM}}
	p.port = &p.Port
	p.relaunch = func(ctx context.Context, port int) (*process, error) {
		p.Port = port
		args := []string{"--config.file=" + confPath,
			"--storage.tsdb.path=" + filepath.Join(dir, "data"),
			"--web.listen-address=127.0.0.1:" + strconv.Itoa(port),
			"--log.level=warn"}
		if opts.Exemplars {
			args = append(args, "--enable-feature=exemplar-storage")
		}
		if opts.Alertmanager != "" {
			args = append(args, "--rules.alert.resend-delay=1s")
		}
		return launch(ctx, "prometheus", dir, nil, p.ready, bin, args...)
	}
	if err := p.start(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// writeRules writes each non-empty rule text as a file in dir, and returns
// their paths.
func writeRules(dir string, texts []string) ([]string, error) {
	var paths []string
	for i, text := range texts {
		if text == "" {
			continue
		}
		path := filepath.Join(dir, fmt.Sprintf("rules-%d.yml", i))
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			return nil, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// backfill turns history into TSDB blocks in dir/data with promtool.
func backfill(ctx context.Context, dir string, history func(io.Writer) error) error {
	promtool, err := LookPath("promtool", "prometheus")
	if err != nil {
		return err
	}
	path := filepath.Join(dir, "history.om")
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := history(f); err != nil {
		f.Close()
		return fmt.Errorf("history: %w", err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	out, err := exec.CommandContext(ctx, promtool, "tsdb", "create-blocks-from", "openmetrics", path, filepath.Join(dir, "data")).CombinedOutput()
	if err != nil {
		return fmt.Errorf("promtool backfill: %v\n%s", err, lastLines(string(out), 8))
	}
	return os.Remove(path)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (p *Prometheus) ready(ctx context.Context) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.URL()+"/-/ready", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/-/ready: %s", resp.Status)
	}
	return nil
}

// Stop shuts Prometheus down and removes its directory.
func (p *Prometheus) Stop() error {
	if p == nil {
		return nil
	}
	return p.stop()
}

// Version is the version the server says it is (its build info).
func (p *Prometheus) Version(ctx context.Context) (string, error) {
	var info struct{ Version string }
	if err := p.api(ctx, "status/buildinfo", &info); err != nil {
		return "", err
	}
	if info.Version == "" {
		return "", errors.New("the build info names no version")
	}
	return info.Version, nil
}

// api asks the HTTP API (/api/v1/path) with a plain request, independent of
// opsdeck's client, and decodes the answer's data into data.
func (p *Prometheus) api(ctx context.Context, path string, data any) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.URL()+"/api/v1/"+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var body struct {
		Status string          `json:"status"`
		Error  string          `json:"error"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return err
	}
	if body.Status != "success" {
		return fmt.Errorf("prometheus: %s", body.Error)
	}
	return json.Unmarshal(body.Data, data)
}

// Sample is one series of an instant query, as Prometheus itself answered it.
type Sample struct {
	Labels map[string]string
	Value  float64
}

// Query evaluates PromQL at time at with a plain HTTP request, independent of
// opsdeck's client, so that tests compare opsdeck against Prometheus itself.
func (p *Prometheus) Query(ctx context.Context, query string, at time.Time) ([]Sample, error) {
	q := url.Values{"query": {query}, "time": {strconv.FormatFloat(float64(at.UnixMilli())/1000, 'f', 3, 64)}}
	var data struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	}
	if err := p.api(ctx, "query?"+q.Encode(), &data); err != nil {
		return nil, err
	}
	parse := func(v [2]any) float64 {
		s, _ := v[1].(string)
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return math.NaN()
		}
		return f
	}
	switch data.ResultType {
	case "vector":
		var vec []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		}
		if err := json.Unmarshal(data.Result, &vec); err != nil {
			return nil, err
		}
		out := make([]Sample, len(vec))
		for i, s := range vec {
			out[i] = Sample{Labels: s.Metric, Value: parse(s.Value)}
		}
		return out, nil
	case "scalar":
		var v [2]any
		if err := json.Unmarshal(data.Result, &v); err != nil {
			return nil, err
		}
		return []Sample{{Value: parse(v)}}, nil
	}
	return nil, fmt.Errorf("unexpected result type %q", data.ResultType)
}

// WaitFor polls query until cond accepts its samples or ctx ends.
func (p *Prometheus) WaitFor(ctx context.Context, query string, cond func([]Sample) bool) error {
	var last []Sample
	var lastErr error
	for {
		last, lastErr = p.Query(ctx, query, time.Now())
		if lastErr == nil && cond(last) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %v (last result %v, error %v)", query, ctx.Err(), last, lastErr)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
