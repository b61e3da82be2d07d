package servers

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// ThanosVersion is the release tools/thanos pins: the newest whose go.mod
// asks for no newer Go than opsdeck's 1.26.8 (v0.42.5 wants 1.26.10).
const ThanosVersion = "0.42.4"

// thanosBuild builds Thanos as its own release does (.promu.yml): with
// slicelabels, without which its protobuf labels, cast from Prometheus's
// in place, read a string's bytes as a slice (the sidecar's first answer
// panics in gRPC's buffer pool on a size of exabytes).
func thanosBuild() pinned {
	const version = "-X github.com/prometheus/common/version."
	return pinned{name: "thanos", version: "v" + ThanosVersion, pkg: "github.com/thanos-io/thanos/cmd/thanos",
		tags:    "netgo,slicelabels",
		ldflags: version + "Version=" + ThanosVersion + " " + version + "Revision=v" + ThanosVersion + " " + version + "Branch=HEAD"}
}

// ThanosBuilt reports whether the cache holds Thanos.
func ThanosBuilt() bool { return thanosBuild().built() }

// BuildThanos builds Thanos into the cache when it is not there yet (a few
// minutes the first time).
func BuildThanos(ctx context.Context) (string, error) { return thanosBuild().build(ctx) }

// ThanosReplicaLabel is the external label that tells the replicas apart,
// the one the querier deduplicates by.
const ThanosReplicaLabel = "replica"

// Thanos is a running throwaway Thanos: a querier in front of two
// Prometheus replicas scraping the same targets, each with its sidecar.
type Thanos struct {
	Dir      string // the replicas' rule files
	Replicas [2]*Prometheus
	Sidecars [2]*ThanosComponent
	Querier  *ThanosComponent
}

// ThanosComponent is a running Thanos sidecar (a replica's data served to
// the querier over gRPC) or querier (the Prometheus query API over HTTP).
type ThanosComponent struct {
	server
	GRPCPort int
	HTTPPort int
}

// URL is the querier's base URL (the Prometheus API under /api/v1).
func (t *Thanos) URL() string { return "http://127.0.0.1:" + strconv.Itoa(t.Querier.HTTPPort) }

// StartThanos runs two Prometheus replicas of opts (external labels
// cluster and replica "a" and "b"), a sidecar beside each and a querier in
// front of both, deduplicating by replica. It returns once the querier
// lists both stores.
func StartThanos(ctx context.Context, opts PrometheusOptions) (_ *Thanos, err error) {
	if err := refuseShort(); err != nil {
		return nil, err
	}
	bin, err := thanosBuild().build(ctx)
	if err != nil {
		return nil, err
	}
	t := &Thanos{}
	defer func() {
		if err != nil {
			t.Stop()
		}
	}()
	// The replicas' rules from one directory, as identical configs load
	// them: Thanos deduplicates rules only within groups of one file.
	if t.Dir, err = makeDir("opsdeck-thanos-", nil); err != nil {
		return nil, err
	}
	rules, err := writeRules(t.Dir, append([]string{opts.Rules}, opts.MoreRules...))
	if err != nil {
		return nil, err
	}
	opts.Rules, opts.MoreRules, opts.RuleFiles = "", nil, append(rules, opts.RuleFiles...)
	var endpoints []string
	for i, name := range []string{"a", "b"} {
		o := opts
		o.ExternalLabels = map[string]string{"cluster": "opsdeck-test", ThanosReplicaLabel: name}
		if t.Replicas[i], err = StartPrometheus(ctx, o); err != nil {
			return nil, err
		}
		t.Sidecars[i], err = startThanos(ctx, bin, "sidecar",
			"--prometheus.url="+t.Replicas[i].URL(), "--tsdb.path="+filepath.Join(t.Replicas[i].Dir, "data"))
		if err != nil {
			return nil, err
		}
		endpoints = append(endpoints, "--endpoint=127.0.0.1:"+strconv.Itoa(t.Sidecars[i].GRPCPort))
	}
	if t.Querier, err = startThanos(ctx, bin, "query", append(endpoints, "--query.replica-label="+ThanosReplicaLabel)...); err != nil {
		return nil, err
	}
	return t, t.waitForStores(ctx, len(endpoints))
}

// startThanos runs a Thanos component (sidecar, query) with args, on
// ports of its own.
func startThanos(ctx context.Context, bin, component string, args ...string) (*ThanosComponent, error) {
	dir, err := makeDir("opsdeck-thanos-"+component+"-", nil)
	if err != nil {
		return nil, err
	}
	c := &ThanosComponent{server: server{Dir: dir, stopSignal: syscall.SIGTERM}}
	c.port = &c.HTTPPort
	c.relaunch = func(ctx context.Context, port int) (*process, error) {
		grpcPort, err := FreePort()
		if err != nil {
			return nil, err
		}
		c.HTTPPort, c.GRPCPort = port, grpcPort
		return launch(ctx, "thanos "+component, dir, nil, c.ready, bin, append([]string{component,
			"--http-address=127.0.0.1:" + strconv.Itoa(port),
			"--grpc-address=127.0.0.1:" + strconv.Itoa(grpcPort),
			"--log.level=warn"}, args...)...)
	}
	if err := c.start(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *ThanosComponent) ready(ctx context.Context) error {
	return answers(ctx, "http://127.0.0.1:"+strconv.Itoa(c.HTTPPort)+"/-/ready", isOK)
}

// Stop shuts the component down: a sidecar's store is then missing from
// the querier's answers (a partial response).
func (c *ThanosComponent) Stop() error {
	if c == nil {
		return nil
	}
	return c.stop()
}

// waitForStores waits until the querier lists n stores, none failing.
func (t *Thanos) waitForStores(ctx context.Context, n int) error {
	api := t.prometheusAPI()
	var last error
	for {
		var stores map[string][]struct {
			Name      string  `json:"name"`
			LastError *string `json:"lastError"`
		}
		last = api.api(ctx, "stores", &stores)
		if last == nil {
			healthy := 0
			for _, s := range stores["sidecar"] {
				if s.LastError == nil {
					healthy++
				}
			}
			if healthy == n {
				return nil
			}
			last = fmt.Errorf("%d of %d sidecars listed healthy: %v", healthy, n, stores)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("thanos query: stores: %v (last: %v)", ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Query evaluates PromQL at time at with a plain HTTP request to the
// querier, as Prometheus.Query does (deduplicated: Thanos's default).
func (t *Thanos) Query(ctx context.Context, query string, at time.Time) ([]Sample, error) {
	return t.prometheusAPI().Query(ctx, query, at)
}

// WaitFor polls query until cond accepts its samples or ctx ends.
func (t *Thanos) WaitFor(ctx context.Context, query string, cond func([]Sample) bool) error {
	return t.prometheusAPI().WaitFor(ctx, query, cond)
}

func (t *Thanos) prometheusAPI() *Prometheus { return &Prometheus{Port: t.Querier.HTTPPort} }

// Stop shuts the querier, the sidecars and the replicas down.
func (t *Thanos) Stop() error {
	if t == nil {
		return nil
	}
	errs := []error{t.Querier.Stop()}
	for i := range t.Sidecars {
		errs = append(errs, t.Sidecars[i].Stop(), t.Replicas[i].Stop())
	}
	if t.Dir != "" {
		errs = append(errs, os.RemoveAll(t.Dir))
	}
	return errors.Join(errs...)
}
