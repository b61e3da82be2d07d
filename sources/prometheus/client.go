package prometheus

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/common/model"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/httpapi"
)

// Options configure a client. They mirror the environment's prometheus: block.
type Options struct {
	URL     string
	Timeout time.Duration
	// Auth is the credentials, headers and TLS the server wants.
	Auth httpapi.Auth
	// Scrubber removes secrets from error text (server replies may echo them).
	Scrubber *redact.Scrubber
	// UserAgent identifies opsdeck in server logs.
	UserAgent string
	// MaxResponseBytes bounds one answer (default DefaultMaxResponseBytes).
	MaxResponseBytes int64
	// AlertsURL is the server that evaluates the alert rules when the store
	// evaluates none (vmalert beside VictoriaMetrics): its /api/v1/alerts and
	// /api/v1/rules, Prometheus's shape, asked with the same credentials.
	AlertsURL string
}

// Client is safe for concurrent use by all panes.
type Client struct {
	http      *http.Client
	endpoint  string     // base URL + /api/v1, without its query
	baseQuery url.Values // the base URL's own query (a token a proxy wants), sent with every request
	maxBody   int64
	// oversize backs off a server that keeps sending answers over maxBody:
	// each costs a read of maxBody bytes, so it is not asked again until
	// the time is up.
	oversize struct {
		mu     sync.Mutex
		until  time.Time
		streak int
		err    error
	}
	transport *httpapi.Transport
	base      string // redacted, for messages
	timeout   time.Duration
	scrubber  *redact.Scrubber

	mu        sync.Mutex
	names     []string // metric names, cached for diagnosis
	namesAt   time.Time
	diagnoses map[string]diagnosis
	flavour   Flavour
	flavourAt time.Time
	// storesNotes say which stores a Thanos querier leaves out, as of
	// storesAt.
	storesNotes []string
	storesAt    time.Time
	// splitBy is the label each query was last split by when none was
	// asked: the likeliest choice the next time (a few queries, the panes').
	splitBy map[string]string

	// rules reads the alerts: this client, or the one of Options.AlertsURL.
	rules *Client
	// batch gathers the signals' current values asked at one instant.
	batch batcher
}

type diagnosis struct {
	text string
	at   time.Time
}

// cacheTTL bounds how stale the metric-name list and diagnoses may be: long
// enough not to repeat the work every poll, short enough to notice a fix.
const cacheTTL = 30 * time.Second

// New builds a client; it does no I/O.
func New(o Options) (*Client, error) {
	if o.URL == "" {
		return nil, fmt.Errorf("no Prometheus URL configured")
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.UserAgent == "" {
		o.UserAgent = "opsdeck"
	}
	rt, err := httpapi.New(o.Auth, o.Timeout, o.UserAgent)
	if err != nil {
		return nil, fmt.Errorf("prometheus client settings: %w", err)
	}
	scrubber := o.Scrubber.With(append(redact.SecretsOf(o.URL), o.Auth.Secrets()...)...)
	endpoint, query, err := apiEndpoint(o.URL)
	if err != nil {
		return nil, fmt.Errorf("prometheus URL %s: %v", redact.URL(o.URL), err)
	}
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = DefaultMaxResponseBytes
	}
	c := &Client{
		http:      &http.Client{Transport: apiOnly{next: rt}},
		endpoint:  endpoint,
		baseQuery: query,
		maxBody:   o.MaxResponseBytes,
		transport: rt,
		base:      redact.URL(o.URL),
		timeout:   o.Timeout,
		scrubber:  scrubber,
		diagnoses: map[string]diagnosis{},
	}
	c.rules = c
	if o.AlertsURL != "" {
		ao := o
		ao.URL, ao.AlertsURL = o.AlertsURL, ""
		if c.rules, err = New(ao); err != nil {
			return nil, fmt.Errorf("alerts_url: %w", err)
		}
	}
	return c, nil
}

// Close releases the client's idle connections (an environment switch or
// quit); requests in flight finish on their own.
func (c *Client) Close() {
	c.transport.Close()
	if c.rules != c {
		c.rules.Close()
	}
}

// String is the server's URL with any password masked.
func (c *Client) String() string { return c.base }

// Sample is one series of an instant result.
type Sample struct {
	Labels map[string]string
	Value  float64
}

// Instant evaluates query at time at.
// Its notes are the warnings and infos Prometheus attached to the answer.
func (c *Client) Instant(ctx context.Context, query string, at time.Time) (samples []Sample, notes []string, err error) {
	samples, notes, _, err = c.instant(ctx, query, at)
	return samples, notes, err
}

// instant is Instant, saying whether the answer was a scalar.
func (c *Client) instant(ctx context.Context, query string, at time.Time) (samples []Sample, notes []string, scalar bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	val, notes, err := c.query(ctx, query, at)
	if err != nil {
		return nil, nil, false, c.classify(ctx, err)
	}
	switch v := val.(type) {
	case model.Vector:
		out := make([]Sample, len(v))
		for i, s := range v {
			out[i] = Sample{Labels: labelsOf(s.Metric), Value: float64(s.Value)}
		}
		return out, notes, false, nil
	case *model.Scalar:
		return []Sample{{Value: float64(v.Value)}}, notes, true, nil
	case nil:
		return nil, notes, false, nil
	default:
		return nil, nil, false, &Error{Kind: KindBadResponse, Msg: fmt.Sprintf("query returned a %s, want an instant vector or scalar", val.Type())}
	}
}

// Range evaluates query over w and folds the result onto w's points, taking the
// largest value where several series share a point.
// Its notes are the warnings and infos Prometheus attached to the answer.
func (c *Client) Range(ctx context.Context, query string, w sources.Window) (points []float64, notes []string, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	val, notes, err := c.queryRange(ctx, query, w.Start(), w.End, w.Step, c.Flavour(ctx).resolution(w.Step))
	if err != nil {
		return nil, nil, c.classify(ctx, err)
	}
	m, ok := val.(model.Matrix)
	if !ok {
		return nil, nil, &Error{Kind: KindBadResponse, Msg: fmt.Sprintf("range query returned a %s, want a matrix", val.Type())}
	}
	points = gaps(w)
	for _, series := range m {
		fold(points, series.Values, w)
	}
	return points, notes, nil
}

// gaps is w's points, none with a value yet.
func gaps(w sources.Window) []float64 {
	points := make([]float64, w.Points())
	for i := range points {
		points[i] = math.NaN()
	}
	return points
}

// fold puts a series' samples on w's points, keeping the largest value where
// several samples (or series) share a point.
func fold(points []float64, samples []model.SamplePair, w sources.Window) {
	start := w.Start()
	for _, p := range samples {
		i := int(math.Round(float64(p.Timestamp.Time().Sub(start)) / float64(w.Step)))
		if v := float64(p.Value); i >= 0 && i < len(points) && (math.IsNaN(points[i]) || v > points[i]) {
			points[i] = v
		}
	}
}

// Read polls one golden signal: the current value (instant query) and the
// chart (range query), fetched concurrently. An empty result is diagnosed.
func (c *Client) Read(ctx context.Context, spec sources.SignalSpec, w sources.Window) (sources.Reading, error) {
	r := sources.Reading{Key: spec.Key, At: w.Now, Value: math.NaN(), Window: w}
	if r.At.IsZero() {
		r.At = time.Now()
	}
	// Prometheus evaluates at millisecond precision; report the instant it used.
	r.At = r.At.Truncate(time.Millisecond)
	var (
		wg         sync.WaitGroup
		points     []float64
		rangeNotes []string
		rangeErr   error
	)
	if w.Step > 0 { // a window without a step wants the current value only
		wg.Add(1)
		go func() {
			defer wg.Done()
			points, rangeNotes, rangeErr = c.Range(ctx, spec.Query, w)
		}()
	}
	samples, notes, at, err := c.instantAt(ctx, spec.Query, r.At)
	r.At = at
	wg.Wait()
	if err != nil {
		return r, err
	}
	if rangeErr != nil {
		return r, rangeErr
	}
	r.Points = points
	r.Series = len(samples)
	r.Notes = notes
	for _, n := range rangeNotes {
		if !slices.Contains(r.Notes, n) {
			r.Notes = append(r.Notes, n)
		}
	}
	f := c.Flavour(ctx)
	if note := f.evaluatedAt(r.At); note != "" {
		r.Notes = append(r.Notes, note)
	}
	r.Notes = append(r.Notes, c.storesLeftOut(ctx, f, slices.ContainsFunc(r.Notes, partial))...)
	r.Partial = slices.ContainsFunc(r.Notes, partial)
	r.Server = f.String()
	if w.Step > 0 {
		r.Resolution = f.resolution(w.Step)
	}
	for _, s := range samples {
		if math.IsNaN(r.Value) || s.Value > r.Value {
			r.Value = s.Value
		}
	}
	switch {
	case len(samples) == 0:
		if last, ok := lastPoint(points, w); ok {
			r.Diagnosis = fmt.Sprintf("no value now; the last data point was %s ago", roundAge(r.At.Sub(last)))
		} else {
			r.Diagnosis = c.Diagnose(ctx, spec.Query, r.At)
		}
	case math.IsNaN(r.Value):
		r.Diagnosis = "the query evaluates to NaN (for a ratio: no traffic in the rate window)"
	}
	return r, nil
}

func lastPoint(points []float64, w sources.Window) (time.Time, bool) {
	for i := len(points) - 1; i >= 0; i-- {
		if !math.IsNaN(points[i]) {
			return w.Start().Add(time.Duration(i) * w.Step), true
		}
	}
	return time.Time{}, false
}

func roundAge(d time.Duration) time.Duration {
	if d < time.Minute {
		return d.Round(time.Second)
	}
	return d.Round(time.Minute)
}

// Alerts returns firing and pending alerts, firing first, then by severity
// and name: the store's, or those of the server evaluating its rules
// (Options.AlertsURL).
func (c *Client) Alerts(ctx context.Context) ([]sources.Alert, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	r := c.rules
	alerts, err := r.alerts(ctx)
	if err != nil {
		var e *Error
		errors.As(r.classify(ctx, err), &e)
		if r != c {
			e.Msg = "alerts from " + r.base + ": " + e.Msg
		}
		return nil, e
	}
	if len(alerts) == 0 {
		if err := r.evaluatesRules(ctx, r != c); err != nil {
			return nil, err
		}
	}
	out := make([]sources.Alert, 0, len(alerts))
	for _, a := range alerts {
		if a.State != "firing" && a.State != "pending" {
			continue
		}
		out = append(out, sources.Alert{
			Name:     a.Labels[model.AlertNameLabel],
			State:    a.State,
			Severity: a.Labels["severity"],
			Summary:  a.Annotations["summary"],
			ActiveAt: a.ActiveAt.Time,
			Labels:   a.Labels,
		})
	}

	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.State != b.State {
			return a.State == "firing"
		}
		if sa, sb := sources.SeverityRank(a.Severity), sources.SeverityRank(b.Severity); sa != sb {
			return sa > sb
		}
		return a.Name < b.Name
	})
	return out, nil
}

func labelsOf(m model.Metric) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[string(k)] = string(v)
	}
	return out
}

// apiOnly turns answers that are not the Prometheus API (a login page, a
// proxy's HTML error page, a plain-text 502) into errors that say so, before
// the JSON decoder produces something cryptic.
type apiOnly struct{ next http.RoundTripper }

func (a apiOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := a.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	ct := strings.ToLower(resp.Header.Get("Content-Type"))
	isJSON := strings.Contains(ct, "json")
	isHTML := strings.Contains(ct, "html")
	ok := resp.StatusCode/100 == 2
	if isHTML || (!ok && !isJSON) {
		snippet := readSnippet(resp)
		return nil, &httpError{status: resp.StatusCode, statusText: http.StatusText(resp.StatusCode), html: isHTML, snippet: snippet, url: stripQuery(req.URL)}
	}
	return resp, nil
}

func stripQuery(u *url.URL) string {
	cp := *u
	cp.RawQuery = ""
	cp.User = nil
	return cp.String()
}
