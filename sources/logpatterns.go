package sources

import (
	"cmp"
	"regexp"
	"slices"
	"strings"
)

// The variable parts of a message, replaced in this order (a uuid before
// the hex and numbers it is made of).
var logVariables = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`"(?:[^"\\]|\\.)*"`), `"…"`},
	{regexp.MustCompile(`'(?:[^'\\]|\\.)*'`), `'…'`},
	{regexp.MustCompile(`\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?`), `<time>`},
	{regexp.MustCompile(`(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`), `<uuid>`},
	{regexp.MustCompile(`(?i)\b0x[0-9a-f]+\b`), `<hex>`},
	// A number not part of a name (psycopg2 stays, 42ms and /users/42
	// do not).
	{regexp.MustCompile(`(^|[^A-Za-z_])\d+(?:\.\d+)*`), `${1}<n>`},
}

// hexID is a run of hex digits long enough to be an id (a trace id, a
// hash): replaced when it holds a digit and a letter, so that a word of
// letters alone ("deadline") stays.
var hexID = regexp.MustCompile(`(?i)\b[0-9a-f]{8,}\b`)

// maxPattern bounds a pattern's length.
const maxPattern = 300

// LogPatternOf is the pattern of msg: the line that says what went wrong
// (the last line of a Python traceback, else the first) with its variable
// parts replaced: quoted values, times, uuids, hex ids and numbers (in
// paths too: /users/<n>/facts).
func LogPatternOf(msg string) string {
	line := headline(msg)
	for i, v := range logVariables {
		if i == len(logVariables)-1 {
			line = hexID.ReplaceAllStringFunc(line, func(s string) string {
				if strings.ContainsAny(s, "0123456789") && strings.ContainsAny(s, "abcdefABCDEF") {
					return "<hex>"
				}
				return s
			})
		}
		line = v.re.ReplaceAllString(line, v.with)
	}
	line = strings.Join(strings.Fields(line), " ")
	if len(line) > maxPattern {
		cut := maxPattern
		for cut > 0 && line[cut]&0xc0 == 0x80 {
			cut--
		}
		line = line[:cut] + "…"
	}
	return line
}

// headline is the line of msg that says what went wrong: a traceback's
// last (the exception), else its first.
func headline(msg string) string {
	msg = strings.TrimSpace(msg)
	first, _, multi := strings.Cut(msg, "\n")
	if multi && strings.HasPrefix(strings.TrimSpace(first), "Traceback (most recent call last)") {
		return strings.TrimSpace(msg[strings.LastIndexByte(msg, '\n')+1:])
	}
	return first
}

// LogPatterns groups lines by the pattern of their messages: how many of
// each, and the newest line of each as its example; the most frequent
// first (then by pattern, for a stable order).
func LogPatterns(lines []LogLine) []LogPattern {
	at := map[string]int{}
	var out []LogPattern
	for _, l := range lines {
		p := LogPatternOf(l.Message)
		i, ok := at[p]
		if !ok {
			i = len(out)
			at[p] = i
			out = append(out, LogPattern{Pattern: p})
		}
		out[i].Count++
		if out[i].Count == 1 || !l.Time.Before(out[i].Example.Time) {
			out[i].Example = l
		}
	}
	slices.SortFunc(out, func(a, b LogPattern) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Pattern, b.Pattern))
	})
	return out
}
