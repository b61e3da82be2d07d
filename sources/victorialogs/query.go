package victorialogs

import (
	"fmt"
	"strings"
)

// And is the LogsQL filter matching both filters: each one in parentheses,
// so that an OR in either stays inside it. An empty filter matches every
// line and is left out; both empty is "*".
func And(filters ...string) string {
	var parts []string
	for _, f := range filters {
		if f = strings.TrimSpace(f); f != "" && f != "*" {
			parts = append(parts, "("+f+")")
		}
	}
	switch len(parts) {
	case 0:
		return "*"
	case 1:
		return strings.TrimSuffix(strings.TrimPrefix(parts[0], "("), ")")
	}
	return strings.Join(parts, " AND ")
}

// CheckFilter says what is wrong with a user's filter for opsdeck: a pipe
// (| stats …) would turn its lines into something else, and parentheses or
// quotes left open, or a comment (#), would swallow the filter it is ANDed
// with.
func CheckFilter(f string) error {
	depth := 0
	var quote byte
	for i := 0; i < len(f); i++ {
		c := f[i]
		switch {
		case quote != 0:
			if c == '\\' && quote != '`' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'' || c == '`':
			quote = c
		case c == '(':
			depth++
		case c == ')':
			if depth--; depth < 0 {
				return fmt.Errorf("filter %q closes a parenthesis it never opened", f)
			}
		case c == '|':
			return fmt.Errorf("filter %q has a pipe (|): opsdeck takes filters only, and adds its own pipes", f)
		case c == '#':
			// A comment would run to the end of the line, over the
			// parenthesis and the filter ANDed after it.
			return fmt.Errorf("filter %q has a # outside quotes (a comment): quote the word", f)
		}
	}
	switch {
	case quote != 0:
		return fmt.Errorf("filter %q leaves a quote open", f)
	case depth > 0:
		return fmt.Errorf("filter %q leaves a parenthesis open", f)
	}
	return nil
}

// levelFields are where a record's level may be: severity_text is what
// VictoriaLogs keeps of an OpenTelemetry record's severity, level and
// severity what JSON loggers write.
func levelFields() []string { return []string{"severity_text", "level", "severity"} }

// levelWords are the words each level is written as, from the least
// severe up.
func levelWords() [][]string {
	return [][]string{
		{"trace", "debug"},
		{"info", "information", "informational", "notice"},
		{"warn", "warning"},
		{"err", "error"},
		{"fatal", "critical", "crit", "alert", "emerg", "emergency", "panic"},
	}
}

// severityFloor is the lowest OpenTelemetry severity_number of each of
// levelWords' ranks.
func severityFloor() []int { return []int{1, 9, 13, 17, 21} }

// rank is where level stands in levelWords (-1: unknown).
func rank(level string) int {
	level = strings.ToLower(strings.TrimSpace(level))
	for i, words := range levelWords() {
		for _, w := range words {
			if w == level {
				return i
			}
		}
	}
	return -1
}

// LevelFilter is the LogsQL filter of the lines at level or worse, by any
// of the level fields or, for an OpenTelemetry record with no severity
// text, its severity number. "" is no filter.
func LevelFilter(level string) (string, error) {
	if strings.TrimSpace(level) == "" {
		return "", nil
	}
	r := rank(level)
	if r < 0 {
		return "", fmt.Errorf("unknown level %q: use debug, info, warn or error", level)
	}
	var words []string
	for _, ws := range levelWords()[r:] {
		words = append(words, ws...)
	}
	re := `"(?i)^(` + strings.Join(words, "|") + `)$"`
	var parts []string
	for _, f := range levelFields() {
		parts = append(parts, f+":~"+re)
	}
	parts = append(parts, fmt.Sprintf("severity_number:range[%d, 24]", severityFloor()[r]))
	return strings.Join(parts, " OR "), nil
}

// Level is a record's level as sources.LogLine has it: error, warn, info,
// debug (fatal and critical are errors, trace is debug), from its level
// field, or else its OpenTelemetry severity number; "" when it has neither.
func Level(text, severityNumber string) string {
	names := []string{"debug", "info", "warn", "error", "error"}
	if r := rank(text); r >= 0 {
		return names[r]
	}
	var n int
	if _, err := fmt.Sscanf(severityNumber, "%d", &n); err == nil && n >= 1 && n <= 24 {
		floor := severityFloor()
		for r := len(floor) - 1; r >= 0; r-- {
			if n >= floor[r] {
				return names[r]
			}
		}
	}
	if t := strings.ToLower(strings.TrimSpace(text)); len(t) <= 16 {
		return t
	}
	return ""
}
