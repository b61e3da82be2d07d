package alembic

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/opsdeck/opsdeck/sources"
)

// The module-level names a revision file declares.
var fields = map[string]bool{"revision": true, "down_revision": true, "branch_labels": true, "depends_on": true}

// assignment matches `name = ...` and `name: Annotation = ...` at column 0.
var assignment = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)\s*(?::[^=]*)?=(.*)$`)

// stringLit matches a Python string literal (with an optional prefix).
var stringLit = regexp.MustCompile(`(?:[rRuUbB]{0,2})(?:'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)")`)

// ParseFile reads one revision file. ok is false when it declares no
// revision (not a revision file, or a broken one: see problems).
func ParseFile(path string, src []byte) (rev sources.Revision, ok bool, problems []sources.Problem) {
	rev.File = path
	lines := strings.Split(strings.ReplaceAll(string(src), "\r\n", "\n"), "\n")
	rev.Message = docstring(lines)
	seen := map[string]bool{}
	for i := 0; i < len(lines); i++ {
		m := assignment.FindStringSubmatch(lines[i])
		if m == nil || !fields[m[1]] || strings.HasPrefix(lines[i], " ") {
			continue
		}
		// The annotation may hold brackets (Union[str, None]); the value
		// starts after the first "=" outside brackets.
		name, value := m[1], valueAfterEquals(lines[i])
		start := i + 1
		for depth(value) > 0 && i+1 < len(lines) && i-start < 200 {
			i++
			value += "\n" + lines[i]
		}
		if depth(value) != 0 {
			problems = append(problems, sources.Problem{Severity: sources.SeverityCritical, File: path, Line: start,
				Message: fmt.Sprintf("%s: unclosed bracket in %s; the value is ignored", path, name)})
			continue
		}
		vals, isNone, err := literal(value)
		if err != nil {
			// What Alembic makes of it is not known: nothing built on the
			// graph can be trusted.
			problems = append(problems, sources.Problem{Severity: sources.SeverityCritical, File: path, Line: start,
				Message: fmt.Sprintf("%s:%d: %s is not a string, a tuple of strings or None (%s); read it by hand", path, start, name, err)})
			continue
		}
		seen[name] = true
		switch name {
		case "revision":
			if isNone || len(vals) != 1 {
				problems = append(problems, sources.Problem{Severity: sources.SeverityCritical, File: path, Line: start,
					Message: fmt.Sprintf("%s:%d: revision must be one string", path, start)})
				continue
			}
			rev.ID = vals[0]
		case "down_revision":
			rev.Down = vals
		case "branch_labels":
			rev.BranchLabels = vals
		case "depends_on":
			rev.DependsOn = vals
		}
	}
	return rev, rev.ID != "", problems
}

// valueAfterEquals returns the text after the assignment's "=", skipping
// an annotation's brackets.
func valueAfterEquals(line string) string {
	d := 0
	for i, r := range line {
		switch r {
		case '[', '(':
			d++
		case ']', ')':
			d--
		case '=':
			if d == 0 {
				return line[i+1:]
			}
		}
	}
	return ""
}

// depth is the bracket balance of a Python expression, strings and comments aside.
func depth(s string) int {
	d := 0
	eachCodeRune(s, func(_ int, r rune) bool {
		switch r {
		case '(', '[', '{':
			d++
		case ')', ']', '}':
			d--
		}
		return true
	})
	return d
}

// eachCodeRune calls fn with each rune of Python source that is outside
// string literals and comments, and with the '#' that opens a comment (the
// rest of the comment's line is skipped), until fn returns false. A string
// left open ends with its line.
func eachCodeRune(s string, fn func(i int, r rune) bool) {
	var quote rune // the open string's quote, or '\n' inside a comment
	esc := false
	for i, r := range s {
		if quote != 0 {
			switch {
			case esc:
				esc = false
			case r == '\\':
				esc = true
			case r == quote || r == '\n':
				quote = 0
			}
			continue
		}
		if !fn(i, r) {
			return
		}
		switch r {
		case '#':
			quote = '\n'
		case '\'', '"':
			quote = r
		}
	}
}

// literal reads None, a string, or a tuple/list of strings.
func literal(expr string) (vals []string, isNone bool, err error) {
	var b strings.Builder
	for _, line := range strings.Split(expr, "\n") {
		b.WriteString(stripComment(line))
		b.WriteByte(' ')
	}
	s := strings.TrimSpace(b.String())
	if s == "None" {
		return nil, true, nil
	}
	rest := stringLit.ReplaceAllString(s, "")
	// Only brackets, commas, spaces and tuple() may remain around the strings.
	rest = strings.NewReplacer("(", "", ")", "", "[", "", "]", "", ",", "", "tuple", "", "list", "").Replace(rest)
	if strings.TrimSpace(rest) != "" {
		return nil, false, fmt.Errorf("unexpected %q", strings.TrimSpace(rest))
	}
	for _, m := range stringLit.FindAllStringSubmatch(s, -1) {
		v := m[1]
		if v == "" {
			v = m[2]
		}
		vals = append(vals, v)
	}
	if len(vals) == 0 && !strings.ContainsAny(s, "([") {
		return nil, false, fmt.Errorf("no value")
	}
	return vals, false, nil
}

// stripComment drops a # comment outside strings.
func stripComment(line string) string {
	end := len(line)
	eachCodeRune(line, func(i int, r rune) bool {
		if r == '#' {
			end = i
			return false
		}
		return true
	})
	return line[:end]
}

// docstring is the first paragraph of the module docstring, as Alembic's
// Script.doc has it.
func docstring(lines []string) string {
	i := 0
	for i < len(lines) {
		t := strings.TrimSpace(lines[i])
		if t == "" || strings.HasPrefix(t, "#") {
			i++
			continue
		}
		break
	}
	if i >= len(lines) {
		return ""
	}
	t := strings.TrimLeft(strings.TrimSpace(lines[i]), "rRuU")
	var delim string
	for _, d := range []string{`"""`, `'''`, `"`, `'`} {
		if strings.HasPrefix(t, d) {
			delim = d
			break
		}
	}
	if delim == "" {
		return ""
	}
	body := strings.TrimPrefix(t, delim)
	var doc strings.Builder
	for {
		if j := strings.Index(body, delim); j >= 0 {
			doc.WriteString(body[:j])
			break
		}
		doc.WriteString(body)
		i++
		if i >= len(lines) || len(delim) == 1 {
			break
		}
		doc.WriteByte('\n')
		body = lines[i]
	}
	text := strings.TrimSpace(doc.String())
	first, _, _ := strings.Cut(text, "\n\n")
	return first
}
