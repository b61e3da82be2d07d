package prometheus

import (
	"cmp"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"syscall"

	"github.com/opsdeck/opsdeck/internal/errtext"
	"github.com/opsdeck/opsdeck/sources"
)

// Kind sorts failures so that the UI and tests can tell them apart.
type Kind string

const (
	KindUnreachable   Kind = "unreachable"    // refused, DNS, reset
	KindTimeout       Kind = "timeout"        // no answer within the timeout
	KindTLS           Kind = "tls"            // certificate or handshake problem
	KindHTTP          Kind = "http"           // a non-API HTTP error (401, 404, 502...)
	KindNotAPI        Kind = "not_api"        // an HTML page or other non-JSON answer
	KindBadResponse   Kind = "bad_response"   // invalid or unexpected JSON
	KindQueryRejected Kind = "query_rejected" // PromQL the server refused (bad_data)
	KindQueryFailed   Kind = "query_failed"   // the server failed evaluating it
	KindCannotSplit   Kind = "cannot_split"   // a breakdown the query does not allow
	KindLimit         Kind = "limit"          // the server refused a query over one of its limits
	KindNoTenant      Kind = "no_tenant"      // a multi-tenant server wants X-Scope-OrgID
	KindNoRules       Kind = "no_rules"       // the server evaluates no alert rules
)

// Error is a failure put in words an on-call engineer can act on. Its text has
// been scrubbed of secrets.
type Error struct {
	Kind Kind
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

// Unwrap makes a server without alert rules sources.ErrNoAlerting to its
// readers: nothing to read, which is not an outage.
func (e *Error) Unwrap() error {
	if e.Kind == KindNoRules {
		return sources.ErrNoAlerting
	}
	return nil
}

// httpError is produced by the apiOnly transport.
type httpError struct {
	status     int
	statusText string
	html       bool
	snippet    string
	url        string
}

func (e *httpError) Error() string {
	return fmt.Sprintf("HTTP %d from %s", e.status, e.url)
}

var htmlTitle = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)
var htmlTag = regexp.MustCompile(`<[^>]*>`)
var spaces = regexp.MustCompile(`\s+`)

func readSnippet(resp *http.Response) string {
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	s := string(b)
	if m := htmlTitle.FindStringSubmatch(s); m != nil {
		s = m[1]
	} else {
		s = htmlTag.ReplaceAllString(s, " ")
	}
	s = strings.TrimSpace(spaces.ReplaceAllString(s, " "))
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

// classify turns a transport, HTTP or API error into an Error.
func (c *Client) classify(ctx context.Context, err error) error {
	e := c.describe(ctx, err)
	e.Msg = c.scrubber.String(e.Msg)
	return e
}

func (c *Client) describe(ctx context.Context, err error) *Error {
	var he *httpError
	if errors.As(err, &he) {
		return describeHTTP(he)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &Error{Kind: KindTimeout, Msg: fmt.Sprintf("no answer from %s within %s", c.base, c.timeout)}
	}
	if errors.Is(err, context.Canceled) {
		return &Error{Kind: KindTimeout, Msg: "request cancelled"}
	}
	var apiErr *apiError
	if errors.As(err, &apiErr) {
		return describeAPI(apiErr)
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return &Error{Kind: KindUnreachable, Msg: fmt.Sprintf("cannot resolve host %q (check the prometheus url)", dnsErr.Name)}
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return &Error{Kind: KindUnreachable, Msg: fmt.Sprintf("connection refused by %s (is Prometheus running there?)", c.base)}
	}
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &Error{Kind: KindUnreachable, Msg: fmt.Sprintf("%s closed the connection before answering", c.base)}
	}
	var certErr x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	switch {
	case errors.As(err, &certErr):
		return &Error{Kind: KindTLS, Msg: "TLS: certificate signed by an unknown authority (set tls.ca_file)"}
	case errors.As(err, &hostErr):
		return &Error{Kind: KindTLS, Msg: "TLS: " + hostErr.Error() + " (set tls.server_name)"}
	case strings.Contains(err.Error(), "tls:") || strings.Contains(err.Error(), "x509:"):
		return &Error{Kind: KindTLS, Msg: "TLS: " + errtext.Cause(err.Error())}
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return &Error{Kind: KindTimeout, Msg: fmt.Sprintf("no answer from %s within %s", c.base, c.timeout)}
	}
	return &Error{Kind: KindUnreachable, Msg: errtext.Cause(err.Error())}
}

func describeHTTP(he *httpError) *Error {
	status := fmt.Sprintf("HTTP %d %s", he.status, he.statusText)
	switch {
	case he.html && he.status/100 == 2:
		return &Error{Kind: KindNotAPI, Msg: fmt.Sprintf("answered an HTML page (%q) instead of the Prometheus API: wrong URL, or a login proxy in front?", he.snippet)}
	case describeTenant(he.snippet) != nil:
		return describeTenant(he.snippet)
	case describeLimit(he.snippet) != nil:
		return describeLimit(he.snippet)
	case he.status == http.StatusUnauthorized || he.status == http.StatusForbidden:
		return &Error{Kind: KindHTTP, Msg: status + ": check bearer_token or basic_auth"}
	case he.status == http.StatusNotFound:
		return &Error{Kind: KindHTTP, Msg: status + " for " + he.url + ": is the URL the server's base URL?"}
	case he.html:
		return &Error{Kind: KindHTTP, Msg: fmt.Sprintf("%s with an HTML page (%q): a proxy or load balancer error?", status, he.snippet)}
	case he.snippet != "":
		return &Error{Kind: KindHTTP, Msg: fmt.Sprintf("%s: %s", status, he.snippet)}
	default:
		return &Error{Kind: KindHTTP, Msg: status}
	}
}

func describeAPI(e *apiError) *Error {
	if l := describeLimit(e.Msg + " " + e.Detail); l != nil {
		return l
	}
	if t := describeTenant(e.Msg + " " + e.Detail); t != nil {
		return t
	}
	switch e.Type {
	case errBadData, errVMRejected, errVMBadRequest:
		return &Error{Kind: KindQueryRejected, Msg: "query rejected: " + e.Msg}
	case errExec, errTimeout, errCanceled:
		return &Error{Kind: KindQueryFailed, Msg: "query failed: " + e.Msg}
	case errBadResponse:
		msg := e.Msg
		if strings.Contains(msg, "JSON") || strings.Contains(msg, "json") || strings.Contains(msg, "invalid character") || strings.Contains(msg, "unexpected end") {
			return &Error{Kind: KindBadResponse, Msg: "answered invalid JSON (" + shorten(msg, 80) + "): not a Prometheus API, or a truncated reply"}
		}
		return &Error{Kind: KindBadResponse, Msg: "unexpected answer: " + shorten(msg, 100)}
	case errServer:
		return &Error{Kind: KindHTTP, Msg: "server error: " + shorten(cmp.Or(e.Detail, e.Msg), 100)}
	case errClient:
		return &Error{Kind: KindHTTP, Msg: shorten(e.Msg, 100)}
	default:
		return &Error{Kind: KindQueryFailed, Msg: shorten(string(e.Type)+": "+e.Msg, 120)}
	}
}

func shorten(s string, n int) string {
	s = strings.TrimSpace(spaces.ReplaceAllString(s, " "))
	if len(s) > n {
		return s[:n-3] + "..."
	}
	return s
}
