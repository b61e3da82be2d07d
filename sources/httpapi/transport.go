package httpapi

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

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/internal/safefile"
)

// Auth is how a server wants to be spoken to. Set at most one of
// BearerToken, BearerTokenFile and BasicAuth (the configuration checks).
type Auth struct {
	BearerToken     string
	BearerTokenFile string
	BasicAuth       *BasicAuth
	Headers         map[string]string
	TLS             TLS
}

// BasicAuth credentials; PasswordFile is read on every request (rotation-safe).
type BasicAuth struct {
	Username, Password, PasswordFile string
}

// TLS options for servers behind TLS.
type TLS struct {
	CAFile, CertFile, KeyFile, ServerName string
	InsecureSkipVerify                    bool
}

// Secrets are the values of a that must never be shown: the token, the
// password, and the basic-auth header they travel in.
func (a Auth) Secrets() []string {
	out := []string{a.BearerToken}
	if b := a.BasicAuth; b != nil && b.Password != "" {
		out = append(out, b.Password, redact.BasicAuth(b.Username, b.Password))
	}
	return out
}

// Transport adds a's credentials and headers to every request. Close
// releases its idle connections.
type Transport struct {
	next      *http.Transport
	auth      Auth
	userAgent string
}

// New builds the transport: TLS options, then credentials and extra
// headers on every request, each step bounded by timeout. (A small
// hand-written piece: prometheus/common/config does the same but adds about
// 1 MiB of resident memory through its tracing and template dependencies;
// docs/PERFORMANCE.md, "Libraries weighed".)
func New(a Auth, timeout time.Duration, userAgent string) (*Transport, error) {
	tlsCfg := &tls.Config{ServerName: a.TLS.ServerName, InsecureSkipVerify: a.TLS.InsecureSkipVerify} //nolint:gosec // only when configured
	files := &tlsFiles{o: a.TLS}
	if a.TLS.CAFile != "" {
		if _, err := files.roots(); err != nil {
			return nil, err
		}
		if !a.TLS.InsecureSkipVerify {
			// The server's chain is verified here, against the CA file as it
			// is now (crypto/tls's own check would keep the first one read).
			tlsCfg.InsecureSkipVerify = true //nolint:gosec // VerifyConnection verifies
			tlsCfg.VerifyConnection = files.verify
		}
	}
	if a.TLS.CertFile != "" || a.TLS.KeyFile != "" {
		if _, err := files.clientCert(nil); err != nil {
			return nil, err
		}
		tlsCfg.GetClientCertificate = files.clientCert
	}
	base := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tlsCfg,
		TLSHandshakeTimeout:   timeout,
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   8, // the panes poll concurrently; keep their connections
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: timeout,
	}
	return &Transport{next: base, auth: a, userAgent: userAgent}, nil
}

// Close releases the idle connections (an environment switch or quit);
// requests in flight finish on their own.
func (t *Transport) Close() { t.next.CloseIdleConnections() }

// RoundTrip sends req with the user agent, extra headers and authorization.
// Token and password files are read on every request so that rotated
// secrets are picked up.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	for k, v := range t.auth.Headers {
		req.Header.Set(k, v)
	}
	if t.userAgent != "" {
		req.Header.Set("User-Agent", t.userAgent)
	}
	a := t.auth
	switch {
	case a.BearerToken != "":
		req.Header.Set("Authorization", "Bearer "+a.BearerToken)
	case a.BearerTokenFile != "":
		token, err := readSecret(a.BearerTokenFile)
		if err != nil {
			return nil, fmt.Errorf("bearer_token_file: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
	case a.BasicAuth != nil:
		password := a.BasicAuth.Password
		if a.BasicAuth.PasswordFile != "" {
			p, err := readSecret(a.BasicAuth.PasswordFile)
			if err != nil {
				return nil, fmt.Errorf("basic_auth.password_file: %w", err)
			}
			password = p
		}
		req.SetBasicAuth(a.BasicAuth.Username, password)
	}
	return t.next.RoundTrip(req)
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
