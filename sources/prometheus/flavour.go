package prometheus

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// Flavours of Prometheus-compatible servers, told apart by what each answers.
const (
	FlavourPrometheus      = "Prometheus"
	FlavourVictoriaMetrics = "VictoriaMetrics"
	FlavourThanos          = "Thanos"
	FlavourMimir           = "Mimir"
)

// Flavour is which server answers and what that changes for a reader.
type Flavour struct {
	Name    string // one of the Flavour* names; "" when unknown
	Version string // as its build info says; "" when it says none
	// LatencyOffset is how far in the past the server evaluates an instant
	// query asked for now (VictoriaMetrics' -search.latencyOffset), as
	// measured; zero elsewhere.
	LatencyOffset time.Duration
}

// String is the flavour as the header and the snapshot show it.
func (f Flavour) String() string {
	if f.Name == "" {
		return ""
	}
	if f.Version == "" {
		return f.Name
	}
	return f.Name + " " + f.Version
}

// NoExemplars reports whether the server keeps no exemplars by design.
func (f Flavour) NoExemplars() bool { return f.Name == FlavourVictoriaMetrics }

// flavourTTL: a server does not change what it is between polls; an
// upgrade or a switch behind a proxy is noticed within this.
const flavourTTL = 5 * time.Minute

// Flavour says which server this is, from its build info: Prometheus names
// its version, Thanos and Mimir their application or branch, and
// VictoriaMetrics answers an empty object or a version alone. Cached; ""
// when it cannot tell.
func (c *Client) Flavour(ctx context.Context) Flavour {
	c.mu.Lock()
	if !c.flavourAt.IsZero() && time.Since(c.flavourAt) < flavourTTL {
		f := c.flavour
		c.mu.Unlock()
		return f
	}
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	f, ok := c.detect(ctx)
	if !ok {
		return f // not cached: asked again on the next read
	}
	c.mu.Lock()
	c.flavour, c.flavourAt = f, time.Now()
	c.mu.Unlock()
	return f
}

// ServerName is the flavour as the header and the snapshot show it ("" when
// unknown).
func (c *Client) ServerName(ctx context.Context) string { return c.Flavour(ctx).String() }

// buildInfo is /status/buildinfo's data, as Prometheus, Thanos and Mimir
// fill it.
type buildInfo struct {
	Version     string `json:"version"`
	Branch      string `json:"branch"`
	Application string `json:"application"`
}

func (c *Client) detect(ctx context.Context) (Flavour, bool) {
	var raw json.RawMessage
	if err := c.call(ctx, "/status/buildinfo", nil, &raw); err != nil {
		return Flavour{}, false
	}
	var info buildInfo
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil {
		return Flavour{}, true
	}
	json.Unmarshal(raw, &info)
	_, version := fields["version"]
	switch {
	case len(fields) == 0 || len(fields) == 1 && version:
		// VictoriaMetrics answers an empty object (1.79) or, since, a fixed
		// Prometheus version alone ("2.24.0"); Prometheus and Thanos always
		// add the revision, branch and Go version, Mimir its application.
		f := Flavour{Name: FlavourVictoriaMetrics}
		f.LatencyOffset = c.measureOffset(ctx)
		return f, true
	case containsFold(info.Application, "mimir"):
		return Flavour{Name: FlavourMimir, Version: info.Version}, true
	case containsFold(info.Application, "thanos") || containsFold(info.Branch, "thanos"):
		return Flavour{Name: FlavourThanos, Version: info.Version}, true
	case info.Version != "" && c.call(ctx, "/stores", nil, nil) == nil:
		// Thanos's querier fills the build info as Prometheus does; only it
		// lists the stores it fans out to.
		return Flavour{Name: FlavourThanos, Version: info.Version}, true
	case info.Version != "":
		return Flavour{Name: FlavourPrometheus, Version: info.Version}, true
	}
	return Flavour{}, true
}

// measureOffset asks the server for time() now: what it answers is when
// it really evaluated the query.
func (c *Client) measureOffset(ctx context.Context) time.Duration {
	now := time.Now()
	var r queryResult
	if err := c.call(ctx, "/query", url.Values{"query": {"time()"}, "time": {apiTime(now)}}, &r); err != nil {
		return 0
	}
	v, err := r.value()
	if err != nil {
		return 0
	}
	at := firstValue(v)
	if math.IsNaN(at) {
		return 0
	}
	d := now.Sub(time.UnixMilli(int64(at * 1000)))
	if d < time.Second {
		return 0
	}
	return d.Round(time.Second)
}

// asOf is the note a reading carries where the server evaluated it in the
// past.
func (f Flavour) asOf() string {
	if f.LatencyOffset <= 0 {
		return ""
	}
	return fmt.Sprintf("as of %s ago: %s evaluates the current value %s in the past (-search.latencyOffset)", f.LatencyOffset, f.Name, f.LatencyOffset)
}

// firstValue is the first sample's value of an instant answer, NaN when
// there is none.
func firstValue(v model.Value) float64 {
	switch v := v.(type) {
	case model.Vector:
		if len(v) > 0 {
			return float64(v[0].Value)
		}
	case *model.Scalar:
		return float64(v.Value)
	}
	return math.NaN()
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), sub)
}

// evaluatedAt is the note of a reading asked for at at where the server
// evaluated it earlier (VictoriaMetrics' latency offset): "" elsewhere, and
// for a time already older than the offset.
func (f Flavour) evaluatedAt(at time.Time) string {
	if f.LatencyOffset <= 0 || time.Since(at) >= f.LatencyOffset {
		return ""
	}
	return f.asOf()
}

// evaluatesRules is nil when the server evaluates alert rules, or when it
// cannot tell; otherwise an error saying so, so that no alert is never
// read as no alert firing. apart: the server is the store's rule
// evaluator (alerts_url), not the store.
func (c *Client) evaluatesRules(ctx context.Context, apart bool) error {
	var r struct {
		Groups []struct {
			Rules []json.RawMessage `json:"rules"`
		} `json:"groups"`
	}
	if err := c.call(ctx, "/rules", url.Values{"type": {"alert"}}, &r); err != nil {
		return nil
	}
	for _, g := range r.Groups {
		if len(g.Rules) > 0 {
			return nil
		}
	}
	msg := "this server evaluates no alert rules, so none can fire here"
	switch {
	case apart:
		msg = "the alerts server " + c.base + " evaluates no alert rules, so none can fire there"
	case c.Flavour(ctx).Name == FlavourVictoriaMetrics:
		msg = "this server evaluates no alert rules (VictoriaMetrics leaves them to vmalert): set prometheus.alerts_url to vmalert's URL (or start VictoriaMetrics with -vmalert.proxyURL), or alertmanager.url"
	}
	return &Error{Kind: KindNoRules, Msg: msg}
}

// Thanos's downsampled resolutions, coarsest first (its compactor keeps 5m
// and 1h copies of old blocks).
var thanosResolutions = []time.Duration{time.Hour, 5 * time.Minute}

// resolution is the coarsest data a chart of this step may be drawn from:
// on Thanos, as its "auto" does, the largest downsampled resolution no
// larger than a fifth of the step (five raw samples a point); zero (raw)
// elsewhere and for short steps.
func (f Flavour) resolution(step time.Duration) time.Duration {
	if f.Name != FlavourThanos {
		return 0
	}
	for _, r := range thanosResolutions {
		if step/5 >= r {
			return r
		}
	}
	return 0
}

// partial reports whether a note is a warning that data is missing from
// the answer (a store or replica that did not answer), rather than one of
// PromQL's annotations on the query itself.
func partial(note string) bool {
	w, ok := strings.CutPrefix(note, "warning: ")
	return ok && !strings.HasPrefix(w, "PromQL ")
}
