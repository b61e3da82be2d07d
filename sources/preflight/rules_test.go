package preflight

import (
	"slices"
	"strings"
	"testing"
)

func TestSplitFollowsQuotesAndRevisions(t *testing.T) {
	sql := `BEGIN;

CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL);

-- Running upgrade  -> a1

CREATE TABLE "odd;name" (note text DEFAULT 'a;b', body text DEFAULT $x$ ; $x$);

/* a ; comment */ CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;

INSERT INTO alembic_version (version_num) VALUES ('a1') RETURNING alembic_version.version_num;

-- Running upgrade a1 -> b2

ALTER TABLE users ADD COLUMN x int;

COMMIT;
`
	got := Split(sql)
	var texts, revs []string
	var book []bool
	for _, s := range got {
		texts = append(texts, s.SQL)
		revs = append(revs, s.Revision)
		book = append(book, s.Bookkeeping)
	}
	if len(got) != 7 {
		t.Fatalf("%d statements: %q", len(got), texts)
	}
	if !strings.Contains(texts[2], `'a;b'`) || !strings.Contains(texts[2], "$x$ ; $x$") || !strings.Contains(texts[3], "SELECT 1; $$") {
		t.Errorf("quotes cut: %q", texts)
	}
	if !slices.Equal(revs, []string{"", "", "a1", "a1", "a1", "b2", "b2"}) {
		t.Errorf("revisions %q", revs)
	}
	if !slices.Equal(book, []bool{true, true, false, false, true, false, true}) {
		t.Errorf("bookkeeping %v", book)
	}
}

func TestAnalyze(t *testing.T) {
	cases := []struct {
		sql      string
		major    int
		locks    string // table:mode,...
		rewrite  bool
		scan     bool
		severity Severity
		rule     string
	}{
		{"ALTER TABLE accounts ADD COLUMN token uuid DEFAULT gen_random_uuid()", 15, "accounts:AccessExclusiveLock", true, false, Hazard, "adding-field-with-default"},
		{"alter table accounts add column created timestamptz not null default now()", 15, "accounts:AccessExclusiveLock", false, false, Caution, "add-column"},
		{"ALTER TABLE accounts ADD COLUMN n int DEFAULT 0", 10, "accounts:AccessExclusiveLock", true, false, Hazard, "adding-field-with-default"},
		{"ALTER TABLE accounts ADD COLUMN seq bigserial", 15, "accounts:AccessExclusiveLock", true, false, Hazard, "adding-field-with-default"},
		{"ALTER TABLE accounts ADD COLUMN owner int REFERENCES users (id)", 15, "accounts:AccessExclusiveLock,users:ShareRowExclusiveLock", false, true, Caution, "adding-foreign-key-constraint"},
		{"CREATE INDEX ix ON public.accounts (email)", 15, "public.accounts:ShareLock", false, true, Hazard, "require-concurrent-index-creation"},
		{"CREATE UNIQUE INDEX IF NOT EXISTS ix ON ONLY accounts USING btree (email)", 15, "accounts:ShareLock", false, true, Hazard, "require-concurrent-index-creation"},
		{"CREATE INDEX CONCURRENTLY ix ON accounts (email)", 15, "accounts:ShareUpdateExclusiveLock", false, false, Note, ""},
		{"ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES accounts (id) NOT VALID", 15, "accounts:ShareRowExclusiveLock,orders:ShareRowExclusiveLock", false, false, Caution, "add-foreign-key-not-valid"},
		{"ALTER TABLE orders VALIDATE CONSTRAINT fk", 15, "orders:ShareUpdateExclusiveLock", false, true, Note, "validate-constraint"},
		{"ALTER TABLE orders ADD CONSTRAINT ck CHECK (amount > 0)", 15, "orders:AccessExclusiveLock", false, true, Hazard, "constraint-missing-not-valid"},
		{"ALTER TABLE orders ADD CONSTRAINT uq UNIQUE (amount)", 15, "orders:AccessExclusiveLock", false, true, Hazard, "disallowed-unique-constraint"},
		{"ALTER TABLE orders ADD CONSTRAINT uq UNIQUE USING INDEX ix", 15, "orders:AccessExclusiveLock", false, false, Caution, "add-constraint-using-index"},
		{"ALTER TABLE orders ALTER COLUMN amount SET NOT NULL", 15, "orders:AccessExclusiveLock", false, true, Hazard, "adding-not-nullable-field"},
		{"ALTER TABLE orders ALTER amount TYPE bigint USING amount::bigint", 15, "orders:AccessExclusiveLock", true, false, Hazard, "changing-column-type"},
		{"ALTER TABLE orders ALTER COLUMN amount SET STATISTICS 500", 15, "orders:ShareUpdateExclusiveLock", false, false, Note, ""},
		{`ALTER TABLE "Orders" DROP COLUMN legacy, RENAME TO orders_old`, 15, `"Orders":AccessExclusiveLock`, false, false, Caution, "ban-drop-column"},
		{"ALTER TABLE orders DROP CONSTRAINT fk", 15, "orders:AccessExclusiveLock", false, false, Caution, "drop-constraint"},
		{"CREATE TABLE items (id int, order_id int REFERENCES orders (id))", 15, "orders:ShareRowExclusiveLock", false, false, Note, ""},
		{"UPDATE accounts SET balance = 0", 15, "accounts:RowExclusiveLock", false, true, Caution, "update-every-row"},
		{"UPDATE accounts SET balance = 0 WHERE id < 100", 15, "accounts:RowExclusiveLock", false, false, Note, ""},
		{"LOCK TABLE accounts IN SHARE ROW EXCLUSIVE MODE", 15, "accounts:ShareRowExclusiveLock", false, false, Note, ""},
		{"CREATE TRIGGER t BEFORE UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION f()", 15, "accounts:ShareRowExclusiveLock", false, false, Note, ""},
		{"CREATE EXTENSION IF NOT EXISTS vector", 15, "", false, false, Note, ""},
	}
	for _, c := range cases {
		e := Analyze(c.sql, c.major)
		var locks []string
		for _, l := range e.Locks {
			locks = append(locks, l.Table+":"+l.Mode.String())
		}
		slices.Sort(locks)
		if got := strings.Join(locks, ","); got != c.locks {
			t.Errorf("%s: locks %s, want %s", c.sql, got, c.locks)
		}
		if (len(e.Rewrite) > 0) != c.rewrite || (len(e.Scan) > 0) != c.scan {
			t.Errorf("%s: rewrite %v scan %v", c.sql, e.Rewrite, e.Scan)
		}
		if e.Worst() != c.severity || !e.Known {
			t.Errorf("%s: severity %v known %v, want %v", c.sql, e.Worst(), e.Known, c.severity)
		}
		if c.rule != "" && !slices.ContainsFunc(e.Findings, func(f Finding) bool { return f.Rule == c.rule }) {
			t.Errorf("%s: findings %+v, want rule %s", c.sql, e.Findings, c.rule)
		}
	}
	if e := Analyze("DO $$ BEGIN PERFORM 1; END $$", 15); e.Known {
		t.Errorf("an unknown statement must say so: %+v", e)
	}
}

func TestConflicts(t *testing.T) {
	// The documentation's table, row by row: how many modes each conflicts with.
	want := map[Mode]int{AccessShare: 1, RowShare: 2, RowExclusive: 4, ShareUpdateExclusive: 5, Share: 5, ShareRowExclusive: 6, Exclusive: 7, AccessExclusive: 8}
	for a := AccessShare; a <= AccessExclusive; a++ {
		n := 0
		for b := AccessShare; b <= AccessExclusive; b++ {
			if Conflicts(a, b) {
				n++
			}
			if Conflicts(a, b) != Conflicts(b, a) {
				t.Errorf("%v/%v not symmetric", a, b)
			}
		}
		if n != want[a] {
			t.Errorf("%v conflicts with %d modes, want %d", a, n, want[a])
		}
	}
	if Conflicts(Share, Share) || !Conflicts(Share, RowExclusive) || ParseMode("ShareLock") != Share {
		t.Error("share locks")
	}
}

func FuzzAnalyze(f *testing.F) {
	for _, s := range []string{"ALTER TABLE a ADD COLUMN b int DEFAULT random()", "CREATE INDEX ON", `ALTER TABLE "`, "$a$", "ALTER TABLE t ADD", "LOCK", "ALTER TABLE x ALTER"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		_ = Analyze(sql, 15)
		_ = Split(sql)
	})
}

// TestNewTablesAreHarmless: what a migration does to a table it created
// itself is a note; the same on an existing table stays a hazard.
func TestNewTablesAreHarmless(t *testing.T) {
	v := Verdict{}
	for _, sql := range []string{"CREATE TABLE notes (id int, body text)", "CREATE INDEX ix_body ON notes (body)", "CREATE INDEX ix_email ON users (email)"} {
		v.Statements = append(v.Statements, Judged{Statement: Statement{SQL: sql}, Effect: Analyze(sql, 15)})
	}
	v.newTables()
	for i := range v.Statements {
		v.Statements[i].judge()
	}
	if s := v.Statements[1].Severity; s != Note {
		t.Errorf("an index on a table just created: %v", s)
	}
	if s := v.Statements[2].Severity; s != Hazard {
		t.Errorf("an index on an existing table: %v", s)
	}
	if got := v.touched(); len(got) != 1 || got[0] != "users" {
		t.Errorf("touched %v, want users alone", got)
	}
}
