package jaeger

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/internal/sandbox/originapi"
	"github.com/opsdeck/opsdeck/internal/sandbox/otelspans"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/httpapi"
	"github.com/opsdeck/opsdeck/sources/prometheus"
)

// TestExemplarToTrace: the synthetic API traces its requests into a real
// Jaeger and names the trace ids as exemplars to a real Prometheus; the
// slowest exemplar's trace, read through this client, is what Jaeger's own
// API returns for that id (spans, names, parents, durations), in tree
// order, with the slow query's statement on its database span.
func TestExemplarToTrace(t *testing.T) {
	t.Parallel()
	sandboxtest.SkipServers(t, "Jaeger and Prometheus")
	j := sandboxtest.NewJaeger(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	api := originapi.New()
	addr, err := api.Serve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Through the OpenTelemetry SDK, as an instrumented service sends them.
	shutdown, err := otelspans.Export(ctx, api, j.OTLPEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown()
	go api.Run(ctx, originapi.Schedule{Start: time.Now(), Period: time.Hour, Hit: "/api/chat", Always: "latency"}, 31)
	prom := sandboxtest.NewPrometheus(t, servers.PrometheusOptions{Targets: []string{addr}, Exemplars: true})
	pc, err := prometheus.New(prometheus.Options{URL: prom.URL()})
	if err != nil {
		t.Fatal(err)
	}
	jc, err := New(httpapi.APIOptions{URL: j.QueryURL()})
	if err != nil {
		t.Fatal(err)
	}
	q := config.DefaultQueries(config.DefaultSelector, config.DefaultRateWindow)
	p95 := sources.SignalSpec{Key: sources.P95Latency, Query: q.P95Latency, Unit: units.Seconds}

	// The slowest exemplar, once its trace has reached Jaeger.
	var ex sources.Exemplar
	var tr sources.Trace
	wait.Eventually(t, "an exemplar's trace in Jaeger", func() error {
		r, err := pc.Exemplars(ctx, p95, time.Now().Add(-time.Minute), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Exemplars) == 0 {
			return errors.New("no exemplar")
		}
		ex = r.Exemplars[0]
		if tr, err = jc.Trace(ctx, ex.TraceID); err != nil && !strings.Contains(err.Error(), "not in Jaeger") {
			t.Fatal(err)
		}
		return err
	}, wait.Context(ctx))
	if ex.Labels["handler"] != "/api/chat" || tr.ID != ex.TraceID {
		t.Errorf("the slowest exemplar %+v, its trace %s", ex, tr.ID)
	}

	// Jaeger's own answer, decoded apart.
	resp, err := http.Get(j.QueryURL() + "/api/traces/" + ex.TraceID)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw struct {
		Data []struct {
			Spans []struct {
				SpanID, OperationName string
				References            []struct{ SpanID string }
				Duration              int64
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil || len(raw.Data) != 1 {
		t.Fatalf("jaeger: %v %+v", err, raw)
	}
	if got, want := len(tr.Spans), len(raw.Data[0].Spans); got != want || got != 3 {
		t.Fatalf("%d spans, Jaeger %d, want 3", got, want)
	}
	byID := map[string]sources.Span{}
	for _, s := range tr.Spans {
		byID[s.ID] = s
	}
	for _, w := range raw.Data[0].Spans {
		s, ok := byID[w.SpanID]
		parent := ""
		if len(w.References) > 0 {
			parent = w.References[0].SpanID
		}
		if !ok || s.Operation != w.OperationName || s.Parent != parent || s.Duration != time.Duration(w.Duration)*time.Microsecond {
			t.Errorf("span %s: ours %+v, Jaeger %+v", w.SpanID, s, w)
		}
	}
	root := tr.Spans[0]
	if root.Depth != 0 || root.Operation != "POST /api/chat" || root.Service != originapi.ServiceName || root.Duration.Seconds() < ex.Value*0.99 {
		t.Errorf("root %+v (exemplar %v s)", root, ex.Value)
	}
	// Jaeger's search, the list's fallback when a signal has no exemplars:
	// the service's traces, the slow route's first.
	found, err := jc.Search(ctx, originapi.ServiceName, time.Now().Add(-time.Minute), time.Now(), 10)
	if err != nil || len(found) == 0 {
		t.Fatalf("search: %v %v", found, err)
	}
	if top := found[0]; top.Labels["route"] != "POST /api/chat" || top.Value < 1 || len(top.TraceID) != 32 {
		t.Errorf("the slowest trace found: %+v", top)
	}
	for i := 1; i < len(found); i++ {
		if found[i].Value > found[i-1].Value {
			t.Errorf("search result %d is slower than the one before it", i)
		}
	}
	if _, err := jc.Search(ctx, "", time.Now().Add(-time.Minute), time.Now(), 10); err == nil || !strings.Contains(err.Error(), "tracing.service") {
		t.Errorf("a search without a service: %v", err)
	}
	db := tr.Spans[2]
	if db.Depth != 1 || db.Parent != root.ID || !strings.HasPrefix(db.Attributes["db.statement"], "SELECT m.id") || db.Attributes["db.system"] != "postgresql" {
		t.Errorf("the database span: %+v", db)
	}
}
