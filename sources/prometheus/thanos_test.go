package prometheus

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/faults"
	"github.com/opsdeck/opsdeck/internal/sandbox/originapi"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
	"github.com/opsdeck/opsdeck/sources"
)

// TestThanosQuerier: a Thanos querier in front of two Prometheus replicas,
// each with its sidecar. It is told as Thanos with its version; a figure is
// the replicas' deduplicated (one series where they hold two); a long chart
// asks for downsampled data as Thanos's own "auto" would, and is answered;
// with one sidecar stopped, the figure is kept from the other replica,
// marked partial with the querier's warning.
func TestThanosQuerier(t *testing.T) {
	t.Parallel()
	sandboxtest.SkipServers(t, "Thanos")
	api := originapi.Start(t, originapi.Schedule{Start: time.Now(), Period: time.Hour}, 1)
	th := sandboxtest.NewThanos(t, servers.PrometheusOptions{Targets: []string{api}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, r := range th.Replicas {
		if err := r.WaitFor(ctx, `up{job="fastapi-app"}`, func(s []servers.Sample) bool { return len(s) == 1 }); err != nil {
			t.Fatal(err)
		}
	}
	// What the querier is asked, seen on the way.
	resolutions := make(chan string, 10)
	querier, err := url.Parse(th.URL())
	if err != nil {
		t.Fatal(err)
	}
	forward := httputil.NewSingleHostReverseProxy(querier)
	seen := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/query_range" {
			resolutions <- r.URL.Query().Get("max_source_resolution")
		}
		forward.ServeHTTP(w, r)
	}))
	t.Cleanup(seen.Close)
	c := newClient(t, Options{URL: seen.URL})
	if f := c.Flavour(ctx); f.Name != FlavourThanos || f.Version != servers.ThanosVersion {
		t.Errorf("flavour %+v, want Thanos %s", f, servers.ThanosVersion)
	}
	spec := sources.SignalSpec{Key: "up", Query: `count(up{job="fastapi-app"})`}
	if raw := rawThanos(ctx, t, th.URL(), spec.Query); raw != "2" {
		t.Fatalf("the replicas hold %s series of up, want 2", raw)
	}
	r, err := c.Read(ctx, spec, sources.Window{Now: time.Now()})
	if err != nil || r.Value != 1 || r.Partial || len(r.Notes) != 0 || r.Server != "Thanos "+servers.ThanosVersion {
		t.Fatalf("%+v %v: want 1 (the replicas deduplicated), whole, from Thanos %s", r, err, servers.ThanosVersion)
	}
	// A chart's step decides the coarsest data Thanos may answer from: raw
	// for the console's windows, 5m for a day of 30 points, 1h for a week.
	for _, c2 := range []struct {
		window time.Duration
		want   string
		res    time.Duration
	}{{time.Hour, "", 0}, {24 * time.Hour, "5m0s", 5 * time.Minute}, {7 * 24 * time.Hour, "1h0m0s", time.Hour}} {
		r, err := c.Read(ctx, spec, sources.WindowFor(time.Now(), c2.window, 30))
		if err != nil || !r.HasValue() {
			t.Fatalf("%s window: %+v %v", c2.window, r, err)
		}
		if got := <-resolutions; got != c2.want || r.Resolution != c2.res {
			t.Errorf("%s window: max_source_resolution %q, reading's resolution %s; want %q", c2.window, got, r.Resolution, c2.want)
		}
	}
	if err := th.Sidecars[1].Stop(); err != nil {
		t.Fatal(err)
	}
	// Until its health check fails, the querier asks the store and warns
	// that it did not answer; then it asks it no more, and its answers
	// carry no warning: the store it lists as failing does.
	leftOut := fmt.Sprintf(`warning: Thanos leaves out sidecar 127.0.0.1:%d {cluster="opsdeck-test", replica="b"}, which fails its health check`, th.Sidecars[1].GRPCPort)
	r, err = c.Read(ctx, spec, sources.Window{Now: time.Now()})
	if err != nil || r.Value != 1 {
		t.Fatalf("%+v %v: want the figure kept from the replica left", r, err)
	}
	if !slices.ContainsFunc(r.Notes, func(n string) bool {
		return strings.HasPrefix(n, "warning: fetch series") || strings.HasPrefix(n, leftOut)
	}) || !r.Partial {
		t.Errorf("notes %q, partial %v: want the querier's warning, marked partial", r.Notes, r.Partial)
	}
	var quiet int
	wait.Eventually(t, "three readings in a row without the querier's warning, each partial", func() error {
		r, err := c.Read(ctx, spec, sources.Window{Now: time.Now()})
		switch {
		case err != nil:
			return err
		case slices.ContainsFunc(r.Notes, func(n string) bool { return strings.HasPrefix(n, "warning: fetch series") }):
			quiet = 0
			return fmt.Errorf("the querier still asks the store: %q", r.Notes)
		case !r.Partial || !slices.ContainsFunc(r.Notes, func(n string) bool { return strings.HasPrefix(n, leftOut) }):
			quiet = 0
			return fmt.Errorf("the querier left the store out and the reading %v (partial %v) says nothing of it: %q", r.Value, r.Partial, r.Notes)
		}
		if quiet++; quiet < 3 {
			return fmt.Errorf("%d quiet readings", quiet)
		}
		return nil
	}, wait.Context(ctx))
}

// rawThanos is the querier's answer to an instant query without
// deduplication, as text.
func rawThanos(ctx context.Context, t *testing.T, base, query string) string {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/query?"+url.Values{"query": {query}, "dedup": {"false"}}.Encode(), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Data struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || len(body.Data.Result) != 1 {
		t.Fatalf("%s without deduplication: %+v %v", query, body, err)
	}
	v, _ := body.Data.Result[0].Value[1].(string)
	return v
}

// TestStoresLeftOutBounded: a querier listing many failing stores, each
// with many label sets of many labels, gives a few notes naming them, the
// rest counted, and healthy stores none.
func TestStoresLeftOutBounded(t *testing.T) {
	t.Parallel()
	var stores strings.Builder
	for i := range 40 {
		if i > 0 {
			stores.WriteString(",")
		}
		lastError := `"rpc error: code = Unavailable"`
		if i%2 == 1 {
			lastError = "null"
		}
		fmt.Fprintf(&stores, `{"name":"store-%d:10901","lastError":%s,"labelSets":[{"replica":"a","zone":"z%d"},{"a":"1","b":"2","c":"3","d":"4","e":"5","f":"6","g":"7"},{"replica":"c"}]}`, i, lastError, i)
	}
	answers := map[string]string{
		"/api/v1/status/buildinfo": `{"status":"success","data":{"version":"0.42.4","revision":"x","branch":"HEAD","goVersion":"go1.26"}}`,
		"/api/v1/stores":           `{"status":"success","data":{"store":[` + stores.String() + `]}}`,
		"/api/v1/query":            `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"3"]}]}}`,
	}
	p := faults.NewProxy(t, "127.0.0.1:1")
	p.SetWith(faults.Serve, 0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := answers[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(body))
	}))
	c := newClient(t, Options{URL: "http://" + p.Addr()})
	r, err := c.Read(context.Background(), sources.SignalSpec{Key: "x", Query: "up"}, sources.Window{Now: time.Now()})
	if err != nil || r.Value != 3 || !r.Partial {
		t.Fatalf("%+v %v: want 3, partial", r, err)
	}
	want := []string{
		`warning: Thanos leaves out store store-0:10901 {replica="a", zone="z0"} {a="1", b="2", c="3", d="4", e="5", f="6", …} and 1 more, which fails its health check: its series are missing`,
		`warning: Thanos leaves out store store-2:10901 {replica="a", zone="z2"} {a="1", b="2", c="3", d="4", e="5", f="6", …} and 1 more, which fails its health check: its series are missing`,
		`warning: Thanos leaves out store store-4:10901 {replica="a", zone="z4"} {a="1", b="2", c="3", d="4", e="5", f="6", …} and 1 more, which fails its health check: its series are missing`,
		`warning: Thanos leaves out 17 more stores, which fail their health checks: their series are missing`,
	}
	if !slices.Equal(r.Notes, want) {
		t.Errorf("notes:\n%s\nwant:\n%s", strings.Join(r.Notes, "\n"), strings.Join(want, "\n"))
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
