package sources

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxSilence is the longest a silence may last: the form and the client
// refuse longer ones. A silence forgotten for longer hides a real outage.
const MaxSilence = 90 * 24 * time.Hour

// SeverityRank orders alert severities, the worst highest: critical (or
// page) 3, warning 2, any other 1, none 0.
func SeverityRank(s string) int {
	switch strings.ToLower(s) {
	case "critical", "page":
		return 3
	case "warning", "warn":
		return 2
	case "":
		return 0
	}
	return 1
}

// Critical reports whether severity s pages at once.
func Critical(s string) bool { return SeverityRank(s) == 3 }

// Alert states as Alertmanager gives them: an alert is active (paging),
// suppressed (by a silence or an inhibition) or unprocessed (just arrived).
const (
	AlertActive      = "active"
	AlertSuppressed  = "suppressed"
	AlertUnprocessed = "unprocessed"
)

// AlertGroup is one of Alertmanager's groups: the alerts its route groups
// by the same labels.
type AlertGroup struct {
	Labels   map[string]string
	Receiver string
	Alerts   []Alert
	// History is each alert's firings as Prometheus keeps them, by index
	// of Alerts (nil where there is none); HistoryNote says why there is
	// none at all ("" when it was read). The alert strip adds both.
	History     []*AlertHistory
	HistoryNote string
}

// Matcher is one label matcher of a silence: name = value, !=, =~ or !~.
type Matcher struct {
	Name, Value string
	IsRegex     bool
	// IsEqual is false for != and !~.
	IsEqual bool
}

// String writes the matcher as name="value" (or =~, !=, !~), the value
// quoted so that it is safe on a terminal and ParseMatcher reads it back to
// exactly m: control characters, bidi controls and every other character
// that does not print are escaped (\x1b, \n, \u202e).
func (m Matcher) String() string { return m.Name + m.Op() + Quote(m.Value) }

// Op is the matcher's operator: =, !=, =~ or !~.
func (m Matcher) Op() string {
	switch {
	case m.IsRegex && m.IsEqual:
		return "=~"
	case m.IsRegex:
		return "!~"
	case !m.IsEqual:
		return "!="
	}
	return "="
}

// Quote is s as a Go string literal that holds only printable characters:
// strconv.Quote, which escapes what does not print, and U+FFFD escaped too
// (a text field drops it as the mark of bad input, which would change the
// value read back).
func Quote(s string) string {
	return strings.ReplaceAll(strconv.Quote(s), string(utf8.RuneError), `\ufffd`)
}

// Matches reports whether labels satisfy m, as Alertmanager decides it (a
// regular expression matches the whole value; a missing label is "").
func (m Matcher) Matches(labels map[string]string) bool {
	v := labels[m.Name]
	var ok bool
	if m.IsRegex {
		re, err := regexp.Compile("^(?:" + m.Value + ")$")
		ok = err == nil && re.MatchString(v)
	} else {
		ok = v == m.Value
	}
	return ok == m.IsEqual
}

// matcherSyntax is one matcher as written: name, operator, value (quoted
// or not).
var matcherSyntax = regexp.MustCompile(`^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$`)

// ParseMatcher reads name="value" (or =~, !=, !~), as the silence form takes
// it and String writes it: a quoted value is a Go string literal, escapes
// and all; an unquoted one is taken as typed.
func ParseMatcher(s string) (Matcher, error) {
	p := matcherSyntax.FindStringSubmatch(s)
	if p == nil {
		return Matcher{}, fmt.Errorf("%s is not a matcher like alertname=\"HighErrorRate\"", quoteShort(s))
	}
	value := p[3]
	if strings.HasPrefix(value, `"`) {
		v, err := strconv.Unquote(value)
		if err != nil {
			return Matcher{}, fmt.Errorf("%s: the value is not one quoted string (its quotes do not close, or a \\ escape is wrong)", quoteShort(s))
		}
		value = v
	}
	m := Matcher{Name: p[1], Value: value, IsRegex: strings.Contains(p[2], "~"), IsEqual: !strings.HasPrefix(p[2], "!")}
	if m.IsRegex {
		if _, err := regexp.Compile(value); err != nil {
			return Matcher{}, fmt.Errorf("%s: not a regular expression: %v", quoteShort(s), err)
		}
	}
	return m, nil
}

// quoteShort is s quoted for an error message, its first 200 bytes only: a
// matcher may hold a label value of kilobytes.
func quoteShort(s string) string {
	if len(s) <= 200 {
		return Quote(s)
	}
	cut := 200
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return Quote(s[:cut]) + fmt.Sprintf("… (%d bytes in all)", len(s))
}

// SameMatchers reports whether a and b are the same matchers, in any order:
// what Alertmanager holds for a silence against what was sent.
func SameMatchers(a, b []Matcher) bool {
	order := func(x, y Matcher) int {
		return cmp.Or(strings.Compare(x.Name, y.Name), strings.Compare(x.Op(), y.Op()), strings.Compare(x.Value, y.Value))
	}
	a, b = slices.Clone(a), slices.Clone(b)
	slices.SortFunc(a, order)
	slices.SortFunc(b, order)
	return slices.Equal(a, b)
}

// RawLabels are an alert's labels exactly as Alertmanager holds them, to
// match on, never to show (Alert.Labels are the shown ones). The map is
// unexported so that what makes a source's text safe (safetext.Value walks
// exported fields) leaves it as it is.
type RawLabels struct{ m map[string]string }

// NewRawLabels holds a copy of labels.
func NewRawLabels(labels map[string]string) RawLabels { return RawLabels{maps.Clone(labels)} }

// Len is the number of labels.
func (r RawLabels) Len() int { return len(r.m) }

// Get is the value of label name.
func (r RawLabels) Get(name string) (string, bool) {
	v, ok := r.m[name]
	return v, ok
}

// Map is a copy of the labels.
func (r RawLabels) Map() map[string]string { return maps.Clone(r.m) }

// Matchers are name="value" for every label, by name: a silence of exactly
// the alert they are of (and of any alert with the same labels).
func (r RawLabels) Matchers() []Matcher {
	out := make([]Matcher, 0, len(r.m))
	for _, k := range slices.Sorted(maps.Keys(r.m)) {
		out = append(out, Matcher{Name: k, Value: r.m[k], IsEqual: true})
	}
	return out
}

// MatchedBy reports whether ms (a silence's matchers) match these labels,
// as Alertmanager decides it.
func (r RawLabels) MatchedBy(ms []Matcher) bool { return MatchesAll(ms, r.m) }

// Silence is one of Alertmanager's silences.
type Silence struct {
	ID       string
	State    string // active, pending or expired
	Matchers []Matcher
	StartsAt time.Time
	EndsAt   time.Time
	// UpdatedAt is when Alertmanager last changed it (zero when not said).
	UpdatedAt time.Time
	// CreatedBy and Comment are who made it and why, made safe to show;
	// Matchers hold the values as Alertmanager does (show them with
	// Matcher.String).
	CreatedBy string
	Comment   string
}

// MatchesAll reports whether labels satisfy every matcher of s (a silence
// with no matcher matches nothing).
func MatchesAll(ms []Matcher, labels map[string]string) bool {
	for _, m := range ms {
		if !m.Matches(labels) {
			return false
		}
	}
	return len(ms) > 0
}

// Alerting is an alert manager (Alertmanager's API v2): its alert groups
// with their state, its silences, and making and expiring silences.
type Alerting interface {
	Groups(ctx context.Context) ([]AlertGroup, error)
	Silences(ctx context.Context) ([]Silence, error)
	// Matching is the alerts ms matches now, suppressed ones included.
	Matching(ctx context.Context, ms []Matcher) ([]Alert, error)
	// CreateSilence makes s (its ID empty) and returns the new ID.
	CreateSilence(ctx context.Context, s Silence) (string, error)
	ExpireSilence(ctx context.Context, id string) error
	// Silence reads silence id as Alertmanager holds it now: its matchers
	// (their values as they are), state and times. An action reads back
	// what it made with it.
	Silence(ctx context.Context, id string) (Silence, error)
	String() string
}

// Flatten is the alerts of groups, each once (an alert routed to two
// receivers is in two groups), in the groups' order.
func Flatten(gs []AlertGroup) []Alert {
	var out []Alert
	seen := map[string]bool{}
	for _, g := range gs {
		for _, a := range g.Alerts {
			if a.Fingerprint != "" && seen[a.Fingerprint] {
				continue
			}
			seen[a.Fingerprint] = true
			out = append(out, a)
		}
	}
	return out
}
