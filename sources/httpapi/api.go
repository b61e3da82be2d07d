package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/internal/errtext"
	"github.com/opsdeck/opsdeck/internal/redact"
)

// Defaults of an API's bounds.
const (
	DefaultTimeout = 5 * time.Second
	DefaultMaxBody = 8 << 20
)

// APIOptions configure an API client.
type APIOptions struct {
	// Name says which server it is in messages ("jaeger", "alertmanager").
	Name      string
	URL       string
	Timeout   time.Duration // bounds one request (default DefaultTimeout)
	Auth      Auth
	UserAgent string
	MaxBody   int64 // bounds one answer (default DefaultMaxBody)
	Scrubber  *redact.Scrubber
}

// API sends requests to one server, each bounded in time and size.
type API struct {
	o         APIOptions
	base      string
	baseURL   *url.URL // base parsed: a request's path goes under its path, its query beside its query
	http      *http.Client
	transport *Transport
	scrub     *redact.Scrubber
}

// NewAPI builds the client; it does no I/O.
func NewAPI(o APIOptions) (*API, error) {
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%s URL %q: want http(s)://host:port", o.Name, redact.URL(o.URL))
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	rt, err := New(o.Auth, o.Timeout, o.UserAgent)
	if err != nil {
		return nil, fmt.Errorf("%s client settings: %w", o.Name, err)
	}
	u.Path, u.RawPath = strings.TrimRight(u.Path, "/"), ""
	return &API{o: o, base: strings.TrimRight(o.URL, "/"), baseURL: u, http: &http.Client{Transport: rt}, transport: rt,
		scrub: o.Scrubber.With(append(redact.SecretsOf(o.URL), o.Auth.Secrets()...)...)}, nil
}

// target is path (with its query) under the base URL: its path after the
// base's path, its query beside the base's own, so that a base behind a
// proxy (http://proxy/vlogs/?token=…) keeps its path and its token on
// every request.
func (a *API) target(path string) string {
	p, err := url.Parse(path)
	if err != nil {
		return a.base + path
	}
	u := *a.baseURL
	raw := u.EscapedPath() + p.EscapedPath() // an escaped / in an id stays escaped
	u.Path += p.Path
	u.RawPath = raw
	if p.RawQuery != "" {
		if u.RawQuery != "" {
			u.RawQuery += "&"
		}
		u.RawQuery += p.RawQuery
	}
	return u.String()
}

// Close releases the idle connections.
func (a *API) Close() { a.transport.Close() }

// String is the server's URL with any password masked.
func (a *API) String() string { return redact.URL(a.base) }

// Scrub masks every secret the server might echo (an error page quoting
// the Authorization header) in err.
func (a *API) Scrub(err error) error {
	if err == nil {
		return nil
	}
	return errors.New(a.scrub.Error(err))
}

// Do sends one request for path (body, when not nil, as contentType) and
// reads the answer, bounded by the timeout and the largest answer; a
// failure to get one is said in words.
func (a *API) Do(ctx context.Context, method, path string, body io.Reader, contentType string) (answer []byte, code int, status string, err error) {
	ctx, cancel := context.WithTimeout(ctx, a.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, a.target(path), body)
	if err != nil {
		return nil, 0, "", err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := a.http.Do(req)
	if err != nil {
		// The deadline, or the transport's own wait for the answer's
		// headers: either way the server did not answer in time.
		var ne net.Error
		if errors.Is(ctx.Err(), context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
			return nil, 0, "", fmt.Errorf("no answer from %s within %s", a, a.o.Timeout)
		}
		return nil, 0, "", fmt.Errorf("cannot reach %s: %s", a, a.scrub.String(errtext.Cause(err.Error())))
	}
	defer resp.Body.Close()
	answer, err = io.ReadAll(io.LimitReader(resp.Body, a.o.MaxBody+1))
	if err != nil {
		return nil, 0, "", fmt.Errorf("reading the answer of %s: %s", a, a.scrub.String(errtext.Cause(err.Error())))
	}
	if int64(len(answer)) > a.o.MaxBody {
		return nil, 0, "", fmt.Errorf("the answer of %s is larger than %d MiB: opsdeck reads at most that much", a, a.o.MaxBody>>20)
	}
	return answer, resp.StatusCode, resp.Status, nil
}

// Open sends one GET of path with header and returns the answer unread,
// for the caller to read as a stream (a tail, an answer read line by line)
// and close. The wait for the answer's headers is bounded by the timeout;
// reading the body is bounded by ctx alone. A failure to get an answer is
// said in words, as by Do. (A stream should be asked with
// Accept-Encoding: identity: a compressing server holds back what it has
// until there is enough to compress, its headers too.)
func (a *API) Open(ctx context.Context, path string, header http.Header) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.target(path), nil)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := a.http.Do(req)
	if err != nil {
		var ne net.Error
		if errors.Is(ctx.Err(), context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
			return nil, fmt.Errorf("no answer from %s within %s", a, a.o.Timeout)
		}
		return nil, fmt.Errorf("cannot reach %s: %s", a, a.scrub.String(errtext.Cause(err.Error())))
	}
	return resp, nil
}

// Timeout is how long one request may take.
func (a *API) Timeout() time.Duration { return a.o.Timeout }
