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
	Sidecars [2]*ThanosSidecar
	Querier  *ThanosQuerier
}

// ThanosSidecar is a running Thanos sidecar: a replica's data served to the
// querier over gRPC (its Port).
type ThanosSidecar struct {
	server
	Port     int
	HTTPPort int
}

// ThanosQuerier is a running Thanos querier: the Prometheus query API on
// its Port, answered from the stores it fans out to.
type ThanosQuerier struct {
	server
	Port     int
	GRPCPort int
}

// URL is the querier's base URL (the Prometheus API under /api/v1).
func (t *Thanos) URL() string { return "http://127.0.0.1:" + strconv.Itoa(t.Querier.Port) }

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
		if t.Sidecars[i], err = startThanosSidecar(ctx, bin, t.Replicas[i]); err != nil {
			return nil, err
		}
		endpoints = append(endpoints, "127.0.0.1:"+strconv.Itoa(t.Sidecars[i].Port))
	}
	if t.Querier, err = startThanosQuerier(ctx, bin, endpoints); err != nil {
		return nil, err
	}
	return t, t.waitForStores(ctx, len(endpoints))
}

// startThanosSidecar runs a sidecar of replica.
func startThanosSidecar(ctx context.Context, bin string, replica *Prometheus) (*ThanosSidecar, error) {
	dir, err := makeDir("opsdeck-thanos-sidecar-", nil)
	if err != nil {
		return nil, err
	}
	s := &ThanosSidecar{server: server{Dir: dir, stopSignal: syscall.SIGTERM}}
	s.port = &s.Port
	s.relaunch = func(ctx context.Context, port int) (*process, error) {
		httpPort, err := FreePort()
		if err != nil {
			return nil, err
		}
		s.Port, s.HTTPPort = port, httpPort
		return launch(ctx, "thanos sidecar", dir, nil, s.ready, bin, "sidecar",
			"--prometheus.url="+replica.URL(),
			"--tsdb.path="+filepath.Join(replica.Dir, "data"),
			"--grpc-address=127.0.0.1:"+strconv.Itoa(port),
			"--http-address=127.0.0.1:"+strconv.Itoa(httpPort),
			"--log.level=warn")
	}
	proc, err := withPortRetry(func(port int) (*process, error) { return s.relaunch(ctx, port) })
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s.proc = proc
	return s, nil
}

func (s *ThanosSidecar) ready(ctx context.Context) error {
	return answers(ctx, "http://127.0.0.1:"+strconv.Itoa(s.HTTPPort)+"/-/ready", isOK)
}

// Stop shuts the sidecar down, its store then missing from the querier's
// answers (a partial response).
func (s *ThanosSidecar) Stop() error {
	if s == nil {
		return nil
	}
	return s.stop()
}

// startThanosQuerier runs a querier of the stores at endpoints.
func startThanosQuerier(ctx context.Context, bin string, endpoints []string) (*ThanosQuerier, error) {
	dir, err := makeDir("opsdeck-thanos-query-", nil)
	if err != nil {
		return nil, err
	}
	q := &ThanosQuerier{server: server{Dir: dir, stopSignal: syscall.SIGTERM}}
	q.port = &q.Port
	q.relaunch = func(ctx context.Context, port int) (*process, error) {
		grpcPort, err := FreePort()
		if err != nil {
			return nil, err
		}
		q.Port, q.GRPCPort = port, grpcPort
		args := []string{"query",
			"--http-address=127.0.0.1:" + strconv.Itoa(port),
			"--grpc-address=127.0.0.1:" + strconv.Itoa(grpcPort),
			"--query.replica-label=" + ThanosReplicaLabel,
			"--log.level=warn"}
		for _, e := range endpoints {
			args = append(args, "--endpoint="+e)
		}
		return launch(ctx, "thanos query", dir, nil, q.ready, bin, args...)
	}
	proc, err := withPortRetry(func(port int) (*process, error) { return q.relaunch(ctx, port) })
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	q.proc = proc
	return q, nil
}

func (q *ThanosQuerier) ready(ctx context.Context) error {
	return answers(ctx, "http://127.0.0.1:"+strconv.Itoa(q.Port)+"/-/ready", isOK)
}

// Stop shuts the querier down.
func (q *ThanosQuerier) Stop() error {
	if q == nil {
		return nil
	}
	return q.stop()
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

func (t *Thanos) prometheusAPI() *Prometheus { return &Prometheus{Port: t.Querier.Port} }

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
