package logsview

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/opsdeck/opsdeck/ui/frame"
	"github.com/opsdeck/opsdeck/ui/theme"
)

// Severity is how a level reads: errors, warnings, the rest.
type Severity int

const (
	Other Severity = iota
	Warning
	Error
)

// SeverityOf is the severity of a level as log libraries spell it.
func SeverityOf(level string) Severity {
	switch strings.ToLower(level) {
	case "error", "err", "fatal", "critical", "crit", "panic", "alert", "emergency", "emerg", "severe":
		return Error
	case "warn", "warning":
		return Warning
	}
	return Other
}

// levelPaint is the level's colour: errors in the error colour, warnings
// in the warning colour, debug faint.
func levelPaint(st *theme.Styles, level string) theme.Paint {
	switch SeverityOf(level) {
	case Error:
		return st.Error
	case Warning:
		return st.Warn
	}
	switch level {
	case "debug", "trace":
		return st.Faint
	case "":
		return st.Muted
	}
	return st.OK
}

// levelWord is the level in the list's five cells.
func levelWord(level string) string {
	switch SeverityOf(level) {
	case Error:
		if l := strings.ToLower(level); l == "fatal" || l == "panic" || l == "critical" {
			return strings.ToUpper(l)
		}
		return "ERROR"
	case Warning:
		return "WARN"
	}
	if level == "" {
		return "-"
	}
	return strings.ToUpper(level)
}

// RowFields are a line as the list shows it: its time, its level and its
// message on one line.
func RowFields(e *entry) (at, level, message string) {
	return e.line.Time.Format("15:04:05.000"), levelWord(e.line.Level), e.row
}

// Terms are the words and phrases of a filter that a line's text can show:
// what the list highlights. Field names, operators, negated words, regular
// expressions and what follows a pipe are not.
func Terms(filter string) []string {
	var out []string
	for _, tok := range tokens(filter) {
		if tok == "|" {
			break
		}
		switch strings.ToUpper(tok) {
		case "AND", "OR", "NOT", "(", ")":
			continue
		}
		if strings.HasPrefix(tok, "-") || strings.HasPrefix(tok, "!") {
			continue
		}
		if i := fieldColon(tok); i >= 0 {
			if strings.HasPrefix(tok, "_time:") || strings.HasPrefix(tok, "_stream:") {
				continue
			}
			tok = tok[i+1:]
		}
		if strings.HasPrefix(tok, "~") || strings.HasPrefix(tok, "=~") || strings.ContainsAny(tok[:min(len(tok), 1)], "<>=") {
			continue
		}
		tok = strings.TrimSuffix(unquote(strings.Trim(tok, "()")), "*")
		if tok != "" && !slices.Contains(out, tok) {
			out = append(out, tok)
		}
	}
	return out
}

// tokens splits a filter on spaces and parentheses, a quoted phrase (with
// a field name before it) staying one token.
func tokens(s string) []string {
	var out []string
	var b strings.Builder
	quote := rune(0)
	flush := func() {
		if b.Len() > 0 {
			out = append(out, b.String())
			b.Reset()
		}
	}
	for _, r := range s {
		switch {
		case quote != 0:
			b.WriteRune(r)
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'' || r == '`':
			quote = r
			b.WriteRune(r)
		case r == ' ' || r == '\t' || r == '\n':
			flush()
		case r == '(' || r == ')' || r == '|':
			flush()
			out = append(out, string(r))
		default:
			b.WriteRune(r)
		}
	}
	flush()
	return out
}

// fieldColon is where a "field:" prefix ends, -1 when the token has none
// (a colon inside quotes is the phrase's own).
func fieldColon(tok string) int {
	i := strings.IndexByte(tok, ':')
	if q := strings.IndexAny(tok, "\"'`"); i < 0 || (q >= 0 && q < i) {
		return -1
	}
	return i
}

func unquote(s string) string {
	if len(s) >= 2 && strings.ContainsRune("\"'`", rune(s[0])) && s[len(s)-1] == s[0] {
		return strings.ReplaceAll(s[1:len(s)-1], `\"`, `"`)
	}
	return s
}

// Highlight paints plain text s in base, and each match of a term (ASCII
// letters compared without case) in hl. s is text already fitted: the
// paints add no cells.
func Highlight(s string, terms []string, base, hl theme.Paint) string {
	if len(terms) == 0 || s == "" {
		return base.Render(s)
	}
	lower := asciiLower(s)
	marked := make([]bool, len(s))
	any := false
	for _, t := range terms {
		t = asciiLower(t)
		for from := 0; from < len(lower); {
			i := strings.Index(lower[from:], t)
			if i < 0 {
				break
			}
			for j := from + i; j < from+i+len(t); j++ {
				marked[j] = true
			}
			any = true
			from += i + max(len(t), 1)
		}
	}
	if !any {
		return base.Render(s)
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && marked[j] == marked[i] {
			j++
		}
		// A run ends on a character boundary: terms are whole UTF-8 text.
		for j < len(s) && !utf8.RuneStart(s[j]) {
			j++
		}
		p := base
		if marked[i] {
			p = hl
		}
		b.WriteString(p.Render(s[i:j]))
		i = j
	}
	return b.String()
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// styled is one line of the expanded view and its paint.
type styled struct {
	p theme.Paint
	s string
}

// expandedLines are every field of the line, then its whole message (the
// traceback's lines as they are), wrapped to w cells.
func expandedLines(st *theme.Styles, e *entry, w int) []styled {
	var out []styled
	add := func(p theme.Paint, s string) {
		for _, l := range wrapLong(s, w) {
			out = append(out, styled{p, l})
		}
	}
	l := e.line
	add(levelPaint(st, l.Level), fmt.Sprintf("%s · %s", l.Time.Format("2006-01-02 15:04:05.000 MST"), levelWord(l.Level)))
	if l.Stream != "" {
		add(st.Muted, "stream: "+l.Stream)
	}
	if l.TraceID != "" {
		add(st.Accent, "trace_id: "+l.TraceID)
	}
	if l.SpanID != "" {
		add(st.Muted, "span_id: "+l.SpanID)
	}
	for _, k := range slices.Sorted(maps.Keys(l.Fields)) {
		add(st.Text, k+": "+l.Fields[k])
	}
	if e.more > 0 {
		add(st.Muted, fmt.Sprintf("(%d more fields not kept)", e.more))
	}
	out = append(out, styled{st.Muted, ""})
	p := st.Text
	if SeverityOf(l.Level) == Error {
		p = st.Error
	}
	add(p, l.Message)
	return out
}

// wrapLong wraps text of any length the view keeps to w cells, each line
// break kept and tabs as four spaces. frame.Wrap bounds what it lays out
// (MaxText); a message is laid out in pieces of that size, so that the
// whole of it shows.
func wrapLong(text string, w int) []string {
	var out []string
	for _, para := range strings.Split(strings.ReplaceAll(text, "\t", "    "), "\n") {
		if para == "" {
			out = append(out, "")
			continue
		}
		for para != "" {
			n := min(len(para), frame.MaxText)
			for n < len(para) && !utf8.RuneStart(para[n]) {
				n--
			}
			out = append(out, frame.Wrap(para[:n], w)...)
			para = para[n:]
		}
	}
	return out
}
