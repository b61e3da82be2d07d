package prometheus

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/sources"
)

// canned answers every request with one status and body: the Prometheus
// API's answers, fuzzed, without a network.
type canned struct {
	code int
	body []byte
}

func (c canned) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: c.code, Status: http.StatusText(c.code), Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(c.body)), Request: req}, nil
}

// FuzzResponse: whatever a server answers (status and body), reading a
// signal and the alerts ends in a reading or an error in words, never a
// panic, and no error leaks the password of the URL.
func FuzzResponse(f *testing.F) {
	// More seeds, taken from a real Prometheus, are in testdata/fuzz/FuzzResponse.
	f.Add(200, []byte(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{"job":"api"},"value":[1700000000,"12.5"]}]}}`))
	f.Add(200, []byte(`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1700000000,"1"],[1700000015,"NaN"]]}]}}`))
	f.Add(422, []byte(`{"status":"error","errorType":"execution","error":"many-to-many matching not allowed"}`))
	f.Add(503, []byte(`<html><body>Service Unavailable</body></html>`))
	f.Add(200, []byte(`{"status":"success","data":{"alerts":[{"labels":{"alertname":"HighErrorRate","severity":"critical"},"state":"firing","activeAt":"2026-11-25T10:00:00Z","value":"1e+01"}]}}`))
	f.Fuzz(func(t *testing.T, code int, body []byte) {
		if code < 100 || code > 999 {
			return // not an HTTP status: net/http would refuse it before opsdeck saw it
		}
		c, err := New(Options{URL: "http://opsdeck:fuzz-secret@prometheus.invalid:9090", Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		c.http.Transport = canned{code: code, body: body}
		start := time.Now()
		defer func() {
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("one answer took %v to read", d)
			}
		}()
		ctx := context.Background()
		w := sources.WindowFor(time.Unix(1_700_000_100, 0), 15*time.Minute, 60)
		r, err := c.Read(ctx, sources.SignalSpec{Key: "rps", Query: `sum(rate(http_requests_total[1m]))`}, w)
		if err != nil {
			checkMessage(t, err)
		} else if r.Series < 0 || len(r.Points) > w.Points() {
			t.Errorf("reading out of shape: %d series, %d points for a %d-point window", r.Series, len(r.Points), w.Points())
		}
		if _, err := c.Alerts(ctx); err != nil {
			checkMessage(t, err)
		}
	})
}

func checkMessage(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	if strings.TrimSpace(msg) == "" {
		t.Error("an error without words")
	}
	if strings.Contains(msg, "fuzz-secret") {
		t.Errorf("the password leaked into %q", msg)
	}
}
