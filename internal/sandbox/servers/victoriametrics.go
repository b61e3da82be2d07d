package servers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// VictoriaMetricsOptions shape a throwaway single-node VictoriaMetrics.
type VictoriaMetricsOptions struct {
	// Targets are host:port addresses serving /metrics, scraped as Job.
	Targets []string
	// Job is the job label of the targets (default "fastapi-app").
	Job string
	// ScrapeInterval defaults to 1s, as the test Prometheus's.
	ScrapeInterval time.Duration
	// VMAlertProxy, a vmalert's URL, is served under the server's own
	// /api/v1/alerts and /api/v1/rules (-vmalert.proxyURL).
	VMAlertProxy string
	// Current runs the current VictoriaMetrics release
	// (VictoriaMetricsVersion, built into the cache by `make
	// victoriametrics`) instead of the system's (Debian's 1.79.5).
	Current bool
}

// DebianVictoriaMetricsVersion is the victoria-metrics Debian packages, the
// one run unless Current (its build reports no version of its own).
const DebianVictoriaMetricsVersion = "1.79.5"

// VictoriaMetricsVersion is the release tools/victoriametrics pins: the
// newest whose go.mod asks for no newer Go than opsdeck's 1.26.8 (v1.152.0
// wants 1.27.1), built from the module proxy.
const VictoriaMetricsVersion = "v1.151.0"

func victoriaMetricsBuild() pinned {
	return pinned{name: "victoriametrics", version: VictoriaMetricsVersion, pkg: "github.com/VictoriaMetrics/VictoriaMetrics/app/victoria-metrics",
		ldflags: "-X github.com/VictoriaMetrics/VictoriaMetrics/lib/buildinfo.Version=victoria-metrics-" + VictoriaMetricsVersion}
}

// VictoriaMetricsBuilt reports whether the cache holds the current
// VictoriaMetrics.
func VictoriaMetricsBuilt() bool { return victoriaMetricsBuild().built() }

// BuildVictoriaMetrics builds the current VictoriaMetrics into the cache
// when it is not there yet (a minute or two the first time).
func BuildVictoriaMetrics(ctx context.Context) (string, error) {
	return victoriaMetricsBuild().build(ctx)
}

// VictoriaMetrics is a running throwaway VictoriaMetrics: it scrapes the
// targets itself (-promscrape.config) and answers the Prometheus query API.
type VictoriaMetrics struct {
	server
	Port int
}

// URL is the server's base URL (the Prometheus API under /api/v1).
func (v *VictoriaMetrics) URL() string { return "http://127.0.0.1:" + strconv.Itoa(v.Port) }

// scrapeConfig is a Prometheus scrape config of targets as job.
func scrapeConfig(job string, interval time.Duration, targets []string) string {
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "global:\n  scrape_interval: %s\nscrape_configs:\n  - job_name: %q\n    static_configs:\n      - targets: [", interval, job)
	for i, t := range targets {
		if i > 0 {
			cfg.WriteString(", ")
		}
		fmt.Fprintf(&cfg, "%q", t)
	}
	cfg.WriteString("]\n")
	return cfg.String()
}

// StartVictoriaMetrics runs victoria-metrics scraping the given targets,
// its data in its own directory.
func StartVictoriaMetrics(ctx context.Context, opts VictoriaMetricsOptions) (*VictoriaMetrics, error) {
	if err := refuseShort(); err != nil {
		return nil, err
	}
	bin, err := victoriaMetricsBuild().orSystem(ctx, opts.Current, "victoria-metrics", "victoria-metrics")
	if err != nil {
		return nil, err
	}
	if opts.Job == "" {
		opts.Job = "fastapi-app"
	}
	if opts.ScrapeInterval == 0 {
		opts.ScrapeInterval = time.Second
	}
	dir, err := makeDir("opsdeck-vm-", nil)
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "scrape.yml")
	if err := os.WriteFile(conf, []byte(scrapeConfig(opts.Job, opts.ScrapeInterval, opts.Targets)), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	v := &VictoriaMetrics{server: server{Dir: dir, stopSignal: syscall.SIGTERM}}
	v.port = &v.Port
	v.relaunch = func(ctx context.Context, port int) (*process, error) {
		v.Port = port
		args := []string{"-storageDataPath=" + filepath.Join(dir, "data"),
			"-httpListenAddr=127.0.0.1:" + strconv.Itoa(port),
			"-promscrape.config=" + conf,
			"-memory.allowedPercent=5", // a test's few series; the default takes 60 % of the machine for caches
			"-loggerLevel=WARN"}
		if opts.VMAlertProxy != "" {
			args = append(args, "-vmalert.proxyURL="+opts.VMAlertProxy)
		}
		return launch(ctx, "victoria-metrics", dir, nil, v.ready, bin, args...)
	}
	if err := v.start(ctx); err != nil {
		return nil, err
	}
	return v, nil
}

// ready: /health answers OK.
func (v *VictoriaMetrics) ready(ctx context.Context) error {
	return answers(ctx, v.URL()+"/health", isOK)
}

// Stop shuts VictoriaMetrics down and removes its directory.
func (v *VictoriaMetrics) Stop() error {
	if v == nil {
		return nil
	}
	return v.stop()
}

// VMAlert is a running vmalert: rules evaluated against a VictoriaMetrics,
// firing alerts sent to an Alertmanager, its own API (/api/v1/rules,
// /api/v1/alerts) on its port.
type VMAlert struct {
	server
	Port int
}

// URL is vmalert's base URL.
func (a *VMAlert) URL() string { return "http://127.0.0.1:" + strconv.Itoa(a.Port) }

// StartVMAlert runs vmalert evaluating rules (the text of a Prometheus rule
// file) every second against vm, notifying alertmanager (host:port), and
// writing its ALERTS series back into vm as Prometheus keeps them.
func StartVMAlert(ctx context.Context, vm *VictoriaMetrics, rules, alertmanager string) (*VMAlert, error) {
	if err := refuseShort(); err != nil {
		return nil, err
	}
	bin, err := LookPath("vmalert", "victoria-metrics")
	if err != nil {
		return nil, err
	}
	dir, err := makeDir("opsdeck-vmalert-", nil)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "rules.yml")
	if err := os.WriteFile(path, []byte(rules), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	a := &VMAlert{server: server{Dir: dir, stopSignal: syscall.SIGTERM}}
	a.port = &a.Port
	a.relaunch = func(ctx context.Context, port int) (*process, error) {
		a.Port = port
		return launch(ctx, "vmalert", dir, nil, a.ready, bin,
			"-rule="+path,
			"-datasource.url="+vm.URL(),
			"-remoteWrite.url="+vm.URL(),
			"-remoteWrite.flushInterval=1s",
			"-notifier.url=http://"+alertmanager,
			"-evaluationInterval=1s",
			"-httpListenAddr=127.0.0.1:"+strconv.Itoa(port),
			"-loggerLevel=WARN")
	}
	if err := a.start(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *VMAlert) ready(ctx context.Context) error {
	return answers(ctx, a.URL()+"/health", isOK)
}

// Stop shuts vmalert down and removes its directory.
func (a *VMAlert) Stop() error {
	if a == nil {
		return nil
	}
	return a.stop()
}
