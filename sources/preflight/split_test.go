package preflight

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
)

// splitCases are texts where a splitter that does not follow the server's
// lexer cuts in the wrong place, with the statements the server runs.
// setup (run first, in the same rolled-back transaction) makes what the
// statements need on the server.
var splitCases = []struct {
	name, sql string
	want      []string
	setup     string
}{
	{name: "escaped quote in an E string", sql: `SELECT E'\''; SELECT 2`, want: []string{`SELECT E'\''`, "SELECT 2"}},
	{name: "lower-case e, escaped backslash", sql: `SELECT e'\\'; SELECT e'\\\';'; SELECT 3`, want: []string{`SELECT e'\\'`, `SELECT e'\\\';'`, "SELECT 3"}},
	{name: "E string continued on the next line", sql: "SELECT E'a'\n'\\''; SELECT 2", want: []string{"SELECT E'a'\n'\\''", "SELECT 2"}},
	{name: "E string continued past a comment", sql: "SELECT E'a' -- note\n'\\';'; SELECT 2", want: []string{"SELECT E'a' -- note\n'\\';'", "SELECT 2"}},
	{name: "identifier holding $", sql: "SELECT 1 AS a$b$; SELECT 2", want: []string{"SELECT 1 AS a$b$", "SELECT 2"}},
	{name: "identifier holding $$", sql: "SELECT a$$b$$ FROM (SELECT 1 AS a$$b$$) s; SELECT 2", want: []string{"SELECT a$$b$$ FROM (SELECT 1 AS a$$b$$) s", "SELECT 2"}},
	{name: "parameter", sql: "PREPARE opsdeck_p(int) AS SELECT $1; DEALLOCATE opsdeck_p", want: []string{"PREPARE opsdeck_p(int) AS SELECT $1", "DEALLOCATE opsdeck_p"}},
	{name: "non-ASCII dollar tag", sql: "SELECT $é$;$é$; SELECT 2", want: []string{"SELECT $é$;$é$", "SELECT 2"}},
	{name: "dollar quote after an operator", sql: "SELECT 'a'||$x$;$x$; SELECT 2", want: []string{"SELECT 'a'||$x$;$x$", "SELECT 2"}},
	{name: "nested block comments", sql: "SELECT 1 /* a /* b */ ; */; SELECT 2", want: []string{"SELECT 1 /* a /* b */ ; */", "SELECT 2"}},
	{name: "comment inside an operator", sql: "SELECT 4*/*;*/5; SELECT 2", want: []string{"SELECT 4*/*;*/5", "SELECT 2"}},
	{name: "a line comment ends at a carriage return", sql: "SELECT 1 --c\r; SELECT 2", want: []string{"SELECT 1", "SELECT 2"}},
	{name: "a statement of comments alone is none", sql: "/* only ; a comment */; -- and this;\n SELECT 1", want: []string{"SELECT 1"}},
	{name: "U& string", sql: `SELECT U&'\0041;'; SELECT U&'!0041;' UESCAPE '!'`, want: []string{`SELECT U&'\0041;'`, `SELECT U&'!0041;' UESCAPE '!'`}},
	{name: "backslash in a plain string", sql: `SELECT 'C:\'; SELECT 2`, want: []string{`SELECT 'C:\'`, "SELECT 2"}},
	{name: "quoted identifier holding ;", sql: `SELECT 1 AS "a;b", 2 AS U&"c;d"; SELECT 2`, want: []string{`SELECT 1 AS "a;b", 2 AS U&"c;d"`, "SELECT 2"}},
	{name: "a rule's actions", setup: "CREATE TABLE opsdeck_t (x int)",
		sql:  "CREATE RULE r AS ON INSERT TO opsdeck_t DO ALSO (SELECT 1; SELECT 2); SELECT 3",
		want: []string{"CREATE RULE r AS ON INSERT TO opsdeck_t DO ALSO (SELECT 1; SELECT 2)", "SELECT 3"}},
	{name: "a BEGIN ATOMIC body",
		sql: "CREATE FUNCTION opsdeck_f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END; SELECT 3",
		want: []string{"CREATE FUNCTION opsdeck_f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END",
			"SELECT 3"}},
	{name: "a transaction is not a body", sql: "BEGIN; SELECT 1; END", want: []string{"BEGIN", "SELECT 1", "END"}},
}

func TestSplitAgreesWithTheServersLexer(t *testing.T) {
	for _, c := range splitCases {
		var got []string
		for _, s := range Split(c.sql) {
			got = append(got, s.SQL)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: %q\n got %q\nwant %q", c.name, c.sql, got, c.want)
		}
	}
}

// TestTypeChangesAfterTrickyLiteralsAreHazards: the lock rules see an ALTER
// COLUMN … TYPE that follows an escape string or an identifier holding $,
// in its own statement (Split) or in the same one (lex).
func TestTypeChangesAfterTrickyLiteralsAreHazards(t *testing.T) {
	for _, sql := range []string{
		"SELECT E'\\'';\nALTER TABLE orders ALTER COLUMN amount TYPE bigint;",
		"SELECT 1 AS a$b$;\nALTER TABLE orders ALTER COLUMN amount TYPE bigint;",
		"SELECT 1 /* /* */ ; */;\nALTER TABLE orders ALTER COLUMN amount TYPE bigint;",
	} {
		hazard := false
		for _, s := range Split(sql) {
			e := Analyze(s.SQL, 15)
			hazard = hazard || e.Worst() == Hazard && slices.ContainsFunc(e.Findings, func(f Finding) bool { return f.Rule == "changing-column-type" })
		}
		if !hazard {
			t.Errorf("%q: the type change is not a hazard (%d statements)", sql, len(Split(sql)))
		}
	}
	for _, sql := range []string{
		`ALTER TABLE orders ALTER COLUMN note SET DEFAULT E'it\'s', ALTER COLUMN amount TYPE bigint`,
		`ALTER TABLE orders ALTER COLUMN note SET DEFAULT E'a'` + "\n" + `'\'', ALTER COLUMN amount TYPE bigint`,
	} {
		if e := Analyze(sql, 15); e.Worst() != Hazard || !slices.ContainsFunc(e.Findings, func(f Finding) bool { return f.Rule == "changing-column-type" }) {
			t.Errorf("%q: %+v", sql, e.Findings)
		}
	}
}

// serverCount runs sql in a transaction that is rolled back and counts the
// statements the server ran: over the simple protocol, one result each.
func serverCount(ctx context.Context, conn *pgconn.PgConn, begin, setup, sql string) (int, error) {
	if _, err := conn.Exec(ctx, begin).ReadAll(); err != nil {
		return 0, err
	}
	defer func() { _, _ = conn.Exec(context.Background(), "ROLLBACK").ReadAll() }() // a failed transaction ends here too
	if setup != "" {
		if _, err := conn.Exec(ctx, setup).ReadAll(); err != nil {
			return 0, err
		}
	}
	res, err := conn.Exec(ctx, sql).ReadAll()
	return len(res), err
}

func connectForSplit(t testing.TB, pg *servers.Postgres) *pgconn.PgConn {
	cfg, err := pgconn.ParseConfig(pg.URL())
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["statement_timeout"] = "10000"
	conn, err := pgconn.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// TestSplitCasesOnTheServer holds the cases against PostgreSQL: the whole
// text runs as many statements as Split finds, and each of them alone is
// one statement.
func TestSplitCasesOnTheServer(t *testing.T) {
	t.Parallel()
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	conn := connectForSplit(t, pg)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, c := range splitCases {
		n, err := serverCount(ctx, conn, "BEGIN", c.setup, c.sql)
		if err != nil || n != len(c.want) {
			t.Errorf("%s: the server ran %d statement(s) (%v), want %d", c.name, n, err, len(c.want))
		}
		for _, s := range Split(c.sql) {
			if n, err := serverCount(ctx, conn, "BEGIN", c.setup, s.SQL); err != nil || n != 1 {
				t.Errorf("%s: %q alone is %d statement(s) (%v)", c.name, s.SQL, n, err)
			}
		}
	}
}

// piece is a valid SQL fragment and what Split keeps of it (-- comments
// dropped, the line end kept); kept "" is the fragment itself.
type piece struct{ sql, kept string }

func (p piece) keep() string { return cmpOr(p.kept, p.sql) }

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// exprPieces are expressions, each valid in a SELECT list.
var exprPieces = []piece{
	{sql: `E'\''`}, {sql: `e'\\'`}, {sql: `E'\\\';'`}, {sql: `E'a\';b'`}, {sql: "E'a'\n'\\''"},
	{sql: "E'x' -- c;\n  'y\\';z'"}, {sql: `'back\slash'`}, {sql: `'\'`}, {sql: `'it''s;'`}, {sql: `'a' || 'b;'`},
	{sql: `U&'\0041;'`}, {sql: `U&'!0041;' UESCAPE '!'`}, {sql: `N'n;'`}, {sql: `B'0101'`}, {sql: `X'1F'`},
	{sql: `$$;$$`}, {sql: `$a$ $$ ; $a$`}, {sql: "$é$;$é$"}, {sql: `$_1$;$_1$`}, {sql: `$a$$a$`},
	{sql: `(SELECT 1 AS a$b$)`}, {sql: `(SELECT 2 AS "x;y")`}, {sql: `(SELECT 3 AS U&"\0061;")`}, {sql: `(SELECT 4 AS é$$)`},
	{sql: `/* a; /* nested; */ still; */ 5`}, {sql: `/**/6`}, {sql: `/*/ x; */7`},
	{sql: "8 -- c;\n", kept: "8 \n"}, {sql: "9 --c;\r", kept: "9 \r"}, {sql: `4*/*c;*/5`},
	{sql: `CASE WHEN true THEN 'end;' END`}, {sql: `ARRAY[1,2]`}, {sql: `1::int`}, {sql: `(1)`}, {sql: `'a'||$x$;$x$`},
	{sql: `10.5e3`}, {sql: `(SELECT 1 AS "q""t;")`},
}

// aliases are column names.
var aliases = []string{`a$b$`, `"x;y"`, `U&"d\0061t;"`, `é$$`, `_$`, `x1$`, `"""; """`}

// bodies are DO blocks' bodies.
var bodies = []string{`$$BEGIN PERFORM 1; END$$`, `$f$ BEGIN PERFORM 'x;'; END $f$`, `LANGUAGE plpgsql $_$ BEGIN PERFORM $$;$$; END $_$`}

// separators end a statement; the last one may end the text.
var separators = []string{";", ";\n", "; -- c;\n", ";/* c; */", ";;", " ;\n\n", ";\r\n", "; /* a /* b; */ c; */ "}

// bytePicker turns fuzz input into choices; past its end every choice is 0.
type bytePicker struct {
	in []byte
	i  int
}

func (b *bytePicker) pick(n int) int {
	if b.i >= len(b.in) {
		return 0
	}
	b.i++
	return int(b.in[b.i-1]) % n
}

// generate builds a text of statements from the pieces, and the
// statements Split must find in it.
func generate(in []byte) (string, []string) {
	p := &bytePicker{in: in}
	var text strings.Builder
	var want []string
	for n := 1 + p.pick(4); n > 0; n-- {
		sql, kept := statement(p)
		text.WriteString(sql)
		want = append(want, strings.TrimSpace(kept))
		if sep := separators[p.pick(len(separators))]; n > 1 || p.pick(2) == 1 {
			text.WriteString(sep)
		}
	}
	return text.String(), want
}

// statement is one generated statement and what Split keeps of it.
func statement(p *bytePicker) (sql, kept string) {
	expr := func() piece { return exprPieces[p.pick(len(exprPieces))] }
	switch p.pick(6) {
	case 0:
		var s, k []string
		for n := 1 + p.pick(3); n > 0; n-- {
			e := expr()
			a := ""
			if p.pick(2) == 1 {
				a = " AS " + aliases[p.pick(len(aliases))]
			}
			s, k = append(s, e.sql+a), append(k, e.keep()+a)
		}
		return "SELECT " + strings.Join(s, ", "), "SELECT " + strings.Join(k, ", ")
	case 1:
		e := expr()
		return "VALUES (" + e.sql + ")", "VALUES (" + e.keep() + ")"
	case 2:
		e, a := expr(), aliases[p.pick(len(aliases))]
		return "SELECT * FROM (SELECT " + e.sql + " AS " + a + ") AS " + a, "SELECT * FROM (SELECT " + e.keep() + " AS " + a + ") AS " + a
	case 3:
		b := bodies[p.pick(len(bodies))]
		return "DO " + b, "DO " + b
	case 4:
		v := []string{`E'\';'`, `'a;\'`, `$$;$$`, `'x'`}[p.pick(4)]
		return "SET LOCAL application_name = " + v, "SET LOCAL application_name = " + v
	}
	e := expr()
	return "(SELECT " + e.sql + ")", "(SELECT " + e.keep() + ")"
}

// FuzzSplit holds Split against PostgreSQL on statements built from tricky
// pieces: Split finds the generator's statements, the server runs as many
// for the whole text (in a read-only transaction), and each one Split
// found is one statement to the server.
func FuzzSplit(f *testing.F) {
	pg := sandboxtest.NewPostgres(f, servers.PostgresOptions{})
	conn := connectForSplit(f, pg)
	for i := range exprPieces {
		f.Add([]byte{0, 0, 0, byte(i), 0, 1, 1})
		f.Add([]byte{1, 0, 2, byte(i), 1, 1, byte(i + 1), 0, byte(i + 2), byte(i), 2, byte(i), byte(i)})
	}
	for i := range separators {
		f.Add([]byte{3, 3, byte(i % 3), byte(i), 4, byte(i % 4), byte(i), 5, byte(i), byte(i), 2, byte(i), byte(i), byte(i), 1})
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		text, want := generate(in)
		var got []string
		for _, s := range Split(text) {
			got = append(got, s.SQL)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%q\n got %q\nwant %q", text, got, want)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if n, err := serverCount(ctx, conn, "BEGIN READ ONLY", "", text); err != nil || n != len(want) {
			t.Fatalf("%q: the server ran %d statement(s) (%v), want %d", text, n, err, len(want))
		}
		for _, s := range got {
			if n, err := serverCount(ctx, conn, "BEGIN READ ONLY", "", s); err != nil || n != 1 {
				t.Fatalf("%q alone is %d statement(s) to the server (%v)", s, n, err)
			}
		}
	})
}
