package alertmanager

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/internal/safetext"
	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/httpapi"
)

// Client speaks to one Alertmanager.
type Client struct{ api *httpapi.API }

// New builds a client of the server at o.URL (its query service for
// Jaeger); it does no I/O.
func New(o httpapi.APIOptions) (*Client, error) {
	o.Name = "alertmanager"
	api, err := httpapi.NewAPI(o)
	if err != nil {
		return nil, err
	}
	return &Client{api: api}, nil
}

// Close releases the client's idle connections.
func (c *Client) Close() { c.api.Close() }

// String is the server's URL with any password masked.
func (c *Client) String() string { return c.api.String() }

// Groups reads the alert groups, every alert with its state; groups and
// their alerts sorted (most active first, then by name).
func (c *Client) Groups(ctx context.Context) ([]sources.AlertGroup, error) {
	var raw []apiGroup
	if err := c.do(ctx, http.MethodGet, "/api/v2/alerts/groups", nil, &raw); err != nil {
		return nil, err
	}
	return groupsOf(raw), nil
}

// Silences reads every silence Alertmanager keeps (expired ones too, for a
// while); active first, then pending, then expired, each by end.
func (c *Client) Silences(ctx context.Context) ([]sources.Silence, error) {
	var raw []apiSilence
	if err := c.do(ctx, http.MethodGet, "/api/v2/silences", nil, &raw); err != nil {
		return nil, err
	}
	return silencesOf(raw), nil
}

// Matching reads the alerts ms matches now, suppressed ones included:
// Alertmanager's own matching (the count a silence would cover).
func (c *Client) Matching(ctx context.Context, ms []sources.Matcher) ([]sources.Alert, error) {
	q := url.Values{"active": {"true"}, "silenced": {"true"}, "inhibited": {"true"}, "unprocessed": {"true"}}
	for _, m := range ms {
		q.Add("filter", filter(m))
	}
	var raw []apiAlert
	if err := c.do(ctx, http.MethodGet, "/api/v2/alerts?"+q.Encode(), nil, &raw); err != nil {
		return nil, err
	}
	out := make([]sources.Alert, 0, len(raw))
	for _, a := range raw {
		out = append(out, alertOf(a))
	}
	return out, nil
}

// CreateSilence makes s and returns its ID.
func (c *Client) CreateSilence(ctx context.Context, s sources.Silence) (string, error) {
	if err := Check(s, time.Now()); err != nil {
		return "", err
	}
	body := apiSilence{StartsAt: s.StartsAt.UTC(), EndsAt: s.EndsAt.UTC(), CreatedBy: s.CreatedBy, Comment: s.Comment}
	for _, m := range s.Matchers {
		body.Matchers = append(body.Matchers, apiMatcher{Name: m.Name, Value: m.Value, IsRegex: m.IsRegex, IsEqual: ptr(m.IsEqual)})
	}
	var out struct {
		SilenceID string `json:"silenceID"`
	}
	if err := c.do(ctx, http.MethodPost, "/api/v2/silences", body, &out); err != nil {
		return "", err
	}
	if !silenceID.MatchString(out.SilenceID) {
		return "", fmt.Errorf("alertmanager answered no silence ID (%q): the silence may not exist", safetext.Shorten(safetext.String(out.SilenceID), 60))
	}
	return out.SilenceID, nil
}

// filter writes m in Alertmanager's own matcher syntax, which knows only
// the escapes \\, \" and \n and takes every other character as it is (Go's
// quoting, \x1b or \u202e, would be read as those letters).
func filter(m sources.Matcher) string {
	v := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(m.Value)
	return m.Name + m.Op() + `"` + v + `"`
}

// Silence reads silence id: its matchers as Alertmanager holds them, its
// state and times.
func (c *Client) Silence(ctx context.Context, id string) (sources.Silence, error) {
	if !silenceID.MatchString(id) {
		return sources.Silence{}, fmt.Errorf("%q is not a silence ID", safetext.Shorten(safetext.String(id), 60))
	}
	var raw apiSilence
	if err := c.do(ctx, http.MethodGet, "/api/v2/silence/"+id, nil, &raw); err != nil {
		return sources.Silence{}, err
	}
	return silenceOf(raw), nil
}

// ExpireSilence ends silence id now.
func (c *Client) ExpireSilence(ctx context.Context, id string) error {
	if !silenceID.MatchString(id) {
		return fmt.Errorf("%q is not a silence ID", safetext.Shorten(safetext.String(id), 60))
	}
	return c.do(ctx, http.MethodDelete, "/api/v2/silence/"+id, nil, nil)
}

// silenceID is what a silence ID looks like: a UUID.
var silenceID = regexp.MustCompile(`^[0-9a-fA-F-]{1,64}$`)

// Check refuses a silence Alertmanager should not be sent: no matcher, a
// matcher that matches every value, an end not after its start or in the
// past, longer than sources.MaxSilence, no comment.
func Check(s sources.Silence, now time.Time) error {
	// A start in the past is taken as now: that is when it would begin.
	start := s.StartsAt
	if start.Before(now) {
		start = now
	}
	switch {
	case len(s.Matchers) == 0:
		return errors.New("a silence needs at least one matcher")
	case !s.EndsAt.After(now):
		return fmt.Errorf("the silence would end in the past (%s)", s.EndsAt.Local().Format("2006-01-02 15:04"))
	case !s.EndsAt.After(s.StartsAt):
		return errors.New("the silence would end before it starts")
	case s.EndsAt.Sub(start) > sources.MaxSilence:
		return fmt.Errorf("the silence would last %s: at most %d days (make a new one when it ends)",
			units.Age(s.EndsAt.Sub(start)), sources.MaxSilence/(24*time.Hour))
	case strings.TrimSpace(s.Comment) == "":
		return errors.New("a silence needs a comment: say why")
	case strings.TrimSpace(s.CreatedBy) == "":
		return errors.New("a silence needs its creator")
	}
	for _, m := range s.Matchers {
		if m.Matches(map[string]string{}) {
			// Alertmanager refuses these too: they would match alerts
			// without the label, every alert at worst.
			return fmt.Errorf("%s matches an empty value: it would silence every alert without the label", m)
		}
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

// do sends one request (body as JSON when not nil) and decodes the answer
// into out (when not nil), every failure said in words.
func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	b, code, status, err := c.api.Do(ctx, method, path, rd, "application/json")
	if err != nil {
		return err
	}
	// An error page may quote what it was sent (a token, a password).
	return c.api.Scrub(decode(b, code, status, out))
}

// decode reads an answer into out, or says in words what is wrong with it.
func decode(b []byte, code int, status string, out any) error {
	if code/100 != 2 {
		// Alertmanager's errors are a JSON string or plain text.
		var msg string
		if json.Unmarshal(b, &msg) != nil {
			msg = string(b)
		}
		msg = safetext.Shorten(safetext.String(strings.TrimSpace(msg)), 300)
		if msg == "" {
			return fmt.Errorf("alertmanager answered %s", safetext.Shorten(safetext.String(status), 100))
		}
		return fmt.Errorf("alertmanager answered %s: %s", safetext.Shorten(safetext.String(status), 100), msg)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("alertmanager's answer is not its API v2: %s", safetext.Shorten(safetext.String(err.Error()), 200))
	}
	return nil
}

type apiMatcher struct {
	Name    string `json:"name"`
	Value   string `json:"value"`
	IsRegex bool   `json:"isRegex"`
	IsEqual *bool  `json:"isEqual,omitempty"`
}

type apiSilence struct {
	ID     string `json:"id,omitempty"`
	Status *struct {
		State string `json:"state"`
	} `json:"status,omitempty"`
	Matchers  []apiMatcher `json:"matchers"`
	StartsAt  time.Time    `json:"startsAt"`
	EndsAt    time.Time    `json:"endsAt"`
	UpdatedAt *time.Time   `json:"updatedAt,omitempty"` // in answers only
	CreatedBy string       `json:"createdBy"`
	Comment   string       `json:"comment"`
}

type apiAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      time.Time         `json:"endsAt"`
	Fingerprint string            `json:"fingerprint"`
	Status      struct {
		State       string   `json:"state"`
		SilencedBy  []string `json:"silencedBy"`
		InhibitedBy []string `json:"inhibitedBy"`
	} `json:"status"`
}

type apiGroup struct {
	Labels   map[string]string `json:"labels"`
	Receiver struct {
		Name string `json:"name"`
	} `json:"receiver"`
	Alerts []apiAlert `json:"alerts"`
}

// Bounds on what one answer may put on screen.
const (
	maxGroups   = 500
	maxAlerts   = 2000 // over all groups
	maxSilences = 1000
	maxLabels   = 64
	// maxMatchers is as many as an alert keeps labels: a silence made of
	// an alert's labels reads back whole.
	maxMatchers   = maxLabels
	maxTextLength = 2000
)

func text(s string) string { return safetext.Shorten(safetext.String(s), maxTextLength) }

// labelsOf are the first maxLabels labels by name, as shown (made safe,
// shortened) and as they are.
func labelsOf(in map[string]string) (shown, raw map[string]string) {
	shown = make(map[string]string, min(len(in), maxLabels))
	raw = make(map[string]string, min(len(in), maxLabels))
	for _, k := range slices.Sorted(maps.Keys(in)) {
		if len(raw) == maxLabels {
			break
		}
		shown[text(k)] = text(in[k])
		raw[k] = in[k]
	}
	return shown, raw
}

func ids(in []string) []string {
	out := make([]string, 0, min(len(in), maxMatchers))
	for _, s := range in[:min(len(in), maxMatchers)] {
		out = append(out, safetext.Shorten(safetext.String(s), 64))
	}
	return out
}

// alertOf is one alert, every text made safe.
func alertOf(a apiAlert) sources.Alert {
	labels, raw := labelsOf(a.Labels)
	state := a.Status.State
	switch state {
	case sources.AlertActive, sources.AlertSuppressed, sources.AlertUnprocessed:
	default:
		state = sources.AlertUnprocessed
	}
	return sources.Alert{
		Name: labels["alertname"], State: state, Severity: labels["severity"],
		Summary: text(a.Annotations["summary"]), Description: text(a.Annotations["description"]), RunbookURL: text(a.Annotations["runbook_url"]),
		ActiveAt: a.StartsAt, EndsAt: a.EndsAt, Labels: labels, Fingerprint: safetext.Shorten(safetext.String(a.Fingerprint), 64),
		SilencedBy: ids(a.Status.SilencedBy), InhibitedBy: ids(a.Status.InhibitedBy),
		Raw: sources.NewRawLabels(raw),
	}
}

// stateRank orders alerts: active before unprocessed before suppressed.
func stateRank(state string) int {
	switch state {
	case sources.AlertActive:
		return 0
	case sources.AlertUnprocessed:
		return 1
	}
	return 2
}

// groupsOf is the answer's groups, bounded, sorted: the groups with active
// alerts first; in each, active alerts first, then by name and start.
func groupsOf(raw []apiGroup) []sources.AlertGroup {
	out := make([]sources.AlertGroup, 0, min(len(raw), maxGroups))
	alerts := 0
	for _, g := range raw[:min(len(raw), maxGroups)] {
		shown, _ := labelsOf(g.Labels)
		grp := sources.AlertGroup{Labels: shown, Receiver: text(g.Receiver.Name)}
		for _, a := range g.Alerts {
			if alerts == maxAlerts {
				break
			}
			grp.Alerts = append(grp.Alerts, alertOf(a))
			alerts++
		}
		slices.SortFunc(grp.Alerts, func(a, b sources.Alert) int {
			return cmp.Or(cmp.Compare(stateRank(a.State), stateRank(b.State)), strings.Compare(a.Name, b.Name), a.ActiveAt.Compare(b.ActiveAt), strings.Compare(a.Fingerprint, b.Fingerprint))
		})
		out = append(out, grp)
	}
	best := func(g sources.AlertGroup) int {
		r := 3
		for _, a := range g.Alerts {
			r = min(r, stateRank(a.State))
		}
		return r
	}
	slices.SortStableFunc(out, func(a, b sources.AlertGroup) int {
		return cmp.Or(cmp.Compare(best(a), best(b)), strings.Compare(fmt.Sprint(a.Labels), fmt.Sprint(b.Labels)))
	})
	return out
}

// silenceRank orders silences: active, pending, expired.
func silenceRank(state string) int {
	switch state {
	case "active":
		return 0
	case "pending":
		return 1
	}
	return 2
}

// silenceOf is one silence: its texts made safe, its matchers as they are
// (they are matched on; Matcher.String shows them safely).
func silenceOf(s apiSilence) sources.Silence {
	sil := sources.Silence{ID: safetext.Shorten(safetext.String(s.ID), 64), StartsAt: s.StartsAt, EndsAt: s.EndsAt,
		CreatedBy: text(s.CreatedBy), Comment: text(s.Comment), State: "expired"}
	if s.Status != nil {
		sil.State = safetext.Shorten(safetext.String(s.Status.State), 20)
	}
	if s.UpdatedAt != nil {
		sil.UpdatedAt = *s.UpdatedAt
	}
	for _, m := range s.Matchers[:min(len(s.Matchers), maxMatchers)] {
		sil.Matchers = append(sil.Matchers, sources.Matcher{Name: m.Name, Value: m.Value, IsRegex: m.IsRegex, IsEqual: m.IsEqual == nil || *m.IsEqual})
	}
	return sil
}

// silencesOf is the answer's silences, bounded and sorted.
func silencesOf(raw []apiSilence) []sources.Silence {
	out := make([]sources.Silence, 0, min(len(raw), maxSilences))
	for _, s := range raw[:min(len(raw), maxSilences)] {
		out = append(out, silenceOf(s))
	}
	slices.SortStableFunc(out, func(a, b sources.Silence) int {
		return cmp.Or(cmp.Compare(silenceRank(a.State), silenceRank(b.State)), a.EndsAt.Compare(b.EndsAt), strings.Compare(a.ID, b.ID))
	})
	return out
}

// unusable is an Alertmanager whose client could not be built: every call
// says why.
type unusable struct{ target, reason string }

// Unusable is an Alertmanager at url that answers every call with reason.
func Unusable(url, reason string) sources.Alerting { return unusable{redact.URL(url), reason} }

func (u unusable) err() error { return errors.New(u.reason) }

func (u unusable) String() string { return u.target }

func (u unusable) Groups(context.Context) ([]sources.AlertGroup, error) { return nil, u.err() }

func (u unusable) Silences(context.Context) ([]sources.Silence, error) { return nil, u.err() }

func (u unusable) Matching(context.Context, []sources.Matcher) ([]sources.Alert, error) {
	return nil, u.err()
}

func (u unusable) CreateSilence(context.Context, sources.Silence) (string, error) { return "", u.err() }

func (u unusable) ExpireSilence(context.Context, string) error { return u.err() }

func (u unusable) Silence(context.Context, string) (sources.Silence, error) {
	return sources.Silence{}, u.err()
}
