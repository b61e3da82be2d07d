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

// lex splits a statement into tokens, comments dropped, with the same
// scanner as Split: the rules see the statement the server sees.
func lex(sql string) []token {
	var out []token
	for i := 0; i < len(sql); {
		k, end := next(sql, i)
		t := sql[i:end]
		i = end
		switch k {
		case kSpace, kLineComment, kBlockComment:
		case kString:
			out = append(out, token{text: quotedBody(t, '\''), str: true})
		case kDollar:
			tag := dollarTag(t)
			out = append(out, token{text: strings.TrimSuffix(t[len(tag):], tag), str: true})
		case kQuoted:
			out = append(out, token{text: strings.ReplaceAll(quotedBody(t, '"'), `""`, `"`), quoted: true})
		case kWord, kNumber, kParam:
			out = append(out, token{text: asciiLower(t)})
		default:
			out = append(out, token{text: t})
		}
	}
	return out
}

// quotedBody is what lies between a quoted token's first quote q (after
// any prefix) and its closing one, as written.
func quotedBody(t string, q byte) string {
	body := t[strings.IndexByte(t, q)+1:]
	if len(body) > 0 && body[len(body)-1] == q {
		body = body[:len(body)-1]
	}
	return body
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
