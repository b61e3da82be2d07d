package sources

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
)

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
}

// Matcher is one label matcher of a silence: name = value, !=, =~ or !~.
type Matcher struct {
	Name, Value string
	IsRegex     bool
	// IsEqual is false for != and !~.
	IsEqual bool
}

// String writes the matcher as Alertmanager and amtool do: name="value".
func (m Matcher) String() string {
	op := "="
	switch {
	case m.IsRegex && m.IsEqual:
		op = "=~"
	case m.IsRegex:
		op = "!~"
	case !m.IsEqual:
		op = "!="
	}
	return m.Name + op + fmt.Sprintf("%q", m.Value)
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

// ParseMatcher reads name="value" (or =~, !=, !~), as the silence form takes it.
func ParseMatcher(s string) (Matcher, error) {
	p := matcherSyntax.FindStringSubmatch(s)
	if p == nil {
		return Matcher{}, fmt.Errorf("%q is not a matcher like alertname=\"HighErrorRate\"", s)
	}
	value := p[3]
	if strings.HasPrefix(value, `"`) {
		var err error
		if _, err = fmt.Sscanf(value, "%q", &value); err != nil || !strings.HasSuffix(p[3], `"`) {
			return Matcher{}, fmt.Errorf("%s: the value's quotes do not close", s)
		}
	}
	m := Matcher{Name: p[1], Value: value, IsRegex: strings.Contains(p[2], "~"), IsEqual: !strings.HasPrefix(p[2], "!")}
	if m.IsRegex {
		if _, err := regexp.Compile(value); err != nil {
			return Matcher{}, fmt.Errorf("%s: not a regular expression: %v", s, err)
		}
	}
	return m, nil
}

// Silence is one of Alertmanager's silences.
type Silence struct {
	ID       string
	State    string // active, pending or expired
	Matchers []Matcher
	StartsAt time.Time
	EndsAt   time.Time
	// CreatedBy and Comment are who made it and why.
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
