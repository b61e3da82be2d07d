package jaeger

import (
	"context"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/sources/httpapi"
)

// TestJaegerBehindAuthenticatingProxy: a real Jaeger behind a TLS proxy
// that wants a bearer token and a tenant header, the way a team exposes its
// query service. With the token and the CA the trace lookup reaches Jaeger
// (which says the trace is not there); without them each failure says what
// is wrong, and no error carries the token.
func TestJaegerBehindAuthenticatingProxy(t *testing.T) {
	t.Parallel()
	sandboxtest.SkipServers(t, "Jaeger")
	j := sandboxtest.NewJaeger(t)
	target, _ := url.Parse(j.QueryURL())
	rp := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer j4eger-t0ken" || r.Header.Get("X-Tenant") != "origin" {
			// An error page quoting what was sent, as careless proxies do.
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"errors":[{"code":401,"msg":"denied: %s"}]}`, r.Header.Get("Authorization"))
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	trace := func(a httpapi.Auth) error {
		c, err := New(httpapi.APIOptions{URL: srv.URL, Auth: a, Scrubber: redact.NewScrubber()})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, err = c.Trace(context.Background(), "4bf92f3577b34da6a3ce929d0e0e4736")
		return err
	}
	tls := httpapi.TLS{CAFile: ca, ServerName: "example.com"}
	if err := trace(httpapi.Auth{BearerToken: "j4eger-t0ken", Headers: map[string]string{"X-Tenant": "origin"}, TLS: tls}); err == nil || !strings.Contains(err.Error(), "is not in Jaeger") {
		t.Errorf("with the token and the CA, Jaeger itself should answer: %v", err)
	}
	err := trace(httpapi.Auth{BearerToken: "wrong-t0ken", Headers: map[string]string{"X-Tenant": "origin"}, TLS: tls})
	if err == nil || !strings.Contains(err.Error(), "denied") || strings.Contains(err.Error(), "wrong-t0ken") {
		t.Errorf("a wrong token: %v (the token must be masked)", err)
	}
	if err := trace(httpapi.Auth{BearerToken: "j4eger-t0ken", Headers: map[string]string{"X-Tenant": "origin"}}); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("an unknown CA: %v", err)
	}
	if _, err := New(httpapi.APIOptions{URL: srv.URL, Auth: httpapi.Auth{TLS: httpapi.TLS{CAFile: filepath.Join(t.TempDir(), "missing.pem")}}}); err == nil || !strings.Contains(err.Error(), "tls.ca_file") {
		t.Errorf("a missing CA file: %v", err)
	}
}
