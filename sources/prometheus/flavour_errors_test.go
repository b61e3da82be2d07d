package prometheus

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/faults"
)

// TestFlavourErrorShapes: each flavour's error answers, as their servers
// send them (VictoriaMetrics 1.79.5's 422 and limit text as it answered
// here; Mimir's and Thanos's as documented), served through the fault
// proxy, come out in words: which limit and what to narrow, the tenant
// header, a rejected query.
func TestFlavourErrorShapes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		status int
		ctype  string
		body   string
		kind   Kind
		says   []string
	}{
		{"vm rejected", 422, "application/json", `{"status":"error","errorType":"422","error":"cannot parse \"sum(\": unexpected end of stream"}`,
			KindQueryRejected, []string{"query rejected"}},
		{"vm current rejected", 400, "application/json", `{"status":"error","errorType":"400","error":"error when executing query=\"info(up)\" for (time=1796607576884, step=300000): unsupported function \"info\""}`,
			KindQueryRejected, []string{"query rejected", "unsupported function"}},
		{"vm limit", 422, "application/json", `{"status":"error","errorType":"422","error":"error when executing query=\"x\": cannot fetch query results: the number of matching timeseries exceeds 300000; either narrow down the search or increase -search.maxUniqueTimeseries command-line flag value"}`,
			KindLimit, []string{"limit exceeded", "-search.maxUniqueTimeseries", "narrow the query"}},
		{"prometheus max samples", 422, "application/json", `{"status":"error","errorType":"execution","error":"query processing would load too many samples into memory in query execution"}`,
			KindLimit, []string{"--query.max-samples", "narrow the query"}},
		{"mimir limit", 422, "application/json", `{"status":"error","errorType":"execution","error":"the query exceeded the maximum number of chunks (limit: 2000000 chunks) (err-mimir-max-chunks-per-query)"}`,
			KindLimit, []string{"err-mimir-max-chunks-per-query", "narrow the query"}},
		{"mimir no tenant", 401, "text/plain; charset=utf-8", "no org id\n",
			KindNoTenant, []string{"X-Scope-OrgID", "no org id"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := faults.NewProxy(t, "127.0.0.1:1")
			p.SetWith(faults.Serve, 0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.ctype)
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.body))
			}))
			c := newClient(t, Options{URL: "http://" + p.Addr()})
			_, _, err := c.Instant(context.Background(), "up", time.Now())
			var e *Error
			if !errors.As(err, &e) || e.Kind != tc.kind {
				t.Fatalf("%v (%+v), want %s", err, e, tc.kind)
			}
			for _, s := range tc.says {
				if !strings.Contains(e.Msg, s) {
					t.Errorf("%q does not say %q", e.Msg, s)
				}
			}
		})
	}
}

// TestTransientErrorRetriedOnce: an execution error that passes (a
// querier's store hiccup) is asked again once, and the second answer
// stands; one that persists is asked twice, no more, and said.
func TestTransientErrorRetriedOnce(t *testing.T) {
	t.Parallel()
	for _, failures := range []int64{1, 5} {
		var asked atomic.Int64
		p := faults.NewProxy(t, "127.0.0.1:1")
		p.SetWith(faults.Serve, 0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			if asked.Add(1) <= failures {
				w.WriteHeader(http.StatusServiceUnavailable)
				w.Write([]byte(`{"status":"error","errorType":"execution","error":"receive series from store: rpc error: code = Unavailable"}`))
				return
			}
			w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"7"]}]}}`))
		}))
		c := newClient(t, Options{URL: "http://" + p.Addr()})
		s, _, err := c.Instant(context.Background(), "up", time.Now())
		switch failures {
		case 1:
			if err != nil || len(s) != 1 || s[0].Value != 7 || asked.Load() != 2 {
				t.Errorf("one failure: %v %v, asked %d times", s, err, asked.Load())
			}
		default:
			if err == nil || asked.Load() != 2 || !strings.Contains(err.Error(), "query failed") {
				t.Errorf("lasting failure: %v, asked %d times", err, asked.Load())
			}
		}
	}
}
