package prometheus

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/sources"
)

// queryCounter is a proxy in front of the shared Prometheus that counts the
// instant queries it passes and can refuse those that contain a text.
type queryCounter struct {
	instant atomic.Int64
	refuse  atomic.Value // string: an instant query containing it is answered 400
	url     string
}

func newQueryCounter(t *testing.T) *queryCounter {
	t.Helper()
	target, err := url.Parse(promURL(t))
	if err != nil {
		t.Fatal(err)
	}
	qc := &queryCounter{}
	qc.refuse.Store("")
	rp := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/api/v1/query") {
			qc.instant.Add(1)
			_ = r.ParseForm()
			if bad := qc.refuse.Load().(string); bad != "" && strings.Contains(r.Form.Get("query"), bad) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"status":"error","errorType":"bad_data","error":"refused by the test"}`))
				return
			}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	qc.url = srv.URL
	return qc
}

// readAll reads every spec's current value at once, as the panes do at a
// refresh boundary.
func readAll(t *testing.T, c *Client, specs []sources.SignalSpec, at time.Time) []sources.Reading {
	t.Helper()
	out := make([]sources.Reading, len(specs))
	errs := make([]error, len(specs))
	var wg sync.WaitGroup
	for i, spec := range specs {
		wg.Go(func() { out[i], errs[i] = c.Read(context.Background(), spec, sources.Window{Now: at}) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil && !strings.Contains(specs[i].Query, "refused_metric") {
			t.Fatalf("%s: %v", specs[i].Key, err)
		}
	}
	return out
}

// TestBatchedValuesAreEachQuerysOwn: the four signals' values asked at one
// instant go as one query, and each is Prometheus's own evaluation of its
// query at the instant the reading names.
func TestBatchedValuesAreEachQuerysOwn(t *testing.T) {
	qc := newQueryCounter(t)
	c := newClient(t, Options{URL: qc.url})
	at := time.Now().Add(-2 * time.Second)
	got := readAll(t, c, specs(), at)
	if n := qc.instant.Load(); n != 1 {
		t.Errorf("%d instant queries for four values at one instant, want 1", n)
	}
	for i, spec := range specs() {
		r := got[i]
		if d := r.At.Sub(at).Abs(); d > batchSpread {
			t.Errorf("%s: read at %s, %s from the instant asked", spec.Key, r.At, d)
		}
		want, err := stack.prom.Query(context.Background(), spec.Query, r.At)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) != 1 || r.Series != 1 || !r.HasValue() || r.Value != want[0].Value {
			t.Errorf("%s: opsdeck %v (%d series), Prometheus %v", spec.Key, r.Value, r.Series, want)
		}
	}
}

// TestBatchLeavesWhatItCannotCarry: a query the server refuses fails its own
// reading only, with the server's words, and asks alone afterwards; a
// scalar query reads as a scalar; an empty query is diagnosed as its own.
func TestBatchLeavesWhatItCannotCarry(t *testing.T) {
	qc := newQueryCounter(t)
	qc.refuse.Store("refused_metric")
	c := newClient(t, Options{URL: qc.url})
	ss := append(specs(),
		sources.SignalSpec{Key: "refused", Query: `sum(refused_metric)`},
		sources.SignalSpec{Key: "scalar", Query: `scalar(sum(up))`},
		sources.SignalSpec{Key: "empty", Query: `sum(no_such_metric_here)`},
	)
	at := time.Now().Add(-2 * time.Second)
	var errRefused error
	for round := range 2 {
		before := qc.instant.Load()
		out := make([]error, len(ss))
		got := make([]sources.Reading, len(ss))
		var wg sync.WaitGroup
		for i, spec := range ss {
			wg.Go(func() { got[i], out[i] = c.Read(context.Background(), spec, sources.Window{Now: at}) })
		}
		wg.Wait()
		for i, spec := range ss {
			switch spec.Key {
			case "refused":
				if out[i] == nil || !strings.Contains(out[i].Error(), "refused by the test") {
					t.Errorf("round %d: the refused query: %v", round, out[i])
				}
				errRefused = out[i]
			case "scalar":
				if out[i] != nil || !got[i].HasValue() || got[i].Value < 1 {
					t.Errorf("round %d: the scalar query: %v, %v", round, got[i].Value, out[i])
				}
			case "empty":
				if out[i] != nil || got[i].HasValue() || got[i].Diagnosis == "" {
					t.Errorf("round %d: the empty query: value %v, diagnosis %q, %v", round, got[i].Value, got[i].Diagnosis, out[i])
				}
			default:
				if out[i] != nil || !got[i].HasValue() {
					t.Errorf("round %d: %s: %v, %v", round, spec.Key, got[i].Value, out[i])
				}
			}
		}
		// The first round: the batch fails, then each asks alone. The
		// second: the refused and the scalar query alone, the others in one.
		if n := qc.instant.Load() - before; round == 1 && n > 4 { // the batch, the two alone, a diagnosis
			t.Errorf("round 2: %d instant queries: the queries a batch could not carry still went in it", n)
		}
	}
	if errRefused == nil {
		t.Fatal("the refused query never failed")
	}
}
