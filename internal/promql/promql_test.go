package promql

import (
	"strings"
	"testing"
)

func sels(t *testing.T, q string) []string {
	t.Helper()
	got, err := Selectors(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	out := make([]string, len(got))
	for i, s := range got {
		out[i] = s.String()
	}
	return out
}

func TestSelectors(t *testing.T) {
	cases := map[string][]string{
		`sum(rate(http_requests_total{job="fastapi-app"}[1m]))`:                                        {`http_requests_total{job="fastapi-app"}`},
		`(sum(rate(http_requests_total{job="a", status=~"5.."}[1m])) or vector(0)) / sum(rate(x[1m]))`: {`http_requests_total{job="a", status=~"5.."}`, `x`},
		`histogram_quantile(0.95, sum(rate(http_requests_duration_seconds_bucket[5m])) by (le))`:       {`http_requests_duration_seconds_bucket`},
		`histogram_quantile(0.95, sum by (le, handler) (rate(b{job!="x"}[5m])))`:                       {`b{job!="x"}`},
		`memory_usage_bytes`:                                                {`memory_usage_bytes`},
		`a / on(instance) group_left(version) b`:                            {`a`, `b`},
		`rate(a[5m] offset 1h) > bool 0.5 unless ignoring(x) c`:             {`a`, `c`},
		`{__name__="up", job='prom'}`:                                       {`up{job="prom"}`},
		`{"my.metric", env="qa"}`:                                           {`my.metric{env="qa"}`},
		`max_over_time(up[10m:1m]) # comment with {braces}`:                 {`up`},
		`label_replace(up, "dst", "$1", "src", "(.*)")`:                     {`up`},
		`sum without (instance) (rate(c_total{a=~"x|y"}[30s])) * 100 - 1e3`: {`c_total{a=~"x|y"}`},
		`avg(up @ 1609746000)`:                                              {`up`},
		`vector(1) + scalar(x)`:                                             {`x`},
		`topk(3, sum by (le) (b))`:                                          {`b`},
		`count_values("v", build_info)`:                                     {`build_info`},
		// a second metric name is a matcher too (found by tools/promqlfuzz)
		`{"a", "b"}`:                   {`a{__name__="b"}`},
		`(({"0",""}))`:                 {`0{__name__=""}`},
		`{__name__="a", __name__="b"}`: {`a{__name__="b"}`},
		"# a comment ends at a carriage return\rup": {`up`},
	}
	for q, want := range cases {
		got := sels(t, q)
		if strings.Join(got, " | ") != strings.Join(want, " | ") {
			t.Errorf("%s\n  got  %q\n  want %q", q, got, want)
		}
	}
}

func TestMalformed(t *testing.T) {
	cases := map[string]string{
		`sum(rate(x[5m])`:    "unclosed (",
		`sum(rate(x[5m])))`:  "unexpected )",
		`x{job="a"`:          "unclosed {",
		`x{job=a}`:           "must be a quoted string",
		`x{job:"a"}`:         "expected =, !=, =~ or !~",
		`x{job="a" env="b"}`: "expected , or }",
		`x{job=~"("}`:        "bad regular expression",
		`x{job="a}`:          "unterminated string",
		`x}`:                 "unexpected }",
		`{}`:                 "needs a metric name or a matcher",
		`x ; y`:              "unexpected character ';'",
		`x{__name__="y"}`:    "metric name given twice",
		``:                   "empty query",
	}
	for q, want := range cases {
		err := Check(q)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want it to mention %q", q, err, want)
		}
	}
}

func TestParseMatchers(t *testing.T) {
	ms, err := ParseMatchers(`job="fastapi-app", cluster=~"eu-.*",env!="dev"`)
	if err != nil || len(ms) != 3 || ms[1] != (Matcher{"cluster", "=~", "eu-.*"}) {
		t.Fatalf("%v %v", ms, err)
	}
	for _, bad := range []string{`job=fastapi`, `job="a"}`, `job="a" x`, `="a"`} {
		if _, err := ParseMatchers(bad); err == nil {
			t.Errorf("ParseMatchers(%q) accepted", bad)
		}
	}
	if ms, err := ParseMatchers(``); err != nil || len(ms) != 0 {
		t.Errorf("empty: %v %v", ms, err)
	}
}

func TestMatches(t *testing.T) {
	cases := []struct {
		m    Matcher
		v    string
		want bool
	}{
		{Matcher{"s", "=", "5xx"}, "5xx", true},
		{Matcher{"s", "!=", "5xx"}, "2xx", true},
		{Matcher{"s", "=~", "5.."}, "5xx", true},
		{Matcher{"s", "=~", "5.."}, "15xx", false}, // anchored
		{Matcher{"s", "!~", "5.."}, "2xx", true},
		{Matcher{"s", "=", ""}, "", true},
		{Matcher{"s", "=~", "a.*"}, "a\nb", true}, // . matches a newline, as in Prometheus
		{Matcher{"s", "!~", ".+"}, "\n", false},
	}
	for _, c := range cases {
		if got := c.m.Matches(c.v); got != c.want {
			t.Errorf("%v matches %q = %v", c.m, c.v, got)
		}
	}
}

func TestAddMatcher(t *testing.T) {
	m := Matcher{Name: "handler", Op: "=~", Value: "/api/chat|/health"}
	for q, want := range map[string]string{
		`sum by (handler) (rate(http_requests_total{job="api"}[1m]))`: `sum by (handler) (rate(http_requests_total{job="api", handler=~"/api/chat|/health"}[1m]))`,
		`sum(up)`:                                   `sum(up{handler=~"/api/chat|/health"})`,
		`rate(x{}[5m]) / on (handler) y`:            `rate(x{handler=~"/api/chat|/health"}[5m]) / on (handler) y{handler=~"/api/chat|/health"}`,
		`{__name__="a:b", job="x"}`:                 `{__name__="a:b", job="x", handler=~"/api/chat|/health"}`,
		`histogram_quantile(0.95, sum by (le) (b))`: `histogram_quantile(0.95, sum by (le) (b{handler=~"/api/chat|/health"}))`,
		// a trailing comma takes no second one (found by tools/promqlfuzz)
		`x{job="a",}`: `x{job="a",handler=~"/api/chat|/health"}`,
		`{"x",} + y`:  `{"x",handler=~"/api/chat|/health"} + y{handler=~"/api/chat|/health"}`,
	} {
		got, err := AddMatcher(q, m)
		if err != nil || got != want {
			t.Errorf("AddMatcher(%s) = %s, %v; want %s", q, got, err, want)
		}
		if _, err := Selectors(got); err != nil {
			t.Errorf("the result does not read: %s: %v", got, err)
		}
	}
	if _, err := AddMatcher(`sum(rate(x[1m]`, m); err == nil {
		t.Error("a malformed query was rewritten")
	}
}

// TestKeywordsInAnyCaseAndSubquerySteps: PromQL's keywords are read in any
// case, and a subquery's step is not a selector, with or without spaces.
func TestKeywordsInAnyCaseAndSubquerySteps(t *testing.T) {
	for q, want := range map[string]string{
		`SUM BY (job) (rate(x[5m]))`:                 "x",
		`sum By (job) (x)`:                           "x",
		`Sum(x) WITHOUT (a)`:                         "x",
		`max_over_time(rate(x[1m])[5m :1m])`:         "x",
		`max_over_time(rate(x[1m])[5m: 1m])`:         "x",
		`max_over_time(rate(job:x:rate1m[5m])[1h:])`: "job:x:rate1m",
	} {
		sels, err := Selectors(q)
		var names []string
		for _, s := range sels {
			names = append(names, s.Name)
		}
		if err != nil || strings.Join(names, ",") != want {
			t.Errorf("Selectors(%s) = %v, %v; want %s", q, names, err, want)
		}
	}
}

// TestWithin: a selector with every matcher of another (and its name) selects
// a subset of its series; a different or missing matcher does not.
func TestWithin(t *testing.T) {
	sels, err := Selectors(`sum(rate(http_requests_total{job="api", status=~"5.."}[1m])) / sum(rate(http_requests_total{job="api"}[1m])) + up{job="api"} + http_requests_total{job="web"} + {job="api"}`)
	if err != nil || len(sels) != 5 {
		t.Fatalf("%v %v", sels, err)
	}
	errors, requests, up, web, any := sels[0], sels[1], sels[2], sels[3], sels[4]
	for _, c := range []struct {
		s, t Selector
		want bool
	}{
		{errors, requests, true}, {requests, errors, false}, {requests, requests, true},
		{up, requests, false}, {web, requests, false}, {errors, any, true}, {up, any, true}, {any, up, false},
	} {
		if got := c.s.Within(c.t); got != c.want {
			t.Errorf("%s within %s: %v, want %v", c.s, c.t, got, c.want)
		}
	}
}

// TestKeywordsWhereAnOperandStands: where an operand is expected PromQL reads
// most keywords as metric names (`and`, `offset`, `sum` without its
// parenthesis), as Prometheus's grammar does; where an operator is expected
// no word is a metric (`anchored` after an offset is a modifier). Found by
// the differential fuzz in tools/promqlfuzz.
func TestKeywordsWhereAnOperandStands(t *testing.T) {
	for q, want := range map[string]string{
		`And`:                                 "And",
		`offset`:                              "offset",
		`x and and`:                           "x and",
		`x + sum`:                             "x sum",
		`sum(x) by (a) + by`:                  "x by",
		`start{a="b"} offset 5m`:              "start",
		`x offset 5m anchored`:                "x",
		`x[5m] smoothed`:                      "x",
		`a * on(x) group_left b`:              "a b",
		`a * on(x) group_left(y) b`:           "a b",
		`x > bool y`:                          "x y",
		`inf + x - NaN`:                       "x",
		`Infinity`:                            "Infinity",
		`sum by (le) (without)`:               "without",
		`topk(5, x) unless on() count(y) > 1`: "x y",
	} {
		sels, err := Selectors(q)
		var names []string
		for _, s := range sels {
			names = append(names, s.Name)
		}
		if err != nil || strings.Join(names, " ") != want {
			t.Errorf("Selectors(%s) = %v, %v; want %s", q, names, err, want)
		}
	}
}
