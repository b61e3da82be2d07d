package promql

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Matcher is one label matcher: name op "value".
type Matcher struct {
	Name, Op, Value string
}

// Matches reports whether a label value satisfies the matcher (an absent
// label has the value ""). Regular expressions are anchored and their dot
// matches a newline, as in PromQL.
func (m Matcher) Matches(v string) bool { return m.Matcher()(v) }

// Matcher compiles the matcher once, for testing many values.
func (m Matcher) Matcher() func(string) bool {
	switch m.Op {
	case "=":
		return func(v string) bool { return v == m.Value }
	case "!=":
		return func(v string) bool { return v != m.Value }
	case "=~", "!~":
		re, err := compile(m.Value)
		if err != nil {
			return func(string) bool { return false }
		}
		want := m.Op == "=~"
		return func(v string) bool { return re.MatchString(v) == want }
	}
	return func(string) bool { return false }
}

// compile builds a matcher's regular expression as Prometheus does.
func compile(expr string) (*regexp.Regexp, error) { return regexp.Compile("^(?s:" + expr + ")$") }

func (m Matcher) String() string { return m.Name + m.Op + strconv.Quote(m.Value) }

// Selector is a vector selector: a metric name and label matchers.
type Selector struct {
	Name     string
	Matchers []Matcher // without the name
}

// String renders the selector as PromQL (usable in match[] parameters).
func (s Selector) String() string {
	parts := make([]string, len(s.Matchers))
	for i, m := range s.Matchers {
		parts[i] = m.String()
	}
	if s.Name != "" && len(parts) == 0 {
		return s.Name
	}
	return s.Name + "{" + strings.Join(parts, ", ") + "}"
}

// Within reports whether every series s selects is one t selects too: t
// names no metric or the same one, and each of t's matchers is one of s's.
func (s Selector) Within(t Selector) bool {
	if t.Name != "" && t.Name != s.Name {
		return false
	}
	for _, m := range t.Matchers {
		if !slices.Contains(s.Matchers, m) {
			return false
		}
	}
	return true
}

// Error locates a problem in the query.
type Error struct {
	Pos int
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("at character %d: %s", e.Pos+1, e.Msg) }

// keywords that are followed by a parenthesised label list, not a selector.
var labelListKeywords = map[string]bool{
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
}

// words that are never metric names: where an operand stands they are a
// modifier (bool), a number (inf, nan) or a binary operator's parts.
var neverMetric = map[string]bool{
	"bool": true, "atan2": true, "inf": true, "nan": true,
	"on": true, "ignoring": true, "group_left": true, "group_right": true,
}

// leadsToOperand are the words after which an operand stands: binary
// operators, their modifiers, and offset (its duration).
var leadsToOperand = map[string]bool{
	"and": true, "or": true, "unless": true, "atan2": true, "bool": true, "offset": true,
	"on": true, "ignoring": true, "group_left": true, "group_right": true,
}

// aggregations may take their modifier before the parenthesis: sum by (le) (...).
var aggregations = map[string]bool{
	"sum": true, "avg": true, "count": true, "min": true, "max": true, "group": true, "stddev": true,
	"stdvar": true, "topk": true, "bottomk": true, "quantile": true, "count_values": true,
	"limitk": true, "limit_ratio": true,
}

// Selectors returns the vector selectors of query in order of appearance, or
// an error when the query is malformed.
func Selectors(query string) ([]Selector, error) {
	sels, _, err := selectors(query)
	return sels, err
}

// AddMatcher adds m to every vector selector of query: the query read over
// fewer series (a breakdown's chart, over the values it shows).
func AddMatcher(query string, m Matcher) (string, error) {
	_, at, err := selectors(query)
	if err != nil {
		return "", err
	}
	out := query
	for i := len(at) - 1; i >= 0; i-- { // from the end, so positions hold
		ins := at[i]
		text := m.String()
		switch {
		case ins.bare:
			text = "{" + text + "}"
		case ins.more:
			text = ", " + text
		}
		out = out[:ins.pos] + text + out[ins.pos:]
	}
	return out, nil
}

// insertion is where a matcher goes in a selector: before its closing brace
// (after others when more), or after a bare metric name (bare).
type insertion struct {
	pos        int
	bare, more bool
}

func selectors(query string) ([]Selector, []insertion, error) {
	toks, err := lex(query)
	if err != nil {
		return nil, nil, err
	}
	var out []Selector
	var at []insertion
	var stack []token // open brackets, for balance
	operand := true   // an operand is expected here, not an operator
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch t.kind {
		case tIdent:
			if len(stack) > 0 && stack[len(stack)-1].text == "[" {
				continue // a range or a subquery's step ([5m :1m]): a duration, not a selector
			}
			r, next := identRole(toks, i, operand)
			operand = next
			switch r {
			case labelList:
				j, err := skipGroup(toks, i+1, "(", ")")
				if err != nil {
					return nil, nil, err
				}
				i = j
			case metric:
				sel, ins, j, err := named(toks, i)
				if err != nil {
					return nil, nil, err
				}
				out, at, i = append(out, sel), append(at, ins), j
			}
		case tNumber, tString:
			operand = false
		case tOp:
			operand = true
		case tPunct:
			switch t.text {
			case "{":
				all, j, err := matchers(toks, i)
				if err != nil {
					return nil, nil, err
				}
				name, _, ms := splitName(all)
				if name == "" && len(ms) == 0 {
					return nil, nil, &Error{t.pos, "a selector needs a metric name or a matcher"}
				}
				out = append(out, Selector{Name: name, Matchers: ms})
				at = append(at, insertion{pos: toks[j].pos, more: afterMatcher(toks, j)})
				i = j
			case "(", "[":
				stack = append(stack, t)
			case ")", "]":
				want := map[string]string{")": "(", "]": "["}[t.text]
				if len(stack) == 0 || stack[len(stack)-1].text != want {
					return nil, nil, &Error{t.pos, "unexpected " + t.text}
				}
				stack = stack[:len(stack)-1]
			case "}":
				return nil, nil, &Error{t.pos, "unexpected }"}
			}
			operand = t.text == "(" || t.text == "[" || t.text == ","
		}
	}
	if len(stack) > 0 {
		open := stack[len(stack)-1]
		return nil, nil, &Error{open.pos, "unclosed " + open.text}
	}
	return out, at, nil
}

// Check reports whether query is well formed as far as this package can tell.
func Check(query string) error {
	if strings.TrimSpace(query) == "" {
		return &Error{0, "empty query"}
	}
	_, err := Selectors(query)
	return err
}

// ParseMatchers parses a bare matcher list such as `job="api", env=~"prod|qa"`
// (the configuration's selector).
func ParseMatchers(s string) ([]Matcher, error) {
	toks, err := lex("{" + s + "}")
	if err != nil {
		return nil, shift(err)
	}
	all, end, err := matchers(toks, 0)
	if err != nil {
		return nil, shift(err)
	}
	_, named, ms := splitName(all)
	if named {
		return nil, &Error{0, "a selector here takes label matchers only"}
	}
	if end != len(toks)-1 {
		return nil, &Error{toks[end+1].pos - 1, "unexpected " + toks[end+1].text}
	}
	return ms, nil
}

// shift moves an error's position back over the "{" ParseMatchers added.
func shift(err error) error {
	if e, ok := err.(*Error); ok && e.Pos > 0 {
		return &Error{e.Pos - 1, e.Msg}
	}
	return err
}

// matchers parses `{ ... }` starting at toks[i] == "{"; it returns the
// matchers, a quoted metric name ({"metric.name"}) as __name__="metric.name",
// and the index of the closing brace.
func matchers(toks []token, i int) ([]Matcher, int, error) {
	open := toks[i]
	var out []Matcher
	i++
	for {
		t := peek(toks, i)
		switch {
		case t.kind == tEOF:
			return nil, 0, &Error{open.pos, "unclosed {"}
		case t.text == "}" && t.kind == tPunct:
			return out, i, nil
		case t.kind != tIdent && t.kind != tString:
			return nil, 0, &Error{t.pos, fmt.Sprintf("expected a label name, got %q", t.text)}
		}
		labelTok := t
		op := peek(toks, i+1)
		if labelTok.kind == tString && (op.text == "," || op.text == "}") { // {"metric.name"}
			out = append(out, Matcher{Name: metricName, Op: "=", Value: labelTok.text})
			i++
		} else {
			if op.kind != tOp || (op.text != "=" && op.text != "!=" && op.text != "=~" && op.text != "!~") {
				return nil, 0, &Error{op.pos, fmt.Sprintf("expected =, !=, =~ or !~ after %s, got %q", labelTok.text, op.text)}
			}
			val := peek(toks, i+2)
			if val.kind != tString {
				return nil, 0, &Error{val.pos, fmt.Sprintf("the value of %s must be a quoted string, got %q", labelTok.text, val.text)}
			}
			if op.text == "=~" || op.text == "!~" {
				if _, err := compile(val.text); err != nil {
					return nil, 0, &Error{val.pos, fmt.Sprintf("bad regular expression %q: %v", val.text, err)}
				}
			}
			out = append(out, Matcher{Name: labelTok.text, Op: op.text, Value: val.text})
			i += 3
		}
		switch sep := peek(toks, i); {
		case sep.kind == tEOF:
			return nil, 0, &Error{open.pos, "unclosed {"}
		case sep.text == ",":
			i++
		case sep.text == "}":
		default:
			return nil, 0, &Error{sep.pos, fmt.Sprintf("expected , or } after a matcher, got %q", sep.text)}
		}
	}
}

// named reads the selector whose metric name is toks[i], with its matchers
// if braces follow, and returns the index of its last token.
func named(toks []token, i int) (Selector, insertion, int, error) {
	t := toks[i]
	sel := Selector{Name: t.text}
	if peek(toks, i+1).text != "{" {
		return sel, insertion{pos: t.pos + len(t.text), bare: true}, i, nil
	}
	ms, j, err := matchers(toks, i+1)
	if err != nil {
		return Selector{}, insertion{}, 0, err
	}
	if _, named, _ := splitName(ms); named {
		return Selector{}, insertion{}, 0, &Error{t.pos, "metric name given twice"}
	}
	sel.Matchers = ms
	return sel, insertion{pos: toks[j].pos, more: afterMatcher(toks, j)}, j, nil
}

// afterMatcher reports whether the closing brace toks[j] follows a matcher
// (a matcher added there needs a comma), not "{" or a trailing comma.
func afterMatcher(toks []token, j int) bool {
	prev := toks[j-1]
	return prev.kind != tPunct || (prev.text != "{" && prev.text != ",")
}

// role is what an identifier is where it stands.
type role int

const (
	keyword   role = iota // an operator, a modifier or a number: no selector
	call                  // a function or an aggregation: its arguments follow
	labelList             // by, without, on, ignoring, group_left or group_right with its labels
	metric                // a vector selector's metric name
)

// identRole reads the identifier at toks[i], where an operand is expected
// or not, and says whether one is expected after it. PromQL's grammar reads
// most keywords as metric names where an operand stands (`and`, `offset`,
// `sum` without its parenthesis); where an operator is expected no word is
// a metric name (`anchored` after an offset is a modifier).
func identRole(toks []token, i int, operand bool) (role, bool) {
	lower := strings.ToLower(toks[i].text)
	next := peek(toks, i+1)
	switch {
	case labelListKeywords[lower] && next.text == "(":
		// on and ignoring come before the right operand; by and without
		// before an aggregation's argument, which opens with its own "("
		return labelList, lower != "by" && lower != "without"
	case !operand || neverMetric[lower]:
		return keyword, leadsToOperand[lower] || (operand && lower != "inf" && lower != "nan")
	case next.text == "(" || (aggregations[lower] && (strings.EqualFold(next.text, "by") || strings.EqualFold(next.text, "without"))):
		return call, true
	}
	return metric, false
}

// metricName is the label that holds a series' metric name.
const metricName = "__name__"

// splitName takes the metric name out of a selector's matchers: the first
// __name__="..." of them. Any other stays a matcher, as in Prometheus, where
// {"a", "b"} asks for series named both (none).
func splitName(ms []Matcher) (name string, named bool, rest []Matcher) {
	for i, m := range ms {
		if m.Name == metricName && m.Op == "=" {
			return m.Value, true, append(slices.Clip(ms[:i]), ms[i+1:]...)
		}
	}
	return "", false, ms
}

func skipGroup(toks []token, i int, open, close string) (int, error) {
	depth := 0
	for j := i; j < len(toks); j++ {
		switch toks[j].text {
		case open:
			depth++
		case close:
			depth--
			if depth == 0 {
				return j, nil
			}
		}
	}
	return 0, &Error{toks[i].pos, "unclosed " + open}
}

func peek(toks []token, i int) token {
	if i < len(toks) {
		return toks[i]
	}
	return token{kind: tEOF, pos: -1}
}
