package preflight

import (
	"strings"
)

// Statement is one SQL statement of a rendered migration.
type Statement struct {
	SQL string
	// Revision is the revision whose upgrade emitted it ("" before the first).
	Revision string
	// Bookkeeping marks Alembic's own statements (its version table, the
	// transaction around the run): shown, never judged.
	Bookkeeping bool
}

// Split cuts SQL (Alembic's offline output, pg_dump's) into statements
// where the server would: at a semicolon outside quotes, dollar quotes,
// comments and parentheses (CREATE RULE's actions), and outside the BEGIN
// ATOMIC … END body of a CREATE FUNCTION or PROCEDURE, which psql finds
// the same way. It reads the revision from the "-- Running upgrade a -> b"
// comments. A statement's text drops -- comments and the comments before
// it; one holding only comments is none, as for the server.
func Split(sql string) []Statement {
	var (
		out      []Statement
		cur      strings.Builder
		revision string
		depth    splitDepth
	)
	flush := func() {
		if text := strings.TrimSpace(cur.String()); text != "" {
			out = append(out, Statement{SQL: text, Revision: revision, Bookkeeping: bookkeeping(text)})
		}
		cur.Reset()
		depth = splitDepth{}
	}
	for i := 0; i < len(sql); {
		k, end := next(sql, i)
		tok := sql[i:end]
		i = end
		switch {
		case k == kLineComment:
			if rev, ok := runningUpgrade(tok); ok && cur.Len() == 0 {
				revision = rev
			}
		case k == kSpace || k == kBlockComment:
			if cur.Len() > 0 {
				cur.WriteString(tok)
			}
		case k == kPunct && tok == ";" && depth.parens == 0 && depth.atomic == 0:
			flush()
		default:
			cur.WriteString(tok)
			depth.see(k, tok)
		}
	}
	flush()
	return out
}

// splitDepth is what a semicolon may be inside of: parentheses, and the
// BEGIN ATOMIC body of a routine, found by psql's heuristic (the statement
// starts CREATE [OR REPLACE] FUNCTION|PROCEDURE; then, outside parentheses,
// BEGIN opens, CASE opens inside a body, END closes).
type splitDepth struct {
	parens, atomic int
	words          []string // the statement's first four words
}

func (d *splitDepth) see(k kind, tok string) {
	switch {
	case k == kPunct && tok == "(":
		d.parens++
	case k == kPunct && tok == ")" && d.parens > 0:
		d.parens--
	case k == kWord:
		w := asciiLower(tok)
		if len(d.words) < 4 {
			d.words = append(d.words, w)
		}
		if !d.routine() || d.parens > 0 {
			return
		}
		switch {
		case w == "begin", w == "case" && d.atomic > 0:
			d.atomic++
		case w == "end" && d.atomic > 0:
			d.atomic--
		}
	}
}

// routine reports whether the statement creates a function or procedure.
func (d *splitDepth) routine() bool {
	w := append(d.words[:len(d.words):len(d.words)], "", "", "", "")
	isRoutine := func(s string) bool { return s == "function" || s == "procedure" }
	return w[0] == "create" && (isRoutine(w[1]) || w[1] == "or" && w[2] == "replace" && isRoutine(w[3]))
}

// runningUpgrade reads Alembic's "-- Running upgrade a -> b" comment.
func runningUpgrade(comment string) (string, bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(strings.TrimPrefix(comment, "--")), "Running upgrade")
	if !ok {
		return "", false
	}
	_, to, ok := strings.Cut(rest, "->")
	return strings.TrimSpace(to), ok
}

// bookkeeping reports Alembic's own statements: the transaction around the
// run and its version table.
func bookkeeping(sql string) bool {
	up := strings.ToUpper(strings.Join(strings.Fields(sql), " "))
	switch up {
	case "BEGIN", "COMMIT", "START TRANSACTION":
		return true
	}
	return strings.Contains(up, "ALEMBIC_VERSION")
}

// asciiLower lowers ASCII letters only, as the server folds an unquoted
// identifier in a multibyte encoding.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
