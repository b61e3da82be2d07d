package prometheus

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/originapi"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/sources"
)

// TestExemplars: the API records a trace id on each request's latency and
// on each failure; a Prometheus keeping exemplars gives them back for the
// P95 and error-rate queries, slowest first, the failing route's on top;
// one that does not keep them is diagnosed in words.
func TestExemplars(t *testing.T) {
	t.Parallel()
	sandboxtest.SkipServers(t, "Prometheus")
	api := originapi.Start(t, originapi.Schedule{Start: time.Now(), Period: time.Hour, Hit: "/api/chat", Always: "both"}, 21)
	on := sandboxtest.NewPrometheus(t, servers.PrometheusOptions{Targets: []string{api}, Exemplars: true})
	off := sandboxtest.NewPrometheus(t, servers.PrometheusOptions{Targets: []string{api}})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, p := range []*servers.Prometheus{on, off} {
		if err := p.WaitFor(ctx, `count_over_time(up[1m]) >= 4`, func(s []servers.Sample) bool { return len(s) == 1 }); err != nil {
			t.Fatal(err)
		}
	}
	specs := goldenSpecs()
	end := time.Now()
	c := newClient(t, Options{URL: on.URL()})
	hex := regexp.MustCompile(`^[0-9a-f]{32}$`)

	lat, err := c.Exemplars(ctx, specs[sources.P95Latency], end.Add(-time.Minute), end)
	if err != nil {
		t.Fatal(err)
	}
	if len(lat.Exemplars) < 4 || lat.Diagnosis != "" {
		t.Fatalf("latency exemplars: %d, diagnosis %q", len(lat.Exemplars), lat.Diagnosis)
	}
	for i, e := range lat.Exemplars {
		if !hex.MatchString(e.TraceID) || e.Labels["handler"] == "" || e.Labels["trace_id"] != "" || e.At.After(end) || e.At.Before(end.Add(-time.Minute)) {
			t.Errorf("exemplar %d: %+v", i, e)
		}
		if i > 0 && e.Value > lat.Exemplars[i-1].Value {
			t.Errorf("exemplar %d (%v) is larger than the one before it", i, e.Value)
		}
	}
	if top := lat.Exemplars[0]; top.Labels["handler"] != "/api/chat" || top.Value < 1 {
		t.Errorf("the slowest exemplar is not the slow route's: %+v", top)
	}
	errs, err := c.Exemplars(ctx, specs[sources.ErrorRate], end.Add(-time.Minute), end)
	if err != nil {
		t.Fatal(err)
	}
	if len(errs.Exemplars) == 0 {
		t.Fatal("no exemplars of failures")
	}
	for _, e := range errs.Exemplars {
		if e.Labels["status"] != "5xx" || !hex.MatchString(e.TraceID) {
			t.Errorf("a failure's exemplar: %+v", e)
		}
	}

	// Storage on, but a gauge nobody records exemplars on.
	mem, err := c.Exemplars(ctx, specs[sources.Memory], end.Add(-time.Minute), end)
	if err != nil || len(mem.Exemplars) != 0 || !strings.Contains(mem.Diagnosis, "records none") {
		t.Errorf("memory: %+v %v", mem, err)
	}

	none, err := newClient(t, Options{URL: off.URL()}).Exemplars(ctx, specs[sources.P95Latency], end.Add(-time.Minute), end)
	if err != nil {
		t.Fatal(err)
	}
	if len(none.Exemplars) != 0 || !strings.Contains(none.Diagnosis, "exemplar storage is off") || !strings.Contains(none.Diagnosis, "--enable-feature=exemplar-storage") {
		t.Errorf("without exemplar storage: %+v", none)
	}
}
