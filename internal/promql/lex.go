package promql

import (
	"strconv"
	"strings"
)

type kind int

const (
	tEOF kind = iota
	tIdent
	tString
	tNumber // numbers and durations
	tPunct  // ( ) { } [ ] ,
	tOp     // operators, including = inside matchers
)

type token struct {
	kind kind
	text string // for strings: the unquoted value
	pos  int
}

func isIdentStart(r byte) bool { return r == '_' || r == ':' || (r|0x20 >= 'a' && r|0x20 <= 'z') }
func isIdentChar(r byte) bool  { return isIdentStart(r) || (r >= '0' && r <= '9') }

// lex splits a PromQL expression into tokens.
func lex(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '#': // comment to end of line, which \r ends too in Prometheus's lexer
			for i < len(s) && s[i] != '\n' && s[i] != '\r' {
				i++
			}
		case c == '"' || c == '\'' || c == '`':
			end, val, err := lexString(s, i)
			if err != nil {
				return nil, err
			}
			out = append(out, token{tString, val, i})
			i = end
		case isIdentStart(c):
			j := i
			for j < len(s) && isIdentChar(s[j]) {
				j++
			}
			out = append(out, token{tIdent, s[i:j], i})
			i = j
		case c >= '0' && c <= '9' || (c == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9'):
			j := i
			for j < len(s) && (isIdentChar(s[j]) || s[j] == '.' || ((s[j] == '+' || s[j] == '-') && (s[j-1] == 'e' || s[j-1] == 'E'))) {
				j++
			}
			out = append(out, token{tNumber, s[i:j], i})
			i = j
		case strings.IndexByte("(){}[],", c) >= 0:
			out = append(out, token{tPunct, string(c), i})
			i++
		default:
			op := ""
			for _, o := range []string{"==", "!=", "=~", "!~", ">=", "<=", "=", "+", "-", "*", "/", "%", "^", ">", "<", "@", ":"} {
				if strings.HasPrefix(s[i:], o) {
					op = o
					break
				}
			}
			if op == "" {
				return nil, &Error{i, "unexpected character " + strconv.QuoteRune([]rune(s[i:])[0])}
			}
			out = append(out, token{tOp, op, i})
			i += len(op)
		}
	}
	return out, nil
}

// lexString reads a quoted string starting at s[i] and returns the index
// after it and its unquoted value.
func lexString(s string, i int) (int, string, error) {
	q := s[i]
	j := i + 1
	for j < len(s) && s[j] != q {
		if s[j] == '\\' && q != '`' {
			j++
		}
		if j < len(s) && s[j] == '\n' && q != '`' {
			break
		}
		j++
	}
	if j >= len(s) || s[j] != q {
		return 0, "", &Error{i, "unterminated string"}
	}
	raw := s[i : j+1]
	if q == '`' {
		return j + 1, raw[1 : len(raw)-1], nil
	}
	if q == '\'' { // strconv only unquotes double quotes
		raw = `"` + strings.ReplaceAll(strings.ReplaceAll(raw[1:len(raw)-1], `\'`, `'`), `"`, `\"`) + `"`
	}
	val, err := strconv.Unquote(raw)
	if err != nil {
		return 0, "", &Error{i, "bad escape in string"}
	}
	return j + 1, val, nil
}
