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

// Split cuts Alembic's offline SQL into statements. It follows quotes,
// dollar quotes and comments, so a semicolon inside them ends nothing, and
// reads the revision from the "-- Running upgrade a -> b" comments.
func Split(sql string) []Statement {
	var (
		out      []Statement
		cur      strings.Builder
		revision string
	)
	flush := func() {
		text := strings.TrimSpace(cur.String())
		cur.Reset()
		if text == "" {
			return
		}
		out = append(out, Statement{SQL: text, Revision: revision, Bookkeeping: bookkeeping(text)})
	}
	i := 0
	for i < len(sql) {
		c := sql[i]
		switch {
		case c == '-' && strings.HasPrefix(sql[i:], "--"):
			end := strings.IndexByte(sql[i:], '\n')
			if end < 0 {
				end = len(sql) - i
			}
			comment := sql[i : i+end]
			if rev, ok := runningUpgrade(comment); ok && strings.TrimSpace(cur.String()) == "" {
				revision = rev
			}
			i += end
			continue
		case c == '/' && strings.HasPrefix(sql[i:], "/*"):
			end := strings.Index(sql[i+2:], "*/")
			if end < 0 {
				end = len(sql) - i - 4
			}
			cur.WriteString(sql[i : i+end+4])
			i += end + 4
			continue
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(sql) {
				if sql[j] == c {
					if j+1 < len(sql) && sql[j+1] == c { // doubled: an escaped quote
						j += 2
						continue
					}
					break
				}
				j++
			}
			cur.WriteString(sql[i:min(j+1, len(sql))])
			i = j + 1
			continue
		case c == '$':
			if tag, ok := dollarTag(sql[i:]); ok {
				end := strings.Index(sql[i+len(tag):], tag)
				if end < 0 {
					end = len(sql) - i - 2*len(tag)
				}
				stop := min(i+2*len(tag)+end, len(sql))
				cur.WriteString(sql[i:stop])
				i = stop
				continue
			}
		case c == ';':
			flush()
			i++
			continue
		}
		cur.WriteByte(c)
		i++
	}
	flush()
	return out
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

// dollarTag is the $tag$ opening a dollar-quoted string at the start of s.
func dollarTag(s string) (string, bool) {
	for j := 1; j < len(s); j++ {
		c := s[j]
		switch {
		case c == '$':
			return s[:j+1], true
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || j > 1 && c >= '0' && c <= '9':
		default:
			return "", false
		}
	}
	return "", false
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
