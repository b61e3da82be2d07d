package prometheus

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/internal/safefile"
)

// newTransport builds the HTTP transport for a Prometheus-compatible server:
// TLS options, then credentials and extra headers on every request. (A small
// hand-written piece: prometheus/common/config does the same but adds more than
// 2 MiB of resident memory through its tracing and template dependencies.)
func newTransport(o Options) (*credentials, error) {
	tlsCfg := &tls.Config{ServerName: o.TLS.ServerName, InsecureSkipVerify: o.TLS.InsecureSkipVerify} //nolint:gosec // only when configured
	if o.TLS.CAFile != "" {
		pem, err := safefile.Read(o.TLS.CAFile, 1<<20)
		if err != nil {
			return nil, fmt.Errorf("tls.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls.ca_file %s: no PEM certificate in it", o.TLS.CAFile)
		}
		tlsCfg.RootCAs = pool
	}
	if o.TLS.CertFile != "" || o.TLS.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(o.TLS.CertFile, o.TLS.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls.cert_file/key_file: %w", err)
		}
		tlsCfg.Certificates = []tls.Certificate{cert}
	}
	base := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: o.Timeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tlsCfg,
		TLSHandshakeTimeout:   o.Timeout,
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   8, // the panes poll concurrently; keep their connections
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: o.Timeout,
	}
	return &credentials{next: base, o: o}, nil
}

// credentials adds the user agent, extra headers and authorization. Token and
// password files are read on every request so that rotated secrets are picked up.
type credentials struct {
	next http.RoundTripper
	o    Options
}

func (c *credentials) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	for k, v := range c.o.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("User-Agent", c.o.UserAgent)
	switch {
	case c.o.BearerToken != "":
		req.Header.Set("Authorization", "Bearer "+c.o.BearerToken)
	case c.o.BearerTokenFile != "":
		token, err := readSecret(c.o.BearerTokenFile)
		if err != nil {
			return nil, fmt.Errorf("bearer_token_file: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
	case c.o.BasicAuth != nil:
		password := c.o.BasicAuth.Password
		if c.o.BasicAuth.PasswordFile != "" {
			p, err := readSecret(c.o.BasicAuth.PasswordFile)
			if err != nil {
				return nil, fmt.Errorf("basic_auth.password_file: %w", err)
			}
			password = p
		}
		req.SetBasicAuth(c.o.BasicAuth.Username, password)
	}
	return c.next.RoundTrip(req)
}

// readSecret reads a credential file on every request (rotation-safe):
// bounded, and never a FIFO that would hang the poll.
func readSecret(path string) (string, error) {
	b, err := safefile.Read(path, 64<<10)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}
