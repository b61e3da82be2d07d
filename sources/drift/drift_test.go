package drift

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/postgres"
)

const refSQL = `
CREATE EXTENSION pgcrypto;
CREATE EXTENSION citext;
CREATE TABLE users (
  id serial PRIMARY KEY,
  email citext NOT NULL,
  name text DEFAULT 'anonymous',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX ix_users_email ON users (email);
CREATE TABLE conversations (
  id serial PRIMARY KEY,
  user_id integer NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  title varchar(200),
  score real CHECK (score BETWEEN 0 AND 1)
);
CREATE INDEX ix_conversations_user ON conversations (user_id);
CREATE TABLE messages (id bigserial PRIMARY KEY, conversation_id integer NOT NULL, body text NOT NULL);
CREATE SEQUENCE invoice_numbers;
CREATE TABLE "order" (id integer PRIMARY KEY);
`

// The live database drifted from the reference in every way the comparison knows.
const liveSQL = `
CREATE EXTENSION pgcrypto;
CREATE EXTENSION hstore;
CREATE TABLE users (
  id serial PRIMARY KEY,
  email text,
  name text DEFAULT 'nobody',
  legacy_flag boolean
);
CREATE INDEX ix_users_email ON users (email);
CREATE INDEX ix_users_name ON users (name);
CREATE TABLE conversations (
  id serial PRIMARY KEY,
  user_id integer NOT NULL,
  title varchar(100),
  score real
);
CREATE TABLE scratch (id integer);
CREATE SEQUENCE old_numbers;
CREATE TABLE "order" (id integer CONSTRAINT order_pk PRIMARY KEY);
`

func kinds(ds []sources.Difference) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Kind+" "+d.Object)
	}
	sort.Strings(out)
	return out
}

// TestDiffAndReconcile: every kind of difference is found on real databases,
// and running the offered SQL on the live one leaves no difference.
func TestDiffAndReconcile(t *testing.T) {
	t.Parallel()
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	ctx := context.Background()
	must(t, pg.Exec(ctx, "CREATE DATABASE ref; CREATE DATABASE live"))
	for db, sql := range map[string]string{"ref": refSQL, "live": liveSQL} {
		must(t, execIn(ctx, pg, db, sql))
	}
	ref, live := client(t, pg.URLFor("ref")), client(t, pg.URLFor("live"))
	refSchema, err := ref.Schema(ctx)
	must(t, err)
	liveSchema, err := live.Schema(ctx)
	must(t, err)

	diffs := Diff(liveSchema, refSchema)
	want := []string{
		"column_default users.name",
		"column_extra users.legacy_flag",
		"column_missing users.created_at",
		"column_nullability users.email",
		"column_type conversations.title",
		"column_type users.email",
		"constraint_missing conversations.conversations_score_check",
		"constraint_missing conversations.conversations_user_id_fkey",
		"extension_extra hstore",
		"extension_missing citext",
		"index_changed ix_users_email",
		"index_extra ix_users_name",
		"index_missing ix_conversations_user",
		"sequence_extra old_numbers",
		"sequence_missing invoice_numbers",
		"sequence_missing messages_id_seq",
		"table_extra scratch",
		"table_missing messages",
	}
	if got := kinds(diffs); !slices.Equal(got, want) {
		t.Fatalf("differences:\n  got  %q\n  want %q", got, want)
	}
	for _, d := range diffs {
		drops := strings.Contains(d.SQL, "DROP ") || strings.Contains(d.SQL, " TYPE ")
		if d.Hazardous != drops {
			t.Errorf("%s %s: hazardous=%v for %q", d.Kind, d.Object, d.Hazardous, d.SQL)
		}
		if d.Detail == "" || d.SQL == "" {
			t.Errorf("%+v lacks detail or SQL", d)
		}
	}

	// The offered SQL, run in the order given, reconciles the two.
	var script strings.Builder
	for _, d := range diffs {
		script.WriteString(d.SQL + "\n")
	}
	must(t, execIn(ctx, pg, "live", script.String()))
	after, err := live.Schema(ctx)
	must(t, err)
	if rest := Diff(after, refSchema); len(rest) != 0 {
		t.Errorf("after running the offered SQL, differences remain: %q\nscript:\n%s", kinds(rest), script.String())
	}
}

// TestAgainstFileAndDatabase: a dump file and another environment's database
// are equal references; a broken file says so.
func TestAgainstFileAndDatabase(t *testing.T) {
	t.Parallel()
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	ctx := context.Background()
	must(t, pg.Exec(ctx, "CREATE DATABASE ref; CREATE DATABASE live"))
	must(t, execIn(ctx, pg, "ref", refSQL))
	must(t, execIn(ctx, pg, "live", refSQL+"ALTER TABLE messages ADD COLUMN extra text;"))
	ref, live := client(t, pg.URLFor("ref")), client(t, pg.URLFor("live"))
	s, err := ref.Schema(ctx)
	must(t, err)
	data, err := json.Marshal(s)
	must(t, err)
	path := filepath.Join(t.TempDir(), "schema.json")
	must(t, os.WriteFile(path, data, 0o644))
	for _, src := range []*Source{AgainstDatabase(live, ref, "staging"), AgainstFile(live, path)} {
		d := src.Compare(ctx, false)
		if d.Error != "" || len(d.Differences) != 1 || d.Differences[0].Kind != ColumnExtra || d.Differences[0].SQL != "ALTER TABLE messages DROP COLUMN extra;" {
			t.Errorf("%s: %+v", src.Reference(), d)
		}
	}
	must(t, os.WriteFile(path, []byte("<html>"), 0o644))
	if d := AgainstFile(live, path).Compare(ctx, false); !strings.Contains(d.Error, "is not a schema dump") {
		t.Errorf("broken file: %+v", d)
	}
}

func client(t *testing.T, url string) *postgres.Client { return clientB(t, url) }

func clientB(t testing.TB, url string) *postgres.Client {
	t.Helper()
	c, err := postgres.New(postgres.Options{URL: url, StatementTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func execIn(ctx context.Context, pg *servers.Postgres, db, sql string) error {
	cp := *pg
	cp.Database = db
	return cp.Exec(ctx, sql)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
