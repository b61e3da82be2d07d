package sandboxtest

import (
	"context"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
)

// Store is a server speaking Prometheus's query API, as a test asks it
// directly to compare opsdeck's answers with the server's own.
type Store interface {
	URL() string
	Query(ctx context.Context, query string, at time.Time) ([]servers.Sample, error)
	WaitFor(ctx context.Context, query string, cond func([]servers.Sample) bool) error
}

// Flavour is one column of the feature table: a server opsdeck's Prometheus
// client is tested against.
type Flavour struct {
	Name string
	// VictoriaMetrics: victoria-metrics (rules through Debian's vmalert);
	// else Prometheus. Current: the current release (built into the cache)
	// rather than Debian's.
	VictoriaMetrics bool
	Current         bool
	// Thanos: a Thanos querier in front of two replicas of Debian's
	// Prometheus, each with its sidecar, deduplicated by replica.
	Thanos bool
	// Lag is how far behind now the server evaluates an instant query asked
	// for now (VictoriaMetrics' -search.latencyOffset); an instant older
	// than that is evaluated where asked.
	Lag time.Duration
}

// Flavours are Debian's Prometheus (2.42), the current release, Debian's
// VictoriaMetrics (1.79.5), the current release of it, which tells itself
// apart differently (its build info names a Prometheus version), and a
// Thanos querier.
func Flavours() []Flavour {
	return []Flavour{
		{Name: "prometheus-2.42"},
		{Name: "prometheus-current", Current: true},
		{Name: "victoriametrics", VictoriaMetrics: true, Lag: 30 * time.Second},
		{Name: "victoriametrics-current", VictoriaMetrics: true, Current: true, Lag: 30 * time.Second},
		{Name: "thanos", Thanos: true},
	}
}

// OnEachFlavour runs test against every flavour, in parallel.
func OnEachFlavour(t *testing.T, test func(t *testing.T, f Flavour)) {
	t.Helper()
	for _, f := range Flavours() {
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			test(t, f)
		})
	}
}

// Latest is the latest instant the flavour evaluates where asked: a
// second ago, or its lag and a second ago.
func (f Flavour) Latest() time.Time {
	return time.Now().Add(-time.Second - f.Lag).Truncate(time.Millisecond)
}

// Start starts the flavour for one test, shaped by opts: targets, job,
// scrape interval, history and rules on every flavour; on VictoriaMetrics
// the rules (one file, opts.Rules) are evaluated by a vmalert of their own
// notifying opts.Alertmanager (or one started for it), and no exemplars
// are kept; on Thanos both replicas scrape, keep the history and evaluate
// the rules.
func (f Flavour) Start(t testing.TB, opts servers.PrometheusOptions) Store {
	t.Helper()
	if f.Thanos {
		return NewThanos(t, opts)
	}
	if !f.VictoriaMetrics {
		opts.Current = f.Current
		return NewPrometheus(t, opts)
	}
	vm := NewVictoriaMetrics(t, servers.VictoriaMetricsOptions{Targets: opts.Targets, Job: opts.Job, ScrapeInterval: opts.ScrapeInterval, Current: f.Current})
	if opts.History != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := vm.Import(ctx, opts.History); err != nil {
			t.Fatalf("sandboxtest: VictoriaMetrics history: %v", err)
		}
	}
	store := &VMStore{VictoriaMetrics: vm}
	if opts.Rules != "" {
		am := opts.Alertmanager
		if am == "" {
			am = NewAlertmanager(t).Addr()
		}
		store.VMAlert = NewVMAlert(t, vm, opts.Rules, am)
	}
	return store
}

// VMStore is VictoriaMetrics with the vmalert evaluating its rules (nil
// when it has none).
type VMStore struct {
	*servers.VictoriaMetrics
	VMAlert *servers.VMAlert
}

// AlertsURL is the URL of the server evaluating s's rules apart from it
// (vmalert), "" when s evaluates its own or has none.
func AlertsURL(s Store) string {
	if vs, ok := s.(*VMStore); ok && vs.VMAlert != nil {
		return vs.VMAlert.URL()
	}
	return ""
}

// NewThanos starts a Thanos querier in front of two Prometheus replicas of
// opts, each with its sidecar, for one test.
func NewThanos(t testing.TB, opts servers.PrometheusOptions) *servers.Thanos {
	t.Helper()
	timeout := 2 * time.Minute
	if !servers.ThanosBuilt() {
		timeout = 20 * time.Minute
	}
	return startFor(t, "Thanos", timeout, func(ctx context.Context) (*servers.Thanos, error) {
		return servers.StartThanos(ctx, opts)
	})
}
