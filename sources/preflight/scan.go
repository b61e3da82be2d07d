package preflight

import "strings"

// kind is what a lexical token of PostgreSQL's SQL is.
type kind uint8

const (
	kSpace        kind = iota
	kLineComment       // -- to the end of the line
	kBlockComment      // /* … */, nested
	kString            // '…', E'…', B'…', X'…', N'…', U&'…'
	kDollar            // $tag$…$tag$
	kQuoted            // "…", U&"…"
	kWord              // a keyword or an identifier
	kNumber
	kParam // $1
	kPunct // anything else, one byte
)

// next reads the token that starts at sql[i] and says where it ends. It
// follows the server's lexer (scan.l) with standard_conforming_strings on,
// the default since 9.1: a backslash escapes only in E'…' strings; block
// comments nest; a prefix (E, B, X, N, U&) and a dollar quote count only
// where a token starts, so a$b$ is one identifier and $1 a parameter; an
// E string continued on a later line ('…'<newline>'…') stays an E string.
// A quote or comment left open runs to the end.
func next(sql string, i int) (kind, int) {
	c := sql[i]
	switch {
	case isSpace(c):
		j := i + 1
		for j < len(sql) && isSpace(sql[j]) {
			j++
		}
		return kSpace, j
	case strings.HasPrefix(sql[i:], "--"):
		return kLineComment, lineEnd(sql, i)
	case strings.HasPrefix(sql[i:], "/*"):
		return kBlockComment, blockEnd(sql, i)
	case c == '\'':
		return kString, quoteEnd(sql, i+1, '\'')
	case c == '"':
		return kQuoted, quoteEnd(sql, i+1, '"')
	case c == '$':
		return dollar(sql, i)
	case isIdentStart(c):
		return word(sql, i)
	case c >= '0' && c <= '9':
		// Digits, a decimal point, an exponent, PostgreSQL 16's 0x1F and
		// 1_000; never a $, which may open a dollar quote right after.
		j := i + 1
		for j < len(sql) && (isIdentCont(sql[j]) && sql[j] != '$' || sql[j] == '.') {
			j++
		}
		return kNumber, j
	}
	return kPunct, i + 1
}

// word reads an identifier or keyword, or a string or quoted identifier
// whose prefix (E, B, X, N, U&) starts it.
func word(sql string, i int) (kind, int) {
	rest := sql[i:]
	switch {
	case len(rest) > 1 && rest[1] == '\'' && (rest[0] == 'e' || rest[0] == 'E'):
		return kString, escapeEnd(sql, i+2)
	case len(rest) > 1 && rest[1] == '\'' && strings.IndexByte("bBxXnN", rest[0]) >= 0:
		return kString, quoteEnd(sql, i+2, '\'')
	case len(rest) > 2 && (rest[0] == 'u' || rest[0] == 'U') && rest[1] == '&' && (rest[2] == '\'' || rest[2] == '"'):
		if rest[2] == '"' {
			return kQuoted, quoteEnd(sql, i+3, '"')
		}
		return kString, quoteEnd(sql, i+3, '\'')
	}
	j := i + 1
	for j < len(sql) && isIdentCont(sql[j]) {
		j++
	}
	return kWord, j
}

// dollar reads what starts with $: a dollar-quoted string, a parameter,
// or a lone $.
func dollar(sql string, i int) (kind, int) {
	if tag := dollarTag(sql[i:]); tag != "" {
		body := i + len(tag)
		if end := strings.Index(sql[body:], tag); end >= 0 {
			return kDollar, body + end + len(tag)
		}
		return kDollar, len(sql)
	}
	j := i + 1
	for j < len(sql) && sql[j] >= '0' && sql[j] <= '9' {
		j++
	}
	if j > i+1 {
		return kParam, j
	}
	return kPunct, i + 1
}

// dollarTag is the $tag$ opening a dollar-quoted string at the start of s,
// "" when there is none. A tag follows the rules of an identifier without
// the $: a letter, _ or a non-ASCII byte first, digits after.
func dollarTag(s string) string {
	for j := 1; j < len(s); j++ {
		c := s[j]
		switch {
		case c == '$':
			return s[:j+1]
		case isIdentStart(c), j > 1 && c >= '0' && c <= '9':
		default:
			return ""
		}
	}
	return ""
}

// quoteEnd is the end of a quoted string or identifier whose body starts
// at j: past the closing quote q, a doubled one being part of the body.
func quoteEnd(sql string, j int, q byte) int {
	for j < len(sql) {
		if sql[j] == q {
			if j+1 < len(sql) && sql[j+1] == q {
				j += 2
				continue
			}
			return j + 1
		}
		j++
	}
	return len(sql)
}

// escapeEnd is the end of an E'…' string whose body starts at j: a
// backslash escapes the byte after it, and the string goes on past a
// closing quote followed by whitespace holding a newline and a quote.
func escapeEnd(sql string, j int) int {
	for j < len(sql) {
		switch {
		case sql[j] == '\\':
			j += 2
		case sql[j] == '\'' && j+1 < len(sql) && sql[j+1] == '\'':
			j += 2
		case sql[j] == '\'':
			q, ok := continued(sql, j+1)
			if !ok {
				return j + 1
			}
			j = q + 1
		default:
			j++
		}
	}
	return len(sql)
}

// continued reports whether the string closed just before i goes on: the
// server's whitespace_with_newline (spaces and -- comments, a newline,
// then any whitespace and comments that end in one) and a quote, at q.
func continued(sql string, i int) (q int, ok bool) {
	j := i
	for j < len(sql) && (sql[j] == ' ' || sql[j] == '\t' || sql[j] == '\f' || strings.HasPrefix(sql[j:], "--")) {
		if sql[j] == '-' {
			j = lineEnd(sql, j)
			continue
		}
		j++
	}
	if j >= len(sql) || sql[j] != '\n' && sql[j] != '\r' {
		return 0, false
	}
	for j < len(sql) {
		switch {
		case isSpace(sql[j]):
			j++
		case strings.HasPrefix(sql[j:], "--"):
			if j = lineEnd(sql, j); j >= len(sql) {
				return 0, false
			}
		default:
			return j, sql[j] == '\''
		}
	}
	return 0, false
}

// lineEnd is where a -- comment starting at i ends: at a newline or a
// carriage return, as the server ends it.
func lineEnd(sql string, i int) int {
	if end := strings.IndexAny(sql[i:], "\n\r"); end >= 0 {
		return i + end
	}
	return len(sql)
}

// blockEnd is where a /* comment starting at i ends; comments nest.
func blockEnd(sql string, i int) int {
	depth := 0
	for j := i; j+1 < len(sql); {
		switch sql[j : j+2] {
		case "/*":
			depth++
			j += 2
		case "*/":
			if depth--; depth == 0 {
				return j + 2
			}
			j += 2
		default:
			j++
		}
	}
	return len(sql)
}

// isSpace is the server's whitespace (\v since PostgreSQL 16).
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isIdentCont(c byte) bool {
	return isIdentStart(c) || c >= '0' && c <= '9' || c == '$'
}
