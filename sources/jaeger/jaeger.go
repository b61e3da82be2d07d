package jaeger

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/internal/safetext"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/httpapi"
)

// Client reads one Jaeger.
type Client struct{ api *httpapi.API }

// New builds a client of the server at o.URL (its query service for
// Jaeger); it does no I/O.
func New(o httpapi.APIOptions) (*Client, error) {
	o.Name = "jaeger"
	api, err := httpapi.NewAPI(o)
	if err != nil {
		return nil, err
	}
	return &Client{api: api}, nil
}

// Close releases the client's idle connections.
func (c *Client) Close() { c.api.Close() }

// traceID is what a trace id may be: hex, 1 to 32 digits.
var traceID = regexp.MustCompile(`^[0-9a-fA-F]{1,32}$`)

type apiTrace struct {
	Data   []apiTraceData `json:"data"`
	Errors []struct {
		Code int    `json:"code"`
		Msg  string `json:"msg"`
	} `json:"errors"`
}

// apiTraceData is one trace of an answer.
type apiTraceData struct {
	TraceID string `json:"traceID"`
	Spans   []struct {
		SpanID        string `json:"spanID"`
		OperationName string `json:"operationName"`
		References    []struct {
			RefType string `json:"refType"`
			SpanID  string `json:"spanID"`
		} `json:"references"`
		StartTime int64 `json:"startTime"` // µs
		Duration  int64 `json:"duration"`  // µs
		Tags      []struct {
			Key   string `json:"key"`
			Value any    `json:"value"`
		} `json:"tags"`
		ProcessID string `json:"processID"`
	} `json:"spans"`
	Processes map[string]struct {
		ServiceName string `json:"serviceName"`
	} `json:"processes"`
}

// searchLimit bounds a search: Jaeger returns whole traces.
const searchLimit = 100

// Search finds service's traces in [from, to]: each as its root span's
// start, duration and route, "error" when one of its spans failed; the
// slowest first, at most limit.
func (c *Client) Search(ctx context.Context, service string, from, to time.Time, limit int) ([]sources.Exemplar, error) {
	if service == "" {
		return nil, errors.New("no service to search: set tracing.service (or OTEL_SERVICE_NAME)")
	}
	q := url.Values{"service": {service}, "start": {strconv.FormatInt(from.UnixMicro(), 10)}, "end": {strconv.FormatInt(to.UnixMicro(), 10)},
		"limit": {strconv.Itoa(searchLimit)}}
	body, code, status, err := c.api.Do(ctx, http.MethodGet, "/api/traces?"+q.Encode(), nil, "")
	if err != nil {
		return nil, err
	}
	raw, err := answer(body, code, status, "")
	if err != nil {
		return nil, c.api.Scrub(err)
	}
	var out []sources.Exemplar
	for _, d := range raw.Data {
		t := traceOf(d)
		if len(t.Spans) == 0 {
			continue
		}
		root := t.Spans[0]
		e := sources.Exemplar{At: root.Start, Value: root.Duration.Seconds(), TraceID: t.ID, Labels: map[string]string{"route": root.Operation}}
		for _, s := range t.Spans {
			if s.Error {
				e.Labels["status"] = "error"
			}
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b sources.Exemplar) int {
		return cmp.Or(cmp.Compare(b.Value, a.Value), strings.Compare(a.TraceID, b.TraceID))
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Trace reads trace id, its spans in tree order.
func (c *Client) Trace(ctx context.Context, id string) (sources.Trace, error) {
	if !traceID.MatchString(id) {
		return sources.Trace{}, fmt.Errorf("%q is not a trace id", safetext.String(id))
	}
	body, code, status, err := c.api.Do(ctx, http.MethodGet, "/api/traces/"+id, nil, "")
	if err != nil {
		return sources.Trace{}, err
	}
	t, err := decode(body, code, status, id)
	return t, c.api.Scrub(err)
}

// decode reads Jaeger's answer for trace id: its spans in tree order, every
// text made safe to show, at most MaxSpans.
func decode(body []byte, code int, status, id string) (sources.Trace, error) {
	raw, err := answer(body, code, status, id)
	switch {
	case err != nil:
		return sources.Trace{}, err
	case len(raw.Data) == 0:
		return sources.Trace{}, fmt.Errorf("trace %s is not in Jaeger (not kept, or not sent yet)", id)
	}
	return traceOf(raw.Data[0]), nil
}

// answer is Jaeger's answer read, or in words what is wrong with it.
func answer(body []byte, code int, status, id string) (apiTrace, error) {
	var raw apiTrace
	jsonErr := json.Unmarshal(body, &raw)
	switch {
	case code == http.StatusNotFound:
		return raw, fmt.Errorf("trace %s is not in Jaeger (not kept, or not sent yet)", id)
	case code/100 != 2 && jsonErr == nil && len(raw.Errors) > 0:
		return raw, fmt.Errorf("jaeger: %s", safetext.Shorten(safetext.String(raw.Errors[0].Msg), 300))
	case code/100 != 2:
		return raw, fmt.Errorf("jaeger answered %s", safetext.Shorten(safetext.String(status), 100))
	case jsonErr != nil:
		return raw, fmt.Errorf("jaeger's answer is not its JSON API: %s", safetext.Shorten(safetext.String(jsonErr.Error()), 200))
	}
	return raw, nil
}

// traceOf is one trace's spans in tree order, every text made safe to
// show, at most MaxSpans.
func traceOf(d apiTraceData) sources.Trace {
	t := sources.Trace{ID: safetext.String(d.TraceID)}
	var spans []sources.Span
	for _, s := range d.Spans {
		start, length, invalid := spanTimes(s.StartTime, s.Duration)
		sp := sources.Span{ID: safetext.String(s.SpanID), Service: safetext.String(d.Processes[s.ProcessID].ServiceName),
			Operation: safetext.String(s.OperationName), Start: start, Duration: length, Attributes: map[string]string{}}
		for _, r := range s.References {
			if r.RefType == "CHILD_OF" || sp.Parent == "" {
				sp.Parent = safetext.String(r.SpanID)
			}
		}
		for _, tag := range s.Tags {
			v := safetext.Shorten(safetext.String(tagValue(tag.Value)), 2000)
			sp.Attributes[safetext.String(tag.Key)] = v
			if (tag.Key == "error" && v == "true") || (tag.Key == "otel.status_code" && v == "ERROR") {
				sp.Error = true
			}
		}
		if invalid != "" {
			sp.Attributes[InvalidTime] = invalid
		}
		spans = append(spans, sp)
	}
	t.Spans = treeOrder(spans)
	if n := len(t.Spans); n > sources.MaxSpans {
		t.Dropped, t.Spans = n-sources.MaxSpans, t.Spans[:sources.MaxSpans]
	}
	return t
}

// InvalidTime is the attribute that says a span's start or duration was
// not a valid time, and what was shown instead.
const InvalidTime = "opsdeck.invalid_time"

// untilMicros bounds a span's times: Jaeger stamps spans in microseconds
// since 1970, and nothing is traced before 1970 or from 2200 on. Within
// those years a trace's length (at most 230 years) is a time.Duration
// with room to spare, exact and never negative however it is shown.
const untilMicros = 7258118400 * 1_000_000 // 2200-01-01T00:00:00Z

// spanTimes are a span's start and length from Jaeger's microseconds: a
// start outside 1970-2200 is put at the nearest of the two, a length is
// never negative and ends by 2200; invalid says what was not valid ("" when
// all was).
func spanTimes(startUS, durationUS int64) (start time.Time, length time.Duration, invalid string) {
	var notes []string
	if startUS < 0 || startUS >= untilMicros {
		notes = append(notes, fmt.Sprintf("start time %d µs since 1970 is not valid (before 1970 or from 2200 on)", startUS))
		startUS = min(max(startUS, 0), untilMicros)
	}
	if durationUS < 0 || durationUS > untilMicros-startUS {
		notes = append(notes, fmt.Sprintf("duration %d µs is not valid (negative, or ending after 2200)", durationUS))
		durationUS = min(max(durationUS, 0), untilMicros-startUS)
	}
	if len(notes) > 0 {
		invalid = strings.Join(notes, "; ") + ": shown at the nearest valid time"
	}
	return time.UnixMicro(startUS), time.Duration(durationUS) * time.Microsecond, invalid
}

func tagValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// treeOrder puts each parent before its children, siblings by start time;
// a span whose parent is not in the trace is a root. A cycle in the
// references cannot loop: each span is placed once.
func treeOrder(spans []sources.Span) []sources.Span {
	byID := map[string]bool{}
	for _, s := range spans {
		byID[s.ID] = true
	}
	children := map[string][]sources.Span{}
	var roots []sources.Span
	for _, s := range spans {
		if s.Parent == "" || !byID[s.Parent] || s.Parent == s.ID {
			roots = append(roots, s)
			continue
		}
		children[s.Parent] = append(children[s.Parent], s)
	}
	byStart := func(a, b sources.Span) int { return cmp.Or(a.Start.Compare(b.Start), strings.Compare(a.ID, b.ID)) }
	slices.SortFunc(roots, byStart)
	out := make([]sources.Span, 0, len(spans))
	placed := map[string]bool{}
	var walk func(s sources.Span, depth int)
	walk = func(s sources.Span, depth int) {
		if placed[s.ID] {
			return
		}
		placed[s.ID] = true
		s.Depth = depth
		out = append(out, s)
		kids := children[s.ID]
		slices.SortFunc(kids, byStart)
		for _, k := range kids {
			walk(k, depth+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
	// Spans only reachable through a cycle: shown as roots.
	for _, s := range spans {
		if !placed[s.ID] {
			walk(s, 0)
		}
	}
	return out
}

// unusable is a trace backend whose client could not be built: every read
// says why.
type unusable struct{ reason string }

// Unusable is a backend that answers every read with reason.
func Unusable(reason string) sources.Traces { return unusable{reason} }

func (u unusable) Trace(context.Context, string) (sources.Trace, error) {
	return sources.Trace{}, errors.New(u.reason)
}

func (u unusable) Search(context.Context, string, time.Time, time.Time, int) ([]sources.Exemplar, error) {
	return nil, errors.New(u.reason)
}
