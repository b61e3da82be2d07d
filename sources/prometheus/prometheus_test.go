package prometheus

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/internal/sandbox/originapi"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/httpapi"
)

// stack is one real Prometheus scraping a synthetic Origin API, shared by the
// tests of this package (starting Prometheus is the slow part).
var stack struct {
	prom *servers.Prometheus
}

const testRules = `groups:
  - name: test
    rules:
      - alert: AlwaysFiring
        expr: vector(1)
        labels: {severity: critical}
        annotations: {summary: "fires at once"}
      - alert: SlowToFire
        expr: vector(1)
        for: 1h
        labels: {severity: warning}
`

func TestMain(m *testing.M) {
	// A fuzzing run needs no servers: its targets answer from memory.
	flag.Parse()
	if f := flag.Lookup("test.fuzz"); (f != nil && f.Value.String() != "") || servers.Short() {
		os.Exit(m.Run()) // the tests that need the shared Prometheus skip (promURL)
	}
	os.Exit(func() int {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		api := originapi.New()
		addr, err := api.Serve(ctx)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		go api.Run(ctx, originapi.Schedule{Start: time.Now(), Period: time.Hour}, 1)
		prom, err := servers.StartPrometheus(ctx, servers.PrometheusOptions{Targets: []string{addr}, Rules: testRules})
		if err != nil {
			fmt.Fprintln(os.Stderr, "harness:", err)
			return 1
		}
		defer prom.Stop()
		stack.prom = prom
		wait, cancelWait := context.WithTimeout(ctx, 30*time.Second)
		defer cancelWait()
		// rate() and histogram_quantile() need two scrapes; alerts one evaluation.
		err = prom.WaitFor(wait, `count_over_time(up{job="fastapi-app"}[1m]) >= 6`, func(s []servers.Sample) bool { return len(s) == 1 })
		if err == nil {
			err = prom.WaitFor(wait, `ALERTS{alertstate="firing"}`, func(s []servers.Sample) bool { return len(s) > 0 })
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "harness:", err)
			return 1
		}
		return m.Run()
	}())
}

// promURL is the shared Prometheus's URL; a -short run has none.
func promURL(t *testing.T) string {
	t.Helper()
	if stack.prom == nil {
		sandboxtest.SkipServers(t, "Prometheus")
		t.Fatal("no shared Prometheus")
	}
	return stack.prom.URL()
}

func newClient(t *testing.T, o Options) *Client {
	t.Helper()
	if o.URL == "" {
		o.URL = promURL(t)
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func specs() []sources.SignalSpec {
	q := config.DefaultQueries(config.DefaultSelector, config.DefaultRateWindow)
	return []sources.SignalSpec{
		{Key: sources.RPS, Query: q.RPS}, {Key: sources.ErrorRate, Query: q.ErrorRate},
		{Key: sources.P95Latency, Query: q.P95Latency}, {Key: sources.Memory, Query: q.Memory},
	}
}

// TestReadEqualsPrometheus: each golden signal's value is Prometheus's own
// evaluation of the same query at the same instant.
func TestReadEqualsPrometheus(t *testing.T) {
	t.Parallel()
	c := newClient(t, Options{})
	ctx := context.Background()
	// Evaluate a little in the past so that no scrape lands between the two queries.
	// A 1 s step so that even a young Prometheus has points to compare.
	w := sources.WindowFor(time.Now().Add(-2*time.Second), time.Minute, 61)
	for _, spec := range specs() {
		r, err := c.Read(ctx, spec, w)
		if err != nil {
			t.Fatalf("%s: %v", spec.Key, err)
		}
		want, err := stack.prom.Query(ctx, spec.Query, r.At)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) != 1 {
			t.Fatalf("%s: Prometheus returned %d series", spec.Key, len(want))
		}
		if !r.HasValue() || r.Value != want[0].Value {
			t.Errorf("%s: opsdeck %v, Prometheus %v", spec.Key, r.Value, want[0].Value)
		}
		if r.Series != 1 || r.Diagnosis != "" {
			t.Errorf("%s: series %d diagnosis %q", spec.Key, r.Series, r.Diagnosis)
		}
		if len(r.Points) != w.Points() {
			t.Fatalf("%s: %d points, window has %d", spec.Key, len(r.Points), w.Points())
		}
		// Every drawn point is Prometheus's value at that step (NaN where it has none).
		drawn := 0
		for i := len(r.Points) - 1; i >= 0 && drawn < 3; i-- {
			at := w.Start().Add(time.Duration(i) * w.Step)
			want, err := stack.prom.Query(ctx, spec.Query, at)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) == 0 {
				if !math.IsNaN(r.Points[i]) {
					t.Errorf("%s: point %d = %v where Prometheus has none", spec.Key, i, r.Points[i])
				}
				continue
			}
			drawn++
			if r.Points[i] != want[0].Value {
				t.Errorf("%s: point %d = %v, Prometheus %v", spec.Key, i, r.Points[i], want[0].Value)
			}
		}
		if drawn == 0 {
			t.Errorf("%s: no chart points", spec.Key)
		}
	}
}

func TestMultipleSeriesShowsLargest(t *testing.T) {
	t.Parallel()
	c := newClient(t, Options{})
	ctx := context.Background()
	q := `sum by (handler) (rate(http_requests_total[1m]))`
	w := sources.WindowFor(time.Now().Add(-2*time.Second), 2*time.Minute, 30)
	r, err := c.Read(ctx, sources.SignalSpec{Key: "x", Query: q}, w)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := stack.prom.Query(ctx, "max("+q+")", r.At)
	if r.Series < 2 || len(want) != 1 || r.Value != want[0].Value {
		t.Fatalf("series %d value %v, want the max %v", r.Series, r.Value, want)
	}
}

// TestDiagnoseOriginDashboardMistakes: the Grafana dashboard's three wrong
// queries are each explained with the missing name and the closest real one.
func TestDiagnoseOriginDashboardMistakes(t *testing.T) {
	t.Parallel()
	c := newClient(t, Options{})
	cases := []struct{ query, want string }{
		{`sum(rate(http_requests_total{status_code=~"5.."}[5m])) / sum(rate(http_requests_total[5m])) * 100`,
			"label status_code does not exist on http_requests_total; closest: status"},
		{`histogram_quantile(0.95, sum(rate(http_requests_duration_seconds_bucket[5m])) by (le))`,
			"metric http_requests_duration_seconds_bucket does not exist; closest: http_request_duration_seconds_bucket"},
		{`memory_usage_bytes`, "metric memory_usage_bytes does not exist; closest: origin_memory_usage_bytes"},
		{`sum(rate(http_requests_total{job="api"}[1m]))`, `no series of http_requests_total has job="api"`},
		{`http_requests_total{job="fastapi-app", status="5xx", handler="/nope"}`, `no series of http_requests_total has handler="/nope"`},
		{`sum(rate(http_requests_total{status="4xx", method="DELETE"}[1m]))`, `no series of http_requests_total has method="DELETE"`},
		{`sum(rate(http_requests_total{handler="/health", method="POST"}[1m]))`, "no series matches all of them together"},
		// Origin's alert rules: metrics only a Celery exporter makes.
		{`sum(celery_worker_up)`, "metric celery_worker_up does not exist; celery_* metrics come from a Celery exporter, which this Prometheus does not scrape: " + sources.CeleryNoExporter},
	}
	w := sources.WindowFor(time.Now(), 5*time.Minute, 30)
	for _, tc := range cases {
		r, err := c.Read(context.Background(), sources.SignalSpec{Key: "x", Query: tc.query}, w)
		if err != nil {
			t.Fatalf("%s: %v", tc.query, err)
		}
		if r.HasValue() || !strings.Contains(r.Diagnosis, tc.want) {
			t.Errorf("%s:\n  diagnosis %q\n  want      %q", tc.query, r.Diagnosis, tc.want)
		}
	}
}

func TestAlertsFiringFirst(t *testing.T) {
	t.Parallel()
	c := newClient(t, Options{})
	alerts, err := c.Alerts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 2 {
		t.Fatalf("alerts = %+v", alerts)
	}
	if a := alerts[0]; a.Name != "AlwaysFiring" || a.State != "firing" || a.Severity != "critical" || a.Summary != "fires at once" {
		t.Errorf("first alert = %+v", a)
	}
	if a := alerts[1]; a.Name != "SlowToFire" || a.State != "pending" {
		t.Errorf("second alert = %+v", a)
	}
}

func TestQueryRejectedInWords(t *testing.T) {
	t.Parallel()
	c := newClient(t, Options{})
	_, err := c.Read(context.Background(), sources.SignalSpec{Query: "sum(rate(x[5m])"}, sources.WindowFor(time.Now(), time.Minute, 10))
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindQueryRejected || !strings.Contains(e.Msg, "query rejected") {
		t.Fatalf("err = %v", err)
	}
}

// authProxy puts a check of credentials and headers in front of the real
// Prometheus, the way Mimir or an authenticating proxy would.
func authProxy(t *testing.T, check func(*http.Request) bool, useTLS bool) *httptest.Server {
	t.Helper()
	target, _ := url.Parse(promURL(t))
	rp := httputil.NewSingleHostReverseProxy(target)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !check(r) {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		rp.ServeHTTP(w, r)
	})
	var srv *httptest.Server
	if useTLS {
		srv = httptest.NewTLSServer(h)
	} else {
		srv = httptest.NewServer(h)
	}
	t.Cleanup(srv.Close)
	return srv
}

func readRPS(c *Client) (sources.Reading, error) {
	return c.Read(context.Background(), specs()[0], sources.WindowFor(time.Now(), time.Minute, 10))
}

func TestBearerTokenAndHeaders(t *testing.T) {
	t.Parallel()
	srv := authProxy(t, func(r *http.Request) bool {
		return r.Header.Get("Authorization") == "Bearer s3cr3t-token" && r.Header.Get("X-Scope-OrgID") == "origin"
	}, false)
	r, err := readRPS(newClient(t, Options{URL: srv.URL, Auth: httpapi.Auth{BearerToken: "s3cr3t-token", Headers: map[string]string{"X-Scope-OrgID": "origin"}}}))
	if err != nil || !r.HasValue() {
		t.Fatalf("with credentials: %v %v", r.Value, err)
	}
	_, err = readRPS(newClient(t, Options{URL: srv.URL, Auth: httpapi.Auth{BearerToken: "wrong"}}))
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindHTTP || !strings.Contains(e.Msg, "401") || !strings.Contains(e.Msg, "bearer_token") {
		t.Fatalf("without credentials: %v", err)
	}
}

func TestBasicAuthOverTLS(t *testing.T) {
	t.Parallel()
	srv := authProxy(t, func(r *http.Request) bool {
		u, p, ok := r.BasicAuth()
		return ok && u == "oncall" && p == "pa55word"
	}, true)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	cert := srv.Certificate()
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600)

	r, err := readRPS(newClient(t, Options{URL: srv.URL, Auth: httpapi.Auth{BasicAuth: &httpapi.BasicAuth{Username: "oncall", Password: "pa55word"},
		TLS: httpapi.TLS{CAFile: ca, ServerName: "example.com"}}}))
	if err != nil || !r.HasValue() {
		t.Fatalf("basic auth over TLS: %v %v", r.Value, err)
	}
	_, err = readRPS(newClient(t, Options{URL: srv.URL, Auth: httpapi.Auth{BasicAuth: &httpapi.BasicAuth{Username: "oncall", Password: "pa55word"}}}))
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindTLS || !strings.Contains(e.Msg, "tls.ca_file") {
		t.Fatalf("unknown CA: %v", err)
	}
	r, err = readRPS(newClient(t, Options{URL: srv.URL, Auth: httpapi.Auth{BasicAuth: &httpapi.BasicAuth{Username: "oncall", Password: "pa55word"}, TLS: httpapi.TLS{InsecureSkipVerify: true}}}))
	if err != nil || !r.HasValue() {
		t.Fatalf("insecure_skip_verify: %v", err)
	}
}

// TestBadAnswersInWords: fault injection with fake servers for answers a real
// Prometheus does not give. Every error is in words, and secrets stay out.
func TestBadAnswersInWords(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		handler http.HandlerFunc
		kind    Kind
		want    string
	}{
		{"500 text", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "upstream exploded", 500) }, KindHTTP, "HTTP 500 Internal Server Error: upstream exploded"},
		{"502 html", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(502)
			fmt.Fprint(w, "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>")
		}, KindHTTP, `HTTP 502 Bad Gateway with an HTML page ("502 Bad Gateway")`},
		{"login page", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, "<html><title>Sign in</title></html>")
		}, KindNotAPI, `answered an HTML page ("Sign in") instead of the Prometheus API`},
		{"truncated json", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"val`)
		}, KindBadResponse, "answered invalid JSON"},
		{"not json", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `hello`)
		}, KindBadResponse, "answered invalid JSON"},
		{"404", func(w http.ResponseWriter, _ *http.Request) { http.NotFound(w, nil) }, KindHTTP, "HTTP 404 Not Found"},
		{"hang", func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body) // the server notices the client leaving only after the body
			<-r.Context().Done()
		}, KindTimeout, "within 300ms"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			u, _ := url.Parse(srv.URL)
			u.User = url.UserPassword("admin", "leaky-pw")
			c := newClient(t, Options{URL: u.String(), Timeout: 300 * time.Millisecond})
			start := time.Now()
			_, err := readRPS(c)
			var e *Error
			if !errors.As(err, &e) || e.Kind != tc.kind || !strings.Contains(e.Msg, tc.want) {
				t.Fatalf("err = %v (kind %v), want %s: %q", err, kindOf(err), tc.kind, tc.want)
			}
			if strings.Contains(e.Msg, "leaky-pw") {
				t.Fatalf("password in error: %q", e.Msg)
			}
			if time.Since(start) > 2*time.Second {
				t.Fatalf("took %v with a 300ms timeout", time.Since(start))
			}
		})
	}
}

func kindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}

func TestUnreachable(t *testing.T) {
	t.Parallel()
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close() // nothing listens here now
	c := newClient(t, Options{URL: "http://u:topsecret@" + addr, Timeout: time.Second})
	_, err := readRPS(c)
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindUnreachable || !strings.Contains(e.Msg, "connection refused") || strings.Contains(e.Msg, "topsecret") {
		t.Fatalf("err = %v", err)
	}
	if c.String() != "http://u:xxxxx@"+addr {
		t.Errorf("String() = %q", c.String())
	}
	c = newClient(t, Options{URL: "http://no-such-host.invalid:9090", Timeout: 2 * time.Second})
	_, err = readRPS(c)
	if !errors.As(err, &e) || e.Kind != KindUnreachable || !strings.Contains(e.Msg, "no-such-host.invalid") {
		t.Fatalf("dns: %v", err)
	}
}

func TestScrubberAppliesToServerText(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad token "+strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), 500)
	}))
	defer srv.Close()
	c := newClient(t, Options{URL: srv.URL, Auth: httpapi.Auth{BearerToken: "echoed-secret"}, Scrubber: redact.NewScrubber("other")})
	_, err := readRPS(c)
	if err == nil || strings.Contains(err.Error(), "echoed-secret") || !strings.Contains(err.Error(), redact.Mask) {
		t.Fatalf("err = %v", err)
	}
}

func TestNaNValueExplained(t *testing.T) {
	t.Parallel()
	c := newClient(t, Options{})
	r, err := c.Read(context.Background(), sources.SignalSpec{Query: "vector(0) / vector(0)"}, sources.WindowFor(time.Now(), time.Minute, 10))
	if err != nil || r.HasValue() || !math.IsNaN(r.Value) || !strings.Contains(r.Diagnosis, "NaN") {
		t.Fatalf("r = %+v err %v", r, err)
	}
}

func TestCredentialFilesReadPerRequest(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	os.WriteFile(tokenFile, []byte("first-token\n"), 0o600)
	srv := authProxy(t, func(r *http.Request) bool {
		return r.Header.Get("Authorization") == "Bearer second-token" && strings.HasPrefix(r.Header.Get("User-Agent"), "opsdeck")
	}, false)
	c := newClient(t, Options{URL: srv.URL, Auth: httpapi.Auth{BearerTokenFile: tokenFile}})
	if _, err := readRPS(c); err == nil {
		t.Fatal("the first token should be refused")
	}
	os.WriteFile(tokenFile, []byte("second-token\n"), 0o600) // rotated
	if r, err := readRPS(c); err != nil || !r.HasValue() {
		t.Fatalf("after rotation: %v", err)
	}
	pwFile := filepath.Join(dir, "pw")
	os.WriteFile(pwFile, []byte("from-file\n"), 0o600)
	srv2 := authProxy(t, func(r *http.Request) bool { u, p, _ := r.BasicAuth(); return u == "u" && p == "from-file" }, false)
	if r, err := readRPS(newClient(t, Options{URL: srv2.URL, Auth: httpapi.Auth{BasicAuth: &httpapi.BasicAuth{Username: "u", PasswordFile: pwFile}}})); err != nil || !r.HasValue() {
		t.Fatalf("password_file: %v", err)
	}
	if _, err := New(Options{URL: srv.URL, Auth: httpapi.Auth{TLS: httpapi.TLS{CAFile: filepath.Join(dir, "missing.pem")}}}); err == nil || !strings.Contains(err.Error(), "tls.ca_file") {
		t.Fatalf("missing CA file: %v", err)
	}
}

// TestSubSecondTimeout: a timeout under a second reaches Prometheus in a form
// it accepts (it refuses "0.4s").
func TestSubSecondTimeout(t *testing.T) {
	t.Parallel()
	c := newClient(t, Options{Timeout: 400 * time.Millisecond})
	w := sources.WindowFor(time.Now().Add(-2*time.Second), 2*time.Minute, 30)
	if _, err := c.Read(context.Background(), sources.SignalSpec{Key: "x", Query: `sum(rate(http_requests_total[1m]))`}, w); err != nil {
		t.Fatal(err)
	}
}

// TestWarningsAndInfosKept: the warnings and infos Prometheus attaches to an
// answer (a partial result, PromQL's hints) reach the reading, once each
// though both queries carry them. (The Prometheus packaged here predates
// PromQL's infos, so a server answering as a newer one stands in.)
func TestWarningsAndInfosKept(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		result := `{"resultType":"vector","result":[{"metric":{},"value":[1700000000,"3"]}]}`
		if strings.HasSuffix(r.URL.Path, "/query_range") {
			result = `{"resultType":"matrix","result":[]}`
		}
		fmt.Fprintf(w, `{"status":"success","data":%s,"warnings":["remote store answered partially"],"infos":["PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: \"up\""]}`, result)
	}))
	defer srv.Close()
	c := newClient(t, Options{URL: srv.URL})
	now := time.Now()
	r, err := c.Read(context.Background(), sources.SignalSpec{Key: "rps", Query: "rate(up[1m])"}, sources.WindowFor(now, 5*time.Minute, 10))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"warning: remote store answered partially", `info: PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "up"`}
	if !slices.Equal(r.Notes, want) || r.Value != 3 {
		t.Errorf("notes %q (value %v), want %q", r.Notes, r.Value, want)
	}
}

// selfSigned writes a fresh self-signed certificate for cn and its key.
func selfSigned(t *testing.T, dir, cn string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn}, DNSNames: []string{cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	return certFile, keyFile
}

// TestRotatedCertificatesNeedNoRestart: a CA file and a client certificate
// rewritten on disk are used from the next connection on, by the same client.
func TestRotatedCertificatesNeedNoRestart(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.TLS.PeerCertificates[0].Subject.CommonName)
		mu.Unlock()
		w.Header().Set("Connection", "close") // each poll shakes hands anew
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/query_range") {
			fmt.Fprint(w, `{"status":"success","data":{"resultType":"matrix","result":[]}}`)
			return
		}
		fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,"1"]}]}}`)
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	srv.StartTLS()
	defer srv.Close()

	dir := t.TempDir()
	wrongCA, _ := selfSigned(t, t.TempDir(), "example.com")
	ca := filepath.Join(dir, "ca.pem")
	pemOf := func(path string) []byte { b, _ := os.ReadFile(path); return b }
	os.WriteFile(ca, pemOf(wrongCA), 0o600)
	certFile, keyFile := selfSigned(t, dir, "first")
	c := newClient(t, Options{URL: srv.URL, Auth: httpapi.Auth{TLS: httpapi.TLS{CAFile: ca, ServerName: "example.com", CertFile: certFile, KeyFile: keyFile}}})

	if _, err := readRPS(c); kindOf(err) != KindTLS {
		t.Fatalf("with the wrong CA: %v", err)
	}
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600)
	if _, err := readRPS(c); err != nil {
		t.Fatalf("the CA file was rewritten, but the client still uses the old one: %v", err)
	}
	time.Sleep(10 * time.Millisecond) // a new modification time, even on coarse clocks
	selfSigned(t, dir, "second")
	if _, err := readRPS(c); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) < 2 || seen[0] != "first" || seen[len(seen)-1] != "second" {
		t.Errorf("client certificates presented: %v, want first … second", seen)
	}
}
