package promqlfuzz

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/internal/promql"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// prom is Prometheus's parser with every feature a server can switch on that
// does not change how a selector is written (experimental functions, fill
// modifiers): whatever some server accepts, opsdeck must read.
var prom = parser.NewParser(parser.Options{EnableExperimentalFunctions: true, EnableBinopFillModifiers: true})

// added is the matcher AddMatcher puts into every selector in the fuzz.
var added = promql.Matcher{Name: "fuzz_label", Op: "=~", Value: "a|b.c"}

// FuzzAgreesWithPrometheus: for any query Prometheus's parser accepts,
// internal/promql accepts it too, finds the same vector selectors (metric
// name and matchers, in the order written), matches label values as
// Prometheus does, and AddMatcher yields a query Prometheus accepts whose
// selectors are the same with the added matcher.
func FuzzAgreesWithPrometheus(f *testing.F) {
	for _, q := range seeds(f) {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		if len(q) > 2000 {
			t.Skip("longer than any query a pane holds")
		}
		compare(t, q)
	})
}

func compare(t *testing.T, q string) {
	t.Helper()
	expr, err := prom.ParseExpr(q)
	if err != nil {
		return // opsdeck is not a validator: Prometheus's rejection is shown as is
	}
	want := selectorsOf(expr)
	got, err := promql.Selectors(q)
	if err != nil {
		t.Fatalf("Prometheus accepts %q, internal/promql rejects it: %v", q, err)
	}
	if err := promql.Check(q); err != nil {
		t.Fatalf("Prometheus accepts %q, Check rejects it: %v", q, err)
	}
	if !equal(got, want) {
		t.Fatalf("%q:\n  internal/promql %v\n  Prometheus      %v", q, got, want)
	}
	for _, s := range want {
		for _, m := range s.Matchers {
			sameMatches(t, q, m)
		}
	}
	rewritten, err := promql.AddMatcher(q, added)
	if err != nil {
		t.Fatalf("AddMatcher(%q): %v", q, err)
	}
	expr, err = prom.ParseExpr(rewritten)
	if err != nil {
		t.Fatalf("AddMatcher(%q) = %q, which Prometheus rejects: %v", q, rewritten, err)
	}
	wantAdded := make([]promql.Selector, len(want))
	for i, s := range want {
		wantAdded[i] = promql.Selector{Name: s.Name, Matchers: append(slices.Clone(s.Matchers), added)}
	}
	if gotAdded := selectorsOf(expr); !equal(gotAdded, wantAdded) {
		t.Fatalf("AddMatcher(%q) = %q:\n  selectors %v\n  want      %v", q, rewritten, gotAdded, wantAdded)
	}
}

// selectorsOf lists expr's vector selectors in the order they are written,
// as internal/promql describes them: the metric name apart, the other
// matchers as written.
func selectorsOf(expr parser.Expr) []promql.Selector {
	var vs []*parser.VectorSelector
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		if v, ok := n.(*parser.VectorSelector); ok {
			vs = append(vs, v)
		}
		return nil
	})
	// Inspect visits an aggregation's expression before its parameter.
	slices.SortStableFunc(vs, func(a, b *parser.VectorSelector) int {
		return int(a.PositionRange().Start - b.PositionRange().Start)
	})
	out := make([]promql.Selector, len(vs))
	for i, v := range vs {
		s, named := promql.Selector{Name: v.Name}, v.Name != ""
		for _, m := range v.LabelMatchers {
			if m.Name == labels.MetricName && m.Type == labels.MatchEqual && (!named || (v.Name != "" && m.Value == v.Name)) {
				s.Name, named = m.Value, true
				continue
			}
			s.Matchers = append(s.Matchers, promql.Matcher{Name: m.Name, Op: m.Type.String(), Value: m.Value})
		}
		out[i] = s
	}
	return out
}

func equal(a, b []promql.Selector) bool {
	return slices.EqualFunc(a, b, func(x, y promql.Selector) bool {
		return x.Name == y.Name && slices.Equal(x.Matchers, y.Matchers)
	})
}

// sameMatches compares promql.Matcher.Matches with Prometheus's matcher on
// values near the matcher's own.
func sameMatches(t *testing.T, q string, m promql.Matcher) {
	t.Helper()
	pm, err := labels.NewMatcher(matchType(m.Op), m.Name, m.Value)
	if err != nil {
		t.Fatalf("%q: Prometheus parsed %v but cannot build it: %v", q, m, err)
	}
	for _, v := range []string{"", m.Value, m.Value + "\n", "\n" + m.Value, "a\nb", strings.ToUpper(m.Value), "x" + m.Value} {
		if got, want := m.Matches(v), pm.Matches(v); got != want {
			t.Fatalf("%q: %v matches %q: internal/promql %v, Prometheus %v", q, m, v, got, want)
		}
	}
}

func matchType(op string) labels.MatchType {
	for _, t := range []labels.MatchType{labels.MatchEqual, labels.MatchNotEqual, labels.MatchRegexp, labels.MatchNotRegexp} {
		if t.String() == op {
			return t
		}
	}
	panic(fmt.Sprintf("no match type %q", op))
}

// seeds are the queries opsdeck writes itself (its defaults, with and
// without a selector and for several rate windows), every code span of the
// README, and shapes PromQL allows that are easy to misread.
func seeds(tb testing.TB) []string {
	var out []string
	for _, sel := range []string{"", `job="fastapi-app"`, `job="api", env=~"prod|qa"`} {
		for _, w := range []time.Duration{time.Minute, 90 * time.Second, 5 * time.Minute} {
			for _, qs := range []config.Queries{config.DefaultQueries(sel, w), config.DefaultSplits(sel, w), config.DefaultRanks(sel, w)} {
				for _, q := range []string{qs.RPS, qs.ErrorRate, qs.P95Latency, qs.Memory} {
					if q != "" {
						out = append(out, strings.ReplaceAll(q, sources.SplitLabel, "handler"))
					}
				}
			}
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		tb.Fatal(err)
	}
	for _, m := range regexp.MustCompile("`([^`\n]+)`").FindAllStringSubmatch(string(readme), -1) {
		out = append(out, m[1])
	}
	return append(out,
		`{__name__="up", job='prom'}`, `{"my.metric", env="qa"}`, "max_over_time(up[10m:1m]) # {braces}",
		`topk(scalar(y), x)`, `count_values("v", build_info)`, `a / on(instance) group_left(version) b`,
		`rate(a[5m] offset 1h) > bool 0.5 unless ignoring(x) c`, `avg(up @ start())`, "x{a=~`\\d+`}",
		`SUM BY (job) (rate(x[5m]))`, `max_over_time(rate(x[1m])[5m :1m])`, `-x ^ 2 % 3`, `x{a=~".*"}`,
		`{__name__=~"http_.*", job!=""}`, `label_replace(up, "dst", "$1", "src", "(.*)")`, `1e3 * Inf - NaN`,
	)
}

// TestSeedsAgree runs the comparison on the seeds alone, in `go test`.
func TestSeedsAgree(t *testing.T) {
	seen := 0
	for _, q := range seeds(t) {
		if _, err := prom.ParseExpr(q); err == nil {
			seen++
		}
		compare(t, q)
	}
	if seen < 30 {
		t.Fatalf("only %d seeds are PromQL Prometheus accepts: the corpus lost its queries", seen)
	}
}
