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

// TestMatcherStringIsSafeAndReadsBack: a matcher is written without a
// control, bidi or replacement character, and reads back to its exact
// value, whatever the value holds (invalid UTF-8 too).
func TestMatcherStringIsSafeAndReadsBack(t *testing.T) {
	for _, v := range []string{"red \x1b[31mtext", "two\nlines\r", "abc\u202edef\u2066", `say "hi", \ back`, "bad \uFFFD char", "\xff\xfe", "\u0085\u2028\u200b", "日本語 é", strings.Repeat("0123456789", 1000)} {
		m := Matcher{Name: "l", Value: v, IsEqual: true}
		s := m.String()
		for _, r := range s {
			if r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == '\uFFFD' || strings.ContainsRune("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u2028\u2029\u200b", r) {
				t.Errorf("%q is written with %U: %q", v, r, s[:min(len(s), 80)])
				break
			}
		}
		if back, err := ParseMatcher(s); err != nil || back != m {
			t.Errorf("%q reads back as %q, %v", v, back.Value, err)
		}
	}
}

// TestParseMatcherTakesOneQuotedValue: what follows a closed quote is not
// dropped in silence, and an error quotes a long matcher short.
func TestParseMatcherTakesOneQuotedValue(t *testing.T) {
	for _, in := range []string{`a="x" y"`, `a="x"y"`, `a="\q"`} {
		if m, err := ParseMatcher(in); err == nil {
			t.Errorf("ParseMatcher(%q) = %+v, want an error", in, m)
		}
	}
	_, err := ParseMatcher(`a="` + strings.Repeat("x", 10000))
	if err == nil || len(err.Error()) > 400 || !strings.Contains(err.Error(), "10003 bytes in all") {
		t.Errorf("a long matcher's error: %.500v", err)
	}
}

func TestSameMatchers(t *testing.T) {
	a := []Matcher{{Name: "a", Value: "1", IsEqual: true}, {Name: "b", Value: "2", IsRegex: true, IsEqual: true}}
	b := []Matcher{a[1], a[0]}
	if !SameMatchers(a, b) {
		t.Error("the same matchers in another order")
	}
	for _, c := range [][]Matcher{a[:1], {a[0], {Name: "b", Value: "2", IsEqual: true}}, {a[0], {Name: "b", Value: "2 ", IsRegex: true, IsEqual: true}}} {
		if SameMatchers(a, c) {
			t.Errorf("%v and %v are not the same", a, c)
		}
	}
}

// TestRawLabels: a silence of an alert's raw labels matches them; the
// labels are a copy, not the caller's map.
func TestRawLabels(t *testing.T) {
	in := map[string]string{"alertname": "X", "esc": "a\x1bb"}
	r := NewRawLabels(in)
	in["esc"] = "changed"
	if v, _ := r.Get("esc"); v != "a\x1bb" || r.Len() != 2 {
		t.Fatalf("raw %q, %d labels", v, r.Len())
	}
	ms := r.Matchers()
	if len(ms) != 2 || ms[0].Name != "alertname" || !r.MatchedBy(ms) || r.MatchedBy(ms[:0]) {
		t.Fatalf("matchers %v", ms)
	}
	if r.MatchedBy([]Matcher{{Name: "esc", Value: "a␛b", IsEqual: true}}) {
		t.Error("the shown value matches the raw one")
	}
}
