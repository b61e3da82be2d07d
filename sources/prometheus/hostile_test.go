package prometheus

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/internal/sandbox/faults"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/httpapi"
)

// TestBaseURLQueryKeptOnEveryRequest: a Prometheus behind a proxy that wants
// ?token=x gets it on every request, and the paths stay /api/v1/...
func TestBaseURLQueryKeptOnEveryRequest(t *testing.T) {
	t.Parallel()
	target, _ := url.Parse(promURL(t))
	real := httputil.NewSingleHostReverseProxy(target)
	var bad atomic.Value
	gate := faults.NewProxy(t, "127.0.0.1:1")
	gate.SetWith(faults.Serve, 0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("token") != "x" || !strings.HasPrefix(r.URL.Path, "/prom/api/v1/") {
			bad.Store(r.URL.String())
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		r.URL.Path = strings.TrimPrefix(r.URL.Path, "/prom")
		q := r.URL.Query()
		q.Del("token")
		r.URL.RawQuery = q.Encode()
		real.ServeHTTP(w, r)
	}))
	c := newClient(t, Options{URL: "http://" + gate.Addr() + "/prom/?token=x"})
	for _, spec := range specs() {
		if _, err := c.Read(context.Background(), spec, windowNow()); err != nil {
			t.Fatalf("%s: %v (bad request: %v)", spec.Key, err, bad.Load())
		}
	}
	if _, err := c.Alerts(context.Background()); err != nil {
		t.Fatalf("alerts: %v (bad request: %v)", err, bad.Load())
	}
	if b := bad.Load(); b != nil {
		t.Fatalf("a request lost the base URL's query or path: %v", b)
	}
}

// TestOversizedAnswersCappedAndBackedOff: an endless answer is cut at the
// limit and said so within the timeout; while it goes on, the server is not
// asked again at every poll.
func TestOversizedAnswersCappedAndBackedOff(t *testing.T) {
	t.Parallel()
	var asked atomic.Int64
	hostile := faults.NewProxy(t, "127.0.0.1:1")
	hostile.SetWith(faults.Serve, 0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[`))
		chunk := []byte(strings.Repeat(`{"metric":{"a":"b"},"value":[1,"1"]},`, 1000))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	c := newClient(t, Options{URL: "http://" + hostile.Addr(), Timeout: 10 * time.Second, MaxResponseBytes: 1 << 20})
	start := time.Now()
	_, err := c.Read(context.Background(), specs()[0], windowNow())
	if err == nil || !strings.Contains(err.Error(), "larger than 1 MiB (prometheus.max_response_bytes)") {
		t.Fatalf("endless answer: %v", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("took %s", took)
	}
	n := asked.Load()
	for range 5 {
		if _, err := c.Read(context.Background(), specs()[0], windowNow()); err == nil || !strings.Contains(err.Error(), "not asked again for") {
			t.Fatalf("during the back-off: %v", err)
		}
	}
	if asked.Load() != n {
		t.Errorf("asked %d more times during the back-off", asked.Load()-n)
	}
}

// TestEchoedCredentialsScrubbed: a server that echoes the Authorization
// header in its error shows neither the base64 of user:password nor a token.
func TestEchoedCredentialsScrubbed(t *testing.T) {
	t.Parallel()
	echo := faults.NewProxy(t, "127.0.0.1:1")
	echo.SetWith(faults.Serve, 0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprintf(w, "bad gateway; you sent Authorization: %s", r.Header.Get("Authorization"))
	}))
	for _, o := range []Options{
		{Auth: httpapi.Auth{BasicAuth: &httpapi.BasicAuth{Username: "oncall", Password: "hunter2-basic"}}},
		{Auth: httpapi.Auth{BearerToken: "t0ken-bearer-123"}},
	} {
		o.URL = "http://" + echo.Addr()
		o.Scrubber = redact.NewScrubber()
		_, err := newClient(t, o).Read(context.Background(), specs()[0], windowNow())
		msg := fmt.Sprint(err)
		for _, secret := range []string{base64.StdEncoding.EncodeToString([]byte("oncall:hunter2-basic")), "hunter2-basic", "t0ken-bearer-123"} {
			if strings.Contains(msg, secret) {
				t.Errorf("error shows %q: %s", secret, msg)
			}
		}
		if err == nil || !strings.Contains(msg, "502") {
			t.Errorf("error: %v", err)
		}
	}
}

func windowNow() sources.Window { return sources.WindowFor(time.Now(), time.Minute, 10) }

// TestOneBadAlertKeepsTheRest: an alert with an activeAt that is not a time,
// and an entry that is not an alert, do not cost the other alerts.
func TestOneBadAlertKeepsTheRest(t *testing.T) {
	t.Parallel()
	odd := faults.NewProxy(t, "127.0.0.1:1")
	odd.SetWith(faults.Serve, 0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"status":"success","data":{"alerts":[
			{"labels":{"alertname":"Good","severity":"critical"},"annotations":{"summary":"ok"},"state":"firing","activeAt":"2026-11-29T10:00:00Z"},
			{"labels":{"alertname":"BadTime","severity":"warning"},"annotations":{},"state":"firing","activeAt":"yesterday-ish"},
			"not an alert",
			{"labels":{"alertname":"Pending"},"state":"pending","activeAt":12}]}}`)
	}))
	alerts, err := newClient(t, Options{URL: "http://" + odd.Addr()}).Alerts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range alerts {
		names = append(names, a.Name)
	}
	if strings.Join(names, ",") != "Good,BadTime,Pending" || !alerts[1].ActiveAt.IsZero() || alerts[0].ActiveAt.IsZero() {
		t.Fatalf("alerts: %+v", alerts)
	}
}
