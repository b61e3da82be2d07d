package prometheus

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/originapi"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/sources"
)

// TestFlavours: each real server says what it is, and what differs is said
// in words. Debian's Prometheus and the current release name their
// versions, evaluate now, and, holding no rules, say so rather than "no
// alerts firing"; VictoriaMetrics (Debian's 1.79.5, scraping the same API)
// is told by its empty build info, its 30 s latency offset is measured and
// noted on every reading, its exemplars are unsupported by the server, and
// its 422 for a query it cannot evaluate is "query rejected". A Thanos
// querier names its version, and with exemplar storage on behind it (its
// own flags say nothing of it) no exemplars is not blamed on storage off.
func TestFlavours(t *testing.T) {
	t.Parallel()
	sandboxtest.SkipServers(t, "Prometheus, VictoriaMetrics and Thanos")
	type row struct {
		name      string
		url       func(t *testing.T, api string) string
		flavour   string
		version   string
		offset    bool
		exemplars string
	}
	rows := []row{
		{name: "prometheus-2.42", flavour: FlavourPrometheus, version: "2.42",
			url: func(t *testing.T, api string) string {
				return sandboxtest.NewPrometheus(t, servers.PrometheusOptions{Targets: []string{api}}).URL()
			}, exemplars: "exemplar storage is off"},
		{name: "prometheus-current", flavour: FlavourPrometheus, version: servers.PrometheusVersion,
			url: func(t *testing.T, api string) string {
				return sandboxtest.NewPrometheus(t, servers.PrometheusOptions{Targets: []string{api}, Current: true}).URL()
			}, exemplars: "exemplar storage is off"},
		{name: "victoriametrics", flavour: FlavourVictoriaMetrics, offset: true,
			url: func(t *testing.T, api string) string {
				return sandboxtest.NewVictoriaMetrics(t, servers.VictoriaMetricsOptions{Targets: []string{api}}).URL()
			}, exemplars: "not supported by this server"},
		{name: "victoriametrics-current", flavour: FlavourVictoriaMetrics, offset: true,
			url: func(t *testing.T, api string) string {
				return sandboxtest.NewVictoriaMetrics(t, servers.VictoriaMetricsOptions{Targets: []string{api}, Current: true}).URL()
			}, exemplars: "not supported by this server"},
		{name: "thanos", flavour: FlavourThanos, version: servers.ThanosVersion,
			url: func(t *testing.T, api string) string {
				// Exemplar storage on behind a querier whose own flags
				// have no exemplar-storage: the diagnosis is not misled.
				return sandboxtest.NewThanos(t, servers.PrometheusOptions{Targets: []string{api}, Exemplars: true}).URL()
			}, exemplars: "the Prometheus servers behind Thanos keep them only with"},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			api := originapi.Start(t, originapi.Schedule{Start: time.Now(), Period: time.Hour}, 1)
			c := newClient(t, Options{URL: r.url(t, api)})
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			f := c.Flavour(ctx)
			if f.Name != r.flavour || !strings.HasPrefix(f.Version, r.version) {
				t.Errorf("flavour %+v, want %s %s", f, r.flavour, r.version)
			}
			if name := c.ServerName(ctx); !strings.HasPrefix(name, r.flavour) {
				t.Errorf("server name %q, want %s", name, r.flavour)
			}
			if got := f.LatencyOffset >= 20*time.Second; got != r.offset {
				t.Errorf("latency offset %s, want one: %v", f.LatencyOffset, r.offset)
			}
			// The scrape has landed (up is 1) once a reading has a value.
			spec := sources.SignalSpec{Key: "up", Query: `up{job="fastapi-app"}`}
			var read sources.Reading
			for {
				var err error
				read, err = c.Read(ctx, spec, sources.Window{Now: time.Now()})
				if err == nil && read.HasValue() || ctx.Err() != nil {
					break
				}
				select {
				case <-ctx.Done():
				case <-time.After(200 * time.Millisecond):
				}
			}
			if !read.HasValue() || read.Value != 1 {
				t.Fatalf("up: %+v", read)
			}
			asOf := strings.Contains(strings.Join(read.Notes, "\n"), "as of 30s ago")
			if asOf != r.offset {
				t.Errorf("notes %q: as-of note %v, want %v", read.Notes, asOf, r.offset)
			}
			ex, err := c.Exemplars(ctx, spec, time.Now().Add(-time.Minute), time.Now())
			if err != nil || !strings.Contains(ex.Diagnosis, r.exemplars) {
				t.Errorf("exemplars: %+v %v, want a diagnosis with %q", ex, err, r.exemplars)
			}
			_, err = c.Alerts(ctx)
			var e *Error
			if !errors.As(err, &e) || e.Kind != KindNoRules || !strings.Contains(e.Msg, "evaluates no alert rules") || !errors.Is(err, sources.ErrNoAlerting) {
				t.Errorf("alerts without rules: %v, want %s", err, KindNoRules)
			}
			// A regular expression the server cannot compile: parsed fine
			// by opsdeck, refused by the server when evaluated.
			_, _, err = c.Instant(ctx, `label_replace(up, "a", "$1", "b", "(")`, time.Now())
			if !errors.As(err, &e) || r.offset && e.Kind != KindQueryRejected || !strings.Contains(e.Msg, "regex") && !strings.Contains(e.Msg, "regular expression") {
				t.Errorf("bad regex: %v (%+v)", err, e)
			}
		})
	}
}
