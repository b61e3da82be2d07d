package prometheus

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/sources"
)

// windowStart is where the served exemplars begin; they span 15 minutes.
var windowStart = time.Unix(1796537000, 0)

// exemplarServer answers /api/v1/query_exemplars as Prometheus answers a
// 15-minute latency window of the demo's API: series of buckets, n
// exemplars in all, each with its trace id, those of the asked range only.
func exemplarServer(series, n int) *httptest.Server {
	type ex struct {
		ms    int64
		value int
		trace string
	}
	all := make([][]ex, series)
	for s := range series {
		for e := range n / series {
			all[s] = append(all[s], ex{ms: windowStart.UnixMilli() + int64(e%900)*1000 + int64(e%1000),
				value: (s*7919 + e*104729) % 1000000, trace: fmt.Sprintf("%032x", s*n+e)})
		}
	}
	var mu sync.Mutex
	answers := map[string]string{} // made once per range: a benchmark times the client
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		key := r.FormValue("start") + "-" + r.FormValue("end")
		if a, ok := answers[key]; ok {
			io.WriteString(w, a)
			return
		}
		from, _ := strconv.ParseFloat(r.FormValue("start"), 64)
		to, _ := strconv.ParseFloat(r.FormValue("end"), 64)
		var b strings.Builder
		b.WriteString(`{"status":"success","data":[`)
		for s := range series {
			if s > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"seriesLabels":{"__name__":"http_request_duration_seconds_bucket","handler":"/api/h%d","instance":"127.0.0.1:8000","job":"fastapi-app","le":"0.%d","method":"GET"},"exemplars":[`, s%7, s)
			first := true
			for _, e := range all[s] {
				if e.ms < int64(from*1000) || e.ms > int64(to*1000) {
					continue
				}
				if !first {
					b.WriteByte(',')
				}
				first = false
				fmt.Fprintf(&b, `{"labels":{"trace_id":"%s"},"value":"0.%06d","timestamp":%d.%03d}`, e.trace, e.value, e.ms/1000, e.ms%1000)
			}
			b.WriteString(`]}`)
		}
		b.WriteString(`]}`)
		answers[key] = b.String()
		io.WriteString(w, answers[key])
	}))
}

// TestExemplarsKeepTheLargest: of an answer larger than MaxExemplars, the
// largest are kept, in order, each with its series' labels (no __name__ or
// le) and its trace id apart from its labels.
func TestExemplarsKeepTheLargest(t *testing.T) {
	srv := exemplarServer(10, 1000)
	defer srv.Close()
	c, err := New(Options{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Exemplars(context.Background(), sources.SignalSpec{Query: "x"}, windowStart, windowStart.Add(15*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Exemplars) != sources.MaxExemplars || r.Dropped != 1000-sources.MaxExemplars {
		t.Fatalf("kept %d, dropped %d", len(r.Exemplars), r.Dropped)
	}
	for i, e := range r.Exemplars {
		if i > 0 && e.Value > r.Exemplars[i-1].Value {
			t.Fatalf("exemplar %d (%v) above %d", i, e.Value, i-1)
		}
		if len(e.TraceID) != 32 || e.Labels["job"] != "fastapi-app" || e.Labels["le"] != "" || e.Labels["__name__"] != "" || e.Labels["trace_id"] != "" {
			t.Fatalf("exemplar %d: %+v", i, e)
		}
	}
	// The same as one read of the whole window would keep.
	whole, err := c.Exemplars(context.Background(), sources.SignalSpec{Query: "x"}, windowStart, windowStart.Add(time.Minute))
	if err != nil || len(whole.Exemplars) == 0 || whole.Exemplars[0].Value > r.Exemplars[0].Value {
		t.Errorf("a minute's largest %v above the window's %v (%v)", whole.Exemplars[0].Value, r.Exemplars[0].Value, err)
	}
}

// BenchmarkExemplarsOfAWindow: one read of a window holding 14,000
// exemplars (the demo's latency window after 15 minutes), served over
// loopback.
func BenchmarkExemplarsOfAWindow(b *testing.B) {
	srv := exemplarServer(83, 14000)
	defer srv.Close()
	c, err := New(Options{URL: srv.URL})
	if err != nil {
		b.Fatal(err)
	}
	read := func() {
		if _, err := c.Exemplars(context.Background(), sources.SignalSpec{Query: "x"}, windowStart, windowStart.Add(15*time.Minute)); err != nil {
			b.Fatal(err)
		}
	}
	read() // the server makes its answers once
	b.ReportAllocs()
	for b.Loop() {
		read()
	}
}
