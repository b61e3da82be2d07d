package prometheus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// The HTTP API, spoken directly with encoding/json and prometheus/common's
// model types. (client_golang's API client decodes with json-iterator under
// Go 1.26, whose start-up tables cost 0.5 MiB of resident memory.) Error
// handling follows that client: a JSON error body becomes an apiError with
// the server's errorType, anything else an apiError of the HTTP class.

// apiError is an error the API (or the HTTP layer in front of it) answered.
type apiError struct {
	Type   string // bad_data, execution, timeout, canceled, bad_response, server_error, client_error
	Msg    string
	Detail string
}

func (e *apiError) Error() string { return e.Type + ": " + e.Msg }

const (
	errBadData     = "bad_data"
	errExec        = "execution"
	errTimeout     = "timeout"
	errCanceled    = "canceled"
	errBadResponse = "bad_response"
	errServer      = "server_error"
	errClient      = "client_error"
)

// DefaultMaxResponseBytes bounds one answer: the console's queries are
// aggregates (a few KiB); the largest real answers (every metric name, for a
// diagnosis) are a few MiB.
const DefaultMaxResponseBytes = 8 << 20

// oversizeBackoff is how long a server whose answer was too large is left
// alone, doubling while it goes on, up to maxOversizeBackoff.
const (
	oversizeBackoff    = time.Second
	maxOversizeBackoff = time.Minute
)

type envelope struct {
	Status    string          `json:"status"`
	Data      json.RawMessage `json:"data"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
	// Warnings and infos come with a successful answer: a partial result,
	// a counter that may not be one (PromQL's annotations).
	Warnings []string `json:"warnings"`
	Infos    []string `json:"infos"`
}

// notes are an answer's warnings and infos, as shown.
func (e envelope) notes() []string {
	var out []string
	for _, w := range e.Warnings {
		out = append(out, "warning: "+w)
	}
	for _, i := range e.Infos {
		out = append(out, "info: "+i)
	}
	return out
}

// call GETs an API endpoint and decodes its data into into.
func (c *Client) call(ctx context.Context, endpoint string, params url.Values, into any) error {
	_, err := c.callNoted(ctx, endpoint, params, into)
	return err
}

// callNoted is call that also returns the answer's warnings and infos.
func (c *Client) callNoted(ctx context.Context, endpoint string, params url.Values, into any) (notes []string, err error) {
	c.oversize.mu.Lock()
	if time.Now().Before(c.oversize.until) {
		err := c.oversize.err
		c.oversize.mu.Unlock()
		return nil, err
	}
	c.oversize.mu.Unlock()
	if params == nil {
		params = url.Values{}
	}
	for k, vs := range c.baseQuery {
		if !params.Has(k) {
			params[k] = vs
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoint+endpoint+"?"+params.Encode(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body []byte
	if resp.ContentLength <= c.maxBody {
		body, err = io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
		if err != nil {
			return nil, err
		}
	}
	if resp.ContentLength > c.maxBody || int64(len(body)) > c.maxBody {
		return nil, c.tooLarge()
	}
	c.oversize.mu.Lock()
	c.oversize.streak = 0
	c.oversize.mu.Unlock()
	code := resp.StatusCode
	var env envelope
	if code/100 != 2 {
		// 400 and 422 carry the API's own error, and so may a 5xx (Prometheus's
		// 503 for a timeout, a querier's for a store it could not reach); any
		// other answer is the HTTP layer's.
		clientCode := code == http.StatusBadRequest || code == http.StatusUnprocessableEntity
		if (clientCode || code/100 == 5) && json.Unmarshal(body, &env) == nil && (env.Status == "error" || clientCode && env.Status != "success") {
			if env.ErrorType == "" {
				env.ErrorType = errClient
			}
			if env.Error == "" {
				env.Error = fmt.Sprintf("client error: %d", code)
			}
			return nil, &apiError{Type: env.ErrorType, Msg: env.Error}
		}
		typ, msg := errBadResponse, fmt.Sprintf("bad response code %d", code)
		switch code / 100 {
		case 4:
			typ, msg = errClient, fmt.Sprintf("client error: %d", code)
		case 5:
			typ, msg = errServer, fmt.Sprintf("server error: %d", code)
		}
		return nil, &apiError{Type: typ, Msg: msg, Detail: string(body)}
	}
	// One pass: the data is decoded straight into into, not copied out of
	// the envelope and scanned again.
	if into == nil {
		into = new(json.RawMessage)
	}
	ok := answer{Data: into}
	if err := json.Unmarshal(body, &ok); err != nil {
		if json.Unmarshal(body, &env) == nil && env.Status == "error" {
			return nil, &apiError{Type: env.ErrorType, Msg: env.Error}
		}
		return nil, &apiError{Type: errBadResponse, Msg: err.Error()}
	}
	if ok.Status == "error" {
		return nil, &apiError{Type: ok.ErrorType, Msg: ok.Error}
	}
	return ok.envelope().notes(), nil
}

// answer is a successful envelope whose data goes straight into Data, a
// pointer to the caller's value.
type answer struct {
	Status    string   `json:"status"`
	Data      any      `json:"data"`
	ErrorType string   `json:"errorType"`
	Error     string   `json:"error"`
	Warnings  []string `json:"warnings"`
	Infos     []string `json:"infos"`
}

func (a answer) envelope() envelope {
	return envelope{Status: a.Status, ErrorType: a.ErrorType, Error: a.Error, Warnings: a.Warnings, Infos: a.Infos}
}

func apiTime(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', -1, 64)
}

// timeoutParam is the timeout in seconds as a bare number: Prometheus reads
// "0.4" but refuses "0.4s".
func (c *Client) timeoutParam() string {
	return strconv.FormatFloat(c.timeout.Seconds(), 'f', -1, 64)
}

// queryResult is the data of /query and /query_range.
type queryResult struct {
	Type   model.ValueType `json:"resultType"`
	Result json.RawMessage `json:"result"`
}

func (r queryResult) value() (model.Value, error) {
	var err error
	switch r.Type {
	case model.ValVector:
		var v model.Vector
		err = json.Unmarshal(r.Result, &v)
		return v, err
	case model.ValMatrix:
		var m model.Matrix
		err = json.Unmarshal(r.Result, &m)
		return m, err
	case model.ValScalar:
		var s model.Scalar
		err = json.Unmarshal(r.Result, &s)
		return &s, err
	case model.ValString:
		var s model.String
		err = json.Unmarshal(r.Result, &s)
		return &s, err
	}
	return nil, &apiError{Type: errBadResponse, Msg: fmt.Sprintf("unexpected result type %q", r.Type)}
}

func (c *Client) query(ctx context.Context, query string, at time.Time) (model.Value, []string, error) {
	var r queryResult
	notes, err := c.callRetried(ctx, "/query", url.Values{"query": {query}, "time": {apiTime(at)}, "timeout": {c.timeoutParam()}}, &r)
	if err != nil {
		return nil, nil, err
	}
	v, err := r.value()
	return v, notes, err
}

// queryRange asks for query over start..end; a resolution (Thanos's
// downsampled data) is the coarsest the server may answer from.
func (c *Client) queryRange(ctx context.Context, query string, start, end time.Time, step, resolution time.Duration) (model.Value, []string, error) {
	var r queryResult
	params := url.Values{"query": {query}, "start": {apiTime(start)}, "end": {apiTime(end)},
		"step": {strconv.FormatFloat(step.Seconds(), 'f', -1, 64)}, "timeout": {c.timeoutParam()}}
	if resolution > 0 {
		params.Set("max_source_resolution", resolution.String())
	}
	notes, err := c.callRetried(ctx, "/query_range", params, &r)
	if err != nil {
		return nil, nil, err
	}
	v, err := r.value()
	return v, notes, err
}

// callRetried is callNoted asked once more after a failure that may pass
// (an execution error, a 5xx from a querier whose store hiccupped), while
// the context has time left.
func (c *Client) callRetried(ctx context.Context, endpoint string, params url.Values, into any) ([]string, error) {
	notes, err := c.callNoted(ctx, endpoint, params, into)
	if transient(err) && ctx.Err() == nil {
		return c.callNoted(ctx, endpoint, params, into)
	}
	return notes, err
}

func transient(err error) bool {
	var ae *apiError
	var he *httpError
	switch {
	case errors.As(err, &ae):
		return ae.Type == errExec || ae.Type == errServer
	case errors.As(err, &he):
		return he.status == http.StatusBadGateway || he.status == http.StatusServiceUnavailable || he.status == http.StatusGatewayTimeout
	}
	return false
}

// apiAlert is one entry of /alerts, read leniently: one odd field of one
// alert must not cost the whole list.
type apiAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	State       string            `json:"state"`
	ActiveAt    lenientTime       `json:"activeAt"`
}

// lenientTime is an RFC 3339 time, or zero when it is anything else.
type lenientTime struct{ time.Time }

func (t *lenientTime) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		t.Time, _ = time.Parse(time.RFC3339Nano, s)
	}
	return nil
}

// alerts returns the alerts that could be read: an entry that is not an
// alert at all is left out, and the others stand.
func (c *Client) alerts(ctx context.Context) ([]apiAlert, error) {
	var r struct {
		Alerts []json.RawMessage `json:"alerts"`
	}
	if err := c.call(ctx, "/alerts", nil, &r); err != nil {
		return nil, err
	}
	out := make([]apiAlert, 0, len(r.Alerts))
	for _, raw := range r.Alerts {
		var a apiAlert
		if json.Unmarshal(raw, &a) == nil {
			out = append(out, a)
		}
	}
	return out, nil
}

func rangeParams(match []string, start, end time.Time) url.Values {
	p := url.Values{"start": {apiTime(start)}, "end": {apiTime(end)}}
	for _, m := range match {
		p.Add("match[]", m)
	}
	return p
}

func (c *Client) labelNames(ctx context.Context, match []string, start, end time.Time) ([]string, error) {
	var names []string
	err := c.call(ctx, "/labels", rangeParams(match, start, end), &names)
	return names, err
}

func (c *Client) labelValues(ctx context.Context, label string, match []string, start, end time.Time) ([]string, error) {
	var values []string
	err := c.call(ctx, "/label/"+url.PathEscape(label)+"/values", rangeParams(match, start, end), &values)
	return values, err
}

func (c *Client) series(ctx context.Context, match []string, start, end time.Time) ([]model.LabelSet, error) {
	var sets []model.LabelSet
	err := c.call(ctx, "/series", rangeParams(match, start, end), &sets)
	return sets, err
}

// tooLarge records an answer over the limit and backs off: the next calls
// fail at once with the same words until the back-off ends.
func (c *Client) tooLarge() error {
	c.oversize.mu.Lock()
	defer c.oversize.mu.Unlock()
	wait := min(oversizeBackoff<<min(c.oversize.streak, 6), maxOversizeBackoff)
	c.oversize.streak++
	c.oversize.until = time.Now().Add(wait)
	c.oversize.err = &apiError{Type: errBadResponse, Msg: fmt.Sprintf("the answer is larger than %d MiB (prometheus.max_response_bytes); not asked again for %s", c.maxBody>>20, wait)}
	return c.oversize.err
}

// apiEndpoint is base + /api/v1, for any base path (/prometheus behind a
// proxy), and the base's own query parameters, which every request keeps.
func apiEndpoint(base string) (string, url.Values, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, err
	}
	if u.Scheme == "" || u.Host == "" {
		return "", nil, fmt.Errorf("not an absolute URL")
	}
	q := u.Query()
	u.RawQuery, u.Fragment = "", ""
	u.Path = strings.TrimRight(u.Path, "/") + "/api/v1"
	u.RawPath = ""
	return u.String(), q, nil
}
