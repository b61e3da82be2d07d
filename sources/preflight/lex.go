package preflight

import "strings"

// token is one lexical token of a statement: a word (keyword or unquoted
// identifier, lower-cased), a quoted identifier (as written, quotes off), a
// string or a single punctuation character.
type token struct {
	text   string
	quoted bool // a "quoted identifier"
	str    bool // a 'string' or $$dollar$$ string
}

// lex splits a statement into tokens, comments dropped.
func lex(sql string) []token {
	var out []token
	i := 0
	for i < len(sql) {
		c := sql[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case strings.HasPrefix(sql[i:], "--"):
			end := strings.IndexByte(sql[i:], '\n')
			if end < 0 {
				return out
			}
			i += end
		case strings.HasPrefix(sql[i:], "/*"):
			end := strings.Index(sql[i+2:], "*/")
			if end < 0 {
				return out
			}
			i += end + 4
		case c == '"' || c == '\'':
			j := i + 1
			var b strings.Builder
			for j < len(sql) {
				if sql[j] == c {
					if j+1 < len(sql) && sql[j+1] == c {
						b.WriteByte(c)
						j += 2
						continue
					}
					break
				}
				b.WriteByte(sql[j])
				j++
			}
			out = append(out, token{text: b.String(), quoted: c == '"', str: c == '\''})
			i = j + 1
		case c == '$':
			if tag, ok := dollarTag(sql[i:]); ok {
				end := strings.Index(sql[i+len(tag):], tag)
				if end < 0 {
					end = len(sql) - i - len(tag)
				}
				out = append(out, token{text: sql[i+len(tag) : min(i+len(tag)+end, len(sql))], str: true})
				i = min(i+2*len(tag)+end, len(sql))
				continue
			}
			out = append(out, token{text: "$"})
			i++
		case isWord(c):
			j := i
			for j < len(sql) && (isWord(sql[j]) || sql[j] == '$') {
				j++
			}
			out = append(out, token{text: strings.ToLower(sql[i:j])})
			i = j
		default:
			out = append(out, token{text: string(c)})
			i++
		}
	}
	return out
}

func isWord(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// is reports whether t is the keyword kw (never a quoted identifier).
func (t token) is(kw string) bool { return !t.quoted && !t.str && t.text == kw }

// tokens is a cursor over a statement's tokens.
type tokens struct {
	ts []token
	i  int
}

func (p *tokens) peek() token {
	if p.i < len(p.ts) {
		return p.ts[p.i]
	}
	return token{}
}

// accept reports whether the next tokens are the keywords kws, in order,
// and consumes them when they are.
func (p *tokens) accept(kws ...string) bool {
	for k, kw := range kws {
		if p.i+k >= len(p.ts) || !p.ts[p.i+k].is(kw) {
			return false
		}
	}
	p.i += len(kws)
	return true
}

func (p *tokens) done() bool { return p.i >= len(p.ts) }

// name reads a possibly schema-qualified name: schema.table, "Quoted".x.
func (p *tokens) name() string {
	var parts []string
	for !p.done() {
		t := p.peek()
		if t.str || (!t.quoted && !isWord(t.text[0])) {
			break
		}
		parts = append(parts, quoteIfNeeded(t))
		p.i++
		if !p.peek().is(".") && p.peek().text != "." {
			break
		}
		p.i++
	}
	return strings.Join(parts, ".")
}

// quoteIfNeeded writes a name as PostgreSQL would print it: a quoted name
// that is not all lower case keeps its quotes.
func quoteIfNeeded(t token) string {
	if t.quoted && t.text != strings.ToLower(t.text) {
		return `"` + strings.ReplaceAll(t.text, `"`, `""`) + `"`
	}
	return t.text
}

// skipGroup skips a parenthesised group starting at the cursor.
func (p *tokens) skipGroup() {
	depth := 0
	for !p.done() {
		t := p.ts[p.i]
		p.i++
		switch {
		case t.text == "(" && !t.str && !t.quoted:
			depth++
		case t.text == ")" && !t.str && !t.quoted:
			depth--
		}
		if depth <= 0 {
			return
		}
	}
}

// clauses splits the rest at top-level commas (ALTER TABLE's actions).
func (p *tokens) clauses() [][]token {
	var out [][]token
	depth, start := 0, p.i
	for j := p.i; j < len(p.ts); j++ {
		t := p.ts[j]
		if t.str || t.quoted {
			continue
		}
		switch t.text {
		case "(":
			depth++
		case ")":
			depth--
		case ",":
			if depth == 0 {
				out = append(out, p.ts[start:j])
				start = j + 1
			}
		}
	}
	out = append(out, p.ts[start:])
	p.i = len(p.ts)
	return out
}

// has reports whether the keyword kw appears among ts.
func has(ts []token, kw string) bool {
	for _, t := range ts {
		if t.is(kw) {
			return true
		}
	}
	return false
}

// hasSeq reports whether the keywords appear in a row among ts.
func hasSeq(ts []token, kws ...string) bool {
	for i := range ts {
		if i+len(kws) > len(ts) {
			return false
		}
		ok := true
		for k, kw := range kws {
			if !ts[i+k].is(kw) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}
