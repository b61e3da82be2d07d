package sources

import (
	"strings"
	"testing"
)

func TestParseMatcher(t *testing.T) {
	for in, want := range map[string]Matcher{
		`alertname="HighErrorRate"`: {Name: "alertname", Value: "HighErrorRate", IsEqual: true},
		`severity = critical`:       {Name: "severity", Value: "critical", IsEqual: true},
		`team=~"api|web"`:           {Name: "team", Value: "api|web", IsRegex: true, IsEqual: true},
		`env!="qa"`:                 {Name: "env", Value: "qa"},
		`path!~"/health.*"`:         {Name: "path", Value: "/health.*", IsRegex: true},
		`msg="say \"hi\""`:          {Name: "msg", Value: `say "hi"`, IsEqual: true},
	} {
		got, err := ParseMatcher(in)
		if err != nil || got != want {
			t.Errorf("ParseMatcher(%q) = %+v, %v; want %+v", in, got, err, want)
		}
		if back, err := ParseMatcher(got.String()); err != nil || back != got {
			t.Errorf("%q written as %q reads back as %+v, %v", in, got.String(), back, err)
		}
	}
	for in, want := range map[string]string{
		`alertname`:         "is not a matcher",
		`1x="a"`:            "is not a matcher",
		`team=~"(unclosed"`: "not a regular expression",
		`a="open`:           "quotes do not close",
	} {
		if _, err := ParseMatcher(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseMatcher(%q): %v, want %q", in, err, want)
		}
	}
}

func TestMatcherMatches(t *testing.T) {
	labels := map[string]string{"alertname": "DiskFilling", "team": "storage"}
	for _, c := range []struct {
		m    Matcher
		want bool
	}{
		{Matcher{Name: "team", Value: "storage", IsEqual: true}, true},
		{Matcher{Name: "team", Value: "stor", IsRegex: true, IsEqual: true}, false}, // anchored, as Alertmanager's
		{Matcher{Name: "team", Value: "stor.*", IsRegex: true, IsEqual: true}, true},
		{Matcher{Name: "team", Value: "api"}, true},
		{Matcher{Name: "missing", Value: "", IsEqual: true}, true},
	} {
		if got := c.m.Matches(labels); got != c.want {
			t.Errorf("%s on %v = %v", c.m, labels, got)
		}
	}
	if MatchesAll(nil, labels) {
		t.Error("no matcher matches everything")
	}
}

func TestSeverityRank(t *testing.T) {
	order := []string{"", "info", "Warning", "CRITICAL"}
	for i := 1; i < len(order); i++ {
		if SeverityRank(order[i]) <= SeverityRank(order[i-1]) {
			t.Errorf("%q does not rank above %q", order[i], order[i-1])
		}
	}
	if !Critical("page") || Critical("warning") {
		t.Error("page is critical, warning is not")
	}
}
