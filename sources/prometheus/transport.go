package prometheus

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/opsdeck/opsdeck/internal/safefile"
)

// newTransport builds the HTTP transport for a Prometheus-compatible server:
// TLS options, then credentials and extra headers on every request. (A small
// hand-written piece: prometheus/common/config does the same but adds about
// 1 MiB of resident memory through its tracing and template dependencies;
// docs/PERFORMANCE.md, "Libraries weighed".)
func newTransport(o Options) (*credentials, error) {
	tlsCfg := &tls.Config{ServerName: o.TLS.ServerName, InsecureSkipVerify: o.TLS.InsecureSkipVerify} //nolint:gosec // only when configured
	files := &tlsFiles{o: o.TLS}
	if o.TLS.CAFile != "" {
		if _, err := files.roots(); err != nil {
			return nil, err
		}
		if !o.TLS.InsecureSkipVerify {
			// The server's chain is verified here, against the CA file as it
			// is now (crypto/tls's own check would keep the first one read).
			tlsCfg.InsecureSkipVerify = true //nolint:gosec // VerifyConnection verifies
			tlsCfg.VerifyConnection = files.verify
		}
	}
	if o.TLS.CertFile != "" || o.TLS.KeyFile != "" {
		if _, err := files.clientCert(nil); err != nil {
			return nil, err
		}
		tlsCfg.GetClientCertificate = files.clientCert
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

// tlsFiles reads the CA and the client certificate again when their files
// change, so that rotated certificates are used from the next connection on,
// without a restart. (Connections already open keep what they were made with.)
type tlsFiles struct {
	o TLS

	mu                 sync.Mutex
	caStamp, certStamp string
	pool               *x509.CertPool
	cert               *tls.Certificate
}

// stamp identifies the files' current contents cheaply: size and time of
// the last change.
func stamp(paths ...string) string {
	var b strings.Builder
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil {
			fmt.Fprintf(&b, "%d/%d;", st.Size(), st.ModTime().UnixNano())
		}
		b.WriteString("|")
	}
	return b.String()
}

func (f *tlsFiles) roots() (*x509.CertPool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s := stamp(f.o.CAFile); f.pool == nil || s != f.caStamp {
		pem, err := safefile.Read(f.o.CAFile, 1<<20)
		if err != nil {
			return nil, fmt.Errorf("tls.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls.ca_file %s: no PEM certificate in it", f.o.CAFile)
		}
		f.pool, f.caStamp = pool, s
	}
	return f.pool, nil
}

// verify checks the server's chain against the CA file, as crypto/tls
// would with RootCAs set.
func (f *tlsFiles) verify(cs tls.ConnectionState) error {
	pool, err := f.roots()
	if err != nil {
		return err
	}
	if len(cs.PeerCertificates) == 0 {
		return fmt.Errorf("tls: the server sent no certificate")
	}
	opts := x509.VerifyOptions{DNSName: cs.ServerName, Roots: pool, Intermediates: x509.NewCertPool()}
	for _, c := range cs.PeerCertificates[1:] {
		opts.Intermediates.AddCert(c)
	}
	_, err = cs.PeerCertificates[0].Verify(opts)
	return err
}

func (f *tlsFiles) clientCert(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s := stamp(f.o.CertFile, f.o.KeyFile); f.cert == nil || s != f.certStamp {
		certPEM, err := safefile.Read(f.o.CertFile, 1<<20)
		if err != nil {
			return nil, fmt.Errorf("tls.cert_file: %w", err)
		}
		keyPEM, err := safefile.Read(f.o.KeyFile, 1<<20)
		if err != nil {
			return nil, fmt.Errorf("tls.key_file: %w", err)
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("tls.cert_file/key_file: %w", err)
		}
		f.cert, f.certStamp = &cert, s
	}
	return f.cert, nil
}
