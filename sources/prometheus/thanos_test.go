package prometheus

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/faults"
	"github.com/opsdeck/opsdeck/sources"
)

// thanosAnswers are a Thanos querier's answers as its documentation gives
// them (no Thanos runs here: see the README's "Beyond one Prometheus"):
// build info shaped as Prometheus's, the stores it fans out to, and a
// partial response, one store down, with its warning.
var thanosAnswers = map[string]string{
	"/api/v1/status/buildinfo": `{"status":"success","data":{"version":"0.42.5","revision":"x","branch":"HEAD","goVersion":"go1.24"}}`,
	"/api/v1/stores":           `{"status":"success","data":{"sidecar":[{"name":"127.0.0.1:10901","lastCheck":"2026-01-01T00:00:00Z"}]}}`,
	"/api/v1/query":            `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"3"]}]},"warnings":["fetch series for {replica=\"b\"} 127.0.0.1:10902: receive series from store: rpc error: code = Unavailable"]}`,
	"/api/v1/query_range":      `{"status":"success","data":{"resultType":"matrix","result":[]},"warnings":["fetch series for {replica=\"b\"} 127.0.0.1:10902: receive series from store: rpc error: code = Unavailable"]}`,
}

// TestThanosPartialResponse: a Thanos querier is told from Prometheus by
// its stores, and a partial answer (one store down) keeps its figure with
// the warning on it, so that the pane shows it as partial.
func TestThanosPartialResponse(t *testing.T) {
	t.Parallel()
	p := faults.NewProxy(t, "127.0.0.1:1")
	resolutions := make(chan string, 10)
	p.SetWith(faults.Serve, 0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/query_range" {
			resolutions <- r.URL.Query().Get("max_source_resolution")
		}
		body, ok := thanosAnswers[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(body))
	}))
	c := newClient(t, Options{URL: "http://" + p.Addr()})
	ctx := context.Background()
	if f := c.Flavour(ctx); f.Name != FlavourThanos || f.Version != "0.42.5" {
		t.Errorf("flavour %+v, want Thanos 0.42.5", f)
	}
	r, err := c.Read(ctx, sources.SignalSpec{Key: "x", Query: "up"}, sources.Window{Now: time.Now()})
	if err != nil || r.Value != 3 {
		t.Fatalf("%+v %v", r, err)
	}
	if len(r.Notes) != 1 || !strings.HasPrefix(r.Notes[0], "warning: fetch series") || !r.Partial || r.Server != "Thanos 0.42.5" {
		t.Errorf("notes %q, partial %v, server %q: want the partial response's warning, marked, from Thanos 0.42.5", r.Notes, r.Partial, r.Server)
	}
	// A chart's step decides the coarsest data Thanos may answer from, as
	// its "auto" would: raw for the console's windows, 5m for a day of 30
	// points, 1h for a week; the reading says which.
	for _, c2 := range []struct {
		window time.Duration
		want   string
		res    time.Duration
	}{{time.Hour, "", 0}, {24 * time.Hour, "5m0s", 5 * time.Minute}, {7 * 24 * time.Hour, "1h0m0s", time.Hour}} {
		r, err := c.Read(ctx, sources.SignalSpec{Key: "x", Query: "up"}, sources.WindowFor(time.Now(), c2.window, 30))
		if err != nil {
			t.Fatal(err)
		}
		if got := <-resolutions; got != c2.want || r.Resolution != c2.res {
			t.Errorf("%s window: max_source_resolution %q, reading's resolution %s; want %q", c2.window, got, r.Resolution, c2.want)
		}
	}
}

// TestPartialIsAMissingStore: a warning that data is missing marks the
// figure partial; PromQL's own annotations and infos do not.
func TestPartialIsAMissingStore(t *testing.T) {
	for note, want := range map[string]bool{
		"warning: fetch series for {replica=\"b\"}: receive series from store: rpc error": true,
		"warning: PromQL warning: encountered a mix of histograms and floats":             false,
		"info: PromQL info: metric might not be a counter":                                false,
		"as of 30s ago: VictoriaMetrics evaluates the current value 30s in the past":      false,
	} {
		if partial(note) != want {
			t.Errorf("%q: partial %v", note, !want)
		}
	}
}
