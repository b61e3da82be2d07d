package preflight

import (
	"fmt"
	"slices"
	"strings"
)

// Severity grades a finding.
type Severity int

const (
	// Note: worth knowing, harmless to live traffic.
	Note Severity = iota
	// Caution: a brief lock that blocks others, harmless unless it has to
	// wait (the live check says whether something would make it wait).
	Caution
	// Hazard: a lock held while the table is rewritten or scanned, for as
	// long as the table is large: the application stalls meanwhile.
	Hazard
)

func (s Severity) String() string { return [...]string{"note", "caution", "hazard"}[s] }

// Finding is one thing a statement does that matters to live traffic.
type Finding struct {
	// Rule names the rule; squawk's name where squawk has the rule.
	Rule     string
	Severity Severity
	Text     string
	// Safer is the safer form, "" when there is none.
	Safer string
}

// Lock is a table-level lock a statement takes on a table.
type Lock struct {
	Table string
	Mode  Mode
}

// Effect is what one statement does to the tables it touches.
type Effect struct {
	Locks    []Lock
	Rewrite  []string // tables rewritten (a new file: every row copied)
	Scan     []string // tables read whole while the lock is held
	Findings []Finding
	// Known is false when no rule knows the statement: its locks are not
	// judged (a rehearsal still reads them).
	Known bool
	// Concurrent statements cannot run inside a transaction (so cannot be
	// rehearsed in one).
	Concurrent bool
	// Creates are the tables the statement creates: locks on them harm no one.
	Creates []string
}

func (e *Effect) lock(table string, m Mode) {
	for i, l := range e.Locks {
		if l.Table == table {
			e.Locks[i].Mode = max(l.Mode, m)
			return
		}
	}
	e.Locks = append(e.Locks, Lock{table, m})
}

func (e *Effect) find(f Finding) {
	if !slices.ContainsFunc(e.Findings, func(g Finding) bool { return g.Rule == f.Rule && g.Text == f.Text }) {
		e.Findings = append(e.Findings, f)
	}
}

// Worst is the effect's most severe finding's severity.
func (e Effect) Worst() Severity {
	w := Note
	for _, f := range e.Findings {
		w = max(w, f.Severity)
	}
	return w
}

// volatile are functions PostgreSQL marks volatile that migrations put in
// column defaults: a default calling one is evaluated per row, so adding
// the column rewrites the table.
var volatile = []string{"random", "clock_timestamp", "timeofday", "gen_random_uuid", "uuid_generate_v1", "uuid_generate_v1mc",
	"uuid_generate_v4", "nextval", "setseed", "txid_current", "pg_current_xact_id"}

// Analyze judges one statement by PostgreSQL's documentation for the
// server's major version (15 for 15.4): the lock each command takes
// ("Explicit Locking", and each command's page), whether it rewrites or
// scans the table under that lock, and the safer form when there is one.
func Analyze(sql string, major int) Effect {
	p := &tokens{ts: lex(sql)}
	var e Effect
	switch {
	case p.accept("create", "unique", "index"), p.accept("create", "index"):
		createIndex(p, &e)
	case p.accept("drop", "index"):
		e.Known = true
		if p.accept("concurrently") {
			e.Concurrent = true
			return e
		}
		p.accept("if", "exists")
		name := p.name()
		e.find(Finding{Rule: "drop-index", Severity: Caution, Text: "DROP INDEX " + name + " takes an AccessExclusiveLock on its table",
			Safer: "DROP INDEX CONCURRENTLY " + name})
		e.Locks = append(e.Locks, Lock{Table: "index " + name, Mode: AccessExclusive})
	case p.accept("alter", "table"):
		alterTable(p, &e, major)
	case p.accept("create", "table"), p.accept("create", "unlogged", "table"), p.accept("create", "temporary", "table"), p.accept("create", "temp", "table"):
		e.Known = true
		p.accept("if", "not", "exists")
		e.Creates = append(e.Creates, p.name())
		references(p.ts[p.i:], &e)
	case p.accept("drop", "table"):
		e.Known = true
		p.accept("if", "exists")
		for !p.done() {
			if t := p.name(); t != "" {
				e.lock(t, AccessExclusive)
				e.find(Finding{Rule: "ban-drop-table", Severity: Caution, Text: "DROP TABLE " + t + " deletes its rows for good"})
			}
			if !p.accept(",") {
				break
			}
		}
	case p.accept("truncate"):
		e.Known = true
		p.accept("table")
		p.accept("only")
		for !p.done() {
			if t := p.name(); t != "" {
				e.lock(t, AccessExclusive)
			}
			if !p.accept(",") {
				break
			}
		}
		e.find(Finding{Rule: "truncate", Severity: Caution, Text: "TRUNCATE empties the table(s) under an AccessExclusiveLock"})
	case p.accept("update"):
		e.Known = true
		p.accept("only")
		t := p.name()
		e.lock(t, RowExclusive)
		if !has(p.ts, "where") {
			e.Scan = append(e.Scan, t)
			e.find(Finding{Rule: "update-every-row", Severity: Caution,
				Text:  "UPDATE " + t + " without WHERE rewrites every row in one transaction: writers of those rows wait until it commits",
				Safer: "backfill in batches (UPDATE … WHERE id BETWEEN …), each its own transaction"})
		}
	case p.accept("delete", "from"):
		e.Known = true
		p.accept("only")
		e.lock(p.name(), RowExclusive)
	case p.accept("insert", "into"):
		e.Known = true
		e.lock(p.name(), RowExclusive)
	case p.accept("create", "trigger"), p.accept("create", "or", "replace", "trigger"), p.accept("create", "constraint", "trigger"):
		e.Known = true
		for !p.done() && !p.peek().is("on") {
			p.i++
		}
		if p.accept("on") {
			e.lock(p.name(), ShareRowExclusive)
		}
	case p.accept("lock"):
		e.Known = true
		p.accept("table")
		p.accept("only")
		t := p.name()
		m := AccessExclusive
		if i := slices.IndexFunc(p.ts, func(t token) bool { return t.is("in") }); i >= 0 {
			m = lockModeWords(p.ts[i+1:])
		}
		e.lock(t, m)
	case p.accept("reindex"):
		e.Known = true
		if p.peek().text == "(" {
			p.skipGroup()
		}
		kind := p.peek().text
		p.i++
		if p.accept("concurrently") {
			e.Concurrent = true
			return e
		}
		if kind == "table" {
			t := p.name()
			e.lock(t, Share)
			e.Scan = append(e.Scan, t)
			e.find(Finding{Rule: "reindex", Severity: Hazard, Text: "REINDEX TABLE " + t + " blocks writes while every index is rebuilt",
				Safer: "REINDEX TABLE CONCURRENTLY " + t})
		}
	case p.accept("vacuum"), p.accept("analyze"), p.accept("create", "extension"), p.accept("create", "type"),
		p.accept("create", "sequence"), p.accept("create", "schema"), p.accept("create", "function"), p.accept("create", "or", "replace", "function"),
		p.accept("comment", "on"), p.accept("grant"), p.accept("revoke"), p.accept("set"), p.accept("alter", "type"),
		p.accept("alter", "sequence"), p.accept("create", "view"), p.accept("create", "or", "replace", "view"), p.accept("select"):
		e.Known = true // no table lock that holds anyone up for long
	}
	return e
}

// lockModeWords reads LOCK TABLE's "IN mode MODE".
func lockModeWords(ts []token) Mode {
	var words []string
	for _, t := range ts {
		if t.is("mode") {
			break
		}
		words = append(words, t.text)
	}
	switch strings.Join(words, " ") {
	case "access share":
		return AccessShare
	case "row share":
		return RowShare
	case "row exclusive":
		return RowExclusive
	case "share update exclusive":
		return ShareUpdateExclusive
	case "share":
		return Share
	case "share row exclusive":
		return ShareRowExclusive
	case "exclusive":
		return Exclusive
	}
	return AccessExclusive
}

// createIndex: CREATE INDEX takes a ShareLock (writes wait for the whole
// build); CONCURRENTLY a ShareUpdateExclusiveLock.
func createIndex(p *tokens, e *Effect) {
	e.Known = true
	if p.accept("concurrently") {
		e.Concurrent = true
		for !p.done() && !p.peek().is("on") {
			p.i++
		}
		if p.accept("on") {
			p.accept("only")
			e.lock(p.name(), ShareUpdateExclusive)
		}
		return
	}
	p.accept("if", "not", "exists")
	for !p.done() && !p.peek().is("on") {
		p.i++
	}
	if !p.accept("on") {
		return
	}
	p.accept("only")
	t := p.name()
	e.lock(t, Share)
	e.Scan = append(e.Scan, t)
	e.find(Finding{Rule: "require-concurrent-index-creation", Severity: Hazard,
		Text:  "CREATE INDEX on " + t + " takes a ShareLock: writes to " + t + " wait while the whole table is read to build it",
		Safer: "CREATE INDEX CONCURRENTLY (in Alembic: postgresql_concurrently=True inside op.get_context().autocommit_block())"})
}

// references locks each table a REFERENCES names: a foreign key takes a
// ShareRowExclusiveLock on the table it points to.
func references(ts []token, e *Effect) {
	for i, t := range ts {
		if t.is("references") && i+1 < len(ts) {
			q := &tokens{ts: ts, i: i + 1}
			if name := q.name(); name != "" {
				e.lock(name, ShareRowExclusive)
			}
		}
	}
}

// alterTable judges each action of an ALTER TABLE; the table's lock is the
// strongest any of them needs (ACCESS EXCLUSIVE unless the documentation
// says otherwise).
func alterTable(p *tokens, e *Effect, major int) {
	e.Known = true
	p.accept("if", "exists")
	p.accept("only")
	t := p.name()
	p.accept("*")
	for _, c := range p.clauses() {
		alterAction(t, c, e, major)
	}
}

func alterAction(t string, c []token, e *Effect, major int) {
	q := &tokens{ts: c}
	addColumn := q.accept("add", "column") || q.peek().is("add") && len(c) > 1 && !c[1].is("constraint") && !isConstraintStart(c[1]) && q.accept("add")
	dropColumn := q.accept("drop", "column") || q.peek().is("drop") && len(c) > 1 && !c[1].is("constraint") && q.accept("drop")
	switch {
	case addColumn:
		q.accept("if", "not", "exists")
		col := q.name()
		e.lock(t, AccessExclusive)
		rest := c[q.i:]
		def := defaultExpr(rest)
		switch {
		case hasSerialType(rest) || hasSeq(rest, "generated", "always", "as", "identity") || hasSeq(rest, "generated", "by", "default", "as", "identity"):
			e.Rewrite = append(e.Rewrite, t)
			e.find(Finding{Rule: "adding-field-with-default", Severity: Hazard,
				Text:  fmt.Sprintf("ADD COLUMN %s fills every row from a sequence: %s is rewritten under an AccessExclusiveLock", col, t),
				Safer: "add the column without a default, then backfill in batches"})
		case hasSeq(rest, "generated", "always", "as") && has(rest, "stored"):
			e.Rewrite = append(e.Rewrite, t)
			e.find(Finding{Rule: "adding-field-with-default", Severity: Hazard,
				Text: fmt.Sprintf("ADD COLUMN %s GENERATED … STORED computes every row: %s is rewritten under an AccessExclusiveLock", col, t)})
		case def != nil && (major > 0 && major < 11 || callsVolatile(def)):
			e.Rewrite = append(e.Rewrite, t)
			why := "a volatile default"
			if !callsVolatile(def) {
				why = fmt.Sprintf("a default (before PostgreSQL 11; this server is %d)", major)
			}
			e.find(Finding{Rule: "adding-field-with-default", Severity: Hazard,
				Text:  fmt.Sprintf("ADD COLUMN %s with %s: %s is rewritten under an AccessExclusiveLock, every read and write waits", col, why, t),
				Safer: "add the column without a default (or with a constant one), set the volatile default after, and backfill in batches"})
		default:
			e.find(Finding{Rule: "add-column", Severity: Caution, Text: fmt.Sprintf("ADD COLUMN %s: a brief AccessExclusiveLock on %s (no rewrite)", col, t)})
		}
		if has(rest, "references") {
			references(rest, e)
			e.Scan = append(e.Scan, t)
			e.find(Finding{Rule: "adding-foreign-key-constraint", Severity: Caution,
				Text:  "the new column's foreign key takes a ShareRowExclusiveLock on the referenced table",
				Safer: "add the column, then ADD CONSTRAINT … FOREIGN KEY … NOT VALID and VALIDATE CONSTRAINT"})
		}
		if hasSeq(rest, "unique") || hasSeq(rest, "primary", "key") {
			e.Scan = append(e.Scan, t)
			e.find(Finding{Rule: "disallowed-unique-constraint", Severity: Hazard,
				Text:  "the new column's unique index is built under the AccessExclusiveLock",
				Safer: "CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT … UNIQUE USING INDEX"})
		}
	case q.accept("add"):
		q.accept("constraint")
		if q.peek().text != "(" && !isConstraintStart(q.peek()) {
			q.name() // the constraint's name
		}
		addConstraint(t, c[q.i:], e)
	case q.accept("alter", "column"), q.accept("alter"):
		col := q.name()
		switch {
		case q.accept("type"), q.accept("set", "data", "type"):
			e.lock(t, AccessExclusive)
			e.Rewrite = append(e.Rewrite, t)
			text := fmt.Sprintf("ALTER COLUMN %s TYPE rewrites %s and its indexes under an AccessExclusiveLock", col, t)
			if target := q.peek().text; target == "text" || target == "varchar" || target == "character" {
				text = fmt.Sprintf("ALTER COLUMN %s TYPE %s: rewrites %s under an AccessExclusiveLock unless the change is binary-coercible (varchar(n) to text or a longer varchar)", col, target, t)
			}
			e.find(Finding{Rule: "changing-column-type", Severity: Hazard, Text: text,
				Safer: "add a new column, backfill it in batches, switch the application over, drop the old one"})
		case q.accept("set", "not", "null"):
			e.lock(t, AccessExclusive)
			e.Scan = append(e.Scan, t)
			e.find(Finding{Rule: "adding-not-nullable-field", Severity: Hazard,
				Text:  fmt.Sprintf("SET NOT NULL on %s.%s reads the whole table under an AccessExclusiveLock", t, col),
				Safer: "ADD CONSTRAINT … CHECK (" + col + " IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT, then SET NOT NULL (PostgreSQL 12+ skips the scan)"})
		case q.accept("set", "statistics"), q.accept("set", "("), q.accept("reset", "("):
			e.lock(t, ShareUpdateExclusive)
		default: // SET/DROP DEFAULT, DROP NOT NULL, SET STORAGE…
			e.lock(t, AccessExclusive)
			e.find(Finding{Rule: "alter-column", Severity: Caution, Text: fmt.Sprintf("ALTER COLUMN %s: a brief AccessExclusiveLock on %s", col, t)})
		}
	case q.accept("validate", "constraint"):
		e.lock(t, ShareUpdateExclusive)
		e.Scan = append(e.Scan, t)
		e.find(Finding{Rule: "validate-constraint", Severity: Note, Text: "VALIDATE CONSTRAINT reads " + t + " under a ShareUpdateExclusiveLock: reads and writes go on"})
	case dropColumn:
		e.lock(t, AccessExclusive)
		e.find(Finding{Rule: "ban-drop-column", Severity: Caution, Text: "DROP COLUMN: a brief AccessExclusiveLock on " + t + " (no rewrite); the application must no longer read the column"})
	case q.accept("drop", "constraint"):
		e.lock(t, AccessExclusive)
		e.find(Finding{Rule: "drop-constraint", Severity: Caution, Text: "DROP CONSTRAINT: a brief AccessExclusiveLock on " + t})
	case q.accept("rename"):
		e.lock(t, AccessExclusive)
		rule := "renaming-table"
		if q.accept("column") || (!q.peek().is("to") && !q.peek().is("constraint")) {
			rule = "renaming-column"
		}
		e.find(Finding{Rule: rule, Severity: Caution, Text: "RENAME: a brief AccessExclusiveLock on " + t + "; the running application still uses the old name"})
	case q.accept("enable"), q.accept("disable"):
		e.lock(t, ShareRowExclusive)
	case q.accept("set", "("), q.accept("reset", "("), q.accept("cluster", "on"), q.accept("set", "without", "cluster"),
		q.accept("set", "statistics"):
		e.lock(t, ShareUpdateExclusive)
	default:
		e.lock(t, AccessExclusive)
	}
}

// addConstraint: a foreign key takes ShareRowExclusiveLock on both tables
// and, unless NOT VALID, reads the whole table while holding them; a CHECK
// takes AccessExclusiveLock and reads the table unless NOT VALID; UNIQUE and
// PRIMARY KEY build an index under AccessExclusiveLock unless USING INDEX.
func addConstraint(t string, c []token, e *Effect) {
	notValid := hasSeq(c, "not", "valid")
	switch {
	case hasSeq(c, "foreign", "key"):
		e.lock(t, ShareRowExclusive)
		references(c, e)
		if notValid {
			e.find(Finding{Rule: "add-foreign-key-not-valid", Severity: Caution, Text: "ADD FOREIGN KEY … NOT VALID: brief ShareRowExclusiveLocks, no scan"})
			return
		}
		e.Scan = append(e.Scan, t)
		e.find(Finding{Rule: "adding-foreign-key-constraint", Severity: Hazard,
			Text:  "ADD FOREIGN KEY on " + t + " reads the whole table under ShareRowExclusiveLocks on it and the referenced table: writes to both wait",
			Safer: "ADD CONSTRAINT … FOREIGN KEY … NOT VALID, then ALTER TABLE … VALIDATE CONSTRAINT (a ShareUpdateExclusiveLock)"})
	case has(c, "check"):
		e.lock(t, AccessExclusive)
		if notValid {
			e.find(Finding{Rule: "add-check-not-valid", Severity: Caution, Text: "ADD CHECK … NOT VALID: a brief AccessExclusiveLock, no scan"})
			return
		}
		e.Scan = append(e.Scan, t)
		e.find(Finding{Rule: "constraint-missing-not-valid", Severity: Hazard,
			Text:  "ADD CHECK on " + t + " reads the whole table under an AccessExclusiveLock",
			Safer: "ADD CONSTRAINT … CHECK (…) NOT VALID, then VALIDATE CONSTRAINT"})
	case has(c, "unique") || hasSeq(c, "primary", "key") || has(c, "exclude"):
		e.lock(t, AccessExclusive)
		if hasSeq(c, "using", "index") {
			e.find(Finding{Rule: "add-constraint-using-index", Severity: Caution, Text: "ADD CONSTRAINT … USING INDEX: a brief AccessExclusiveLock on " + t})
			return
		}
		e.Scan = append(e.Scan, t)
		e.find(Finding{Rule: "disallowed-unique-constraint", Severity: Hazard,
			Text:  "ADD UNIQUE/PRIMARY KEY builds an index on " + t + " under an AccessExclusiveLock",
			Safer: "CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT … USING INDEX"})
	default:
		e.lock(t, AccessExclusive)
	}
}

// isConstraintStart: an ADD without COLUMN or CONSTRAINT that starts a
// table constraint.
func isConstraintStart(t token) bool {
	for _, kw := range []string{"check", "unique", "primary", "foreign", "exclude"} {
		if t.is(kw) {
			return true
		}
	}
	return false
}

// defaultExpr is the tokens of a column definition's DEFAULT expression.
func defaultExpr(ts []token) []token {
	for i, t := range ts {
		if t.is("default") {
			end := len(ts)
			for j := i + 1; j < len(ts); j++ {
				if ts[j].is("not") || ts[j].is("null") || ts[j].is("constraint") || ts[j].is("references") ||
					ts[j].is("check") || ts[j].is("unique") || ts[j].is("primary") || ts[j].is("collate") {
					end = j
					break
				}
			}
			return ts[i+1 : end]
		}
	}
	return nil
}

// callsVolatile reports whether an expression calls a volatile function.
func callsVolatile(ts []token) bool {
	for i, t := range ts {
		if !t.quoted && !t.str && slices.Contains(volatile, t.text) && i+1 < len(ts) && ts[i+1].text == "(" {
			return true
		}
	}
	return false
}

// hasSerialType: serial columns default to nextval, filling every row.
func hasSerialType(ts []token) bool {
	return len(ts) > 0 && slices.Contains([]string{"serial", "bigserial", "smallserial", "serial4", "serial8", "serial2"}, ts[0].text)
}
