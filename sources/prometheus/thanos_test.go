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
	p.SetWith(faults.Serve, 0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
	if len(r.Notes) != 1 || !strings.HasPrefix(r.Notes[0], "warning: fetch series") {
		t.Errorf("notes %q, want the partial response's warning", r.Notes)
	}
}
