package preflight

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/sources/postgres"
)

// project is the test migrations: a base that makes two tables, then one
// revision per classic hazard and a safe one, in a line.
var project = []servers.Revision{
	{ID: "r0", Upgrade: []string{
		"CREATE TABLE accounts (id serial PRIMARY KEY, email text, balance numeric)",
		"CREATE TABLE orders (id serial PRIMARY KEY, account_id integer, amount integer)",
		"INSERT INTO accounts (email) SELECT 'user' || g || '@example.com' FROM generate_series(1, 200) g",
		"INSERT INTO orders (account_id, amount) SELECT g, g FROM generate_series(1, 200) g"}},
	{ID: "r1_volatile", Down: "r0", Upgrade: []string{"ALTER TABLE accounts ADD COLUMN token uuid DEFAULT gen_random_uuid()"}},
	{ID: "r2_index", Down: "r1_volatile", Upgrade: []string{"CREATE INDEX ix_accounts_email ON accounts (email)"}},
	{ID: "r3_fk", Down: "r2_index", Upgrade: []string{"ALTER TABLE orders ADD CONSTRAINT fk_orders_account FOREIGN KEY (account_id) REFERENCES accounts (id)"}},
	{ID: "r4_type", Down: "r3_fk", Upgrade: []string{"ALTER TABLE orders ALTER COLUMN amount TYPE bigint"}},
	{ID: "r5_safe", Down: "r4_type", Upgrade: []string{"ALTER TABLE accounts ADD COLUMN note text"}},
}

// want is each revision's verdict by the rules: its locks, rewrites and
// scans on the tables that existed before, and the rule that calls it a
// hazard ("" for none).
var want = map[string]struct {
	locks          []Lock
	rewrite, scan  []string
	hazard         string
	squawkAgreesOn []string
}{
	"r1_volatile": {locks: []Lock{{"accounts", AccessExclusive}}, rewrite: []string{"accounts"}, hazard: "adding-field-with-default"},
	"r2_index":    {locks: []Lock{{"accounts", Share}}, scan: []string{"accounts"}, hazard: "require-concurrent-index-creation"},
	"r3_fk": {locks: []Lock{{"accounts", ShareRowExclusive}, {"orders", ShareRowExclusive}}, scan: []string{"orders"},
		hazard: "adding-foreign-key-constraint"},
	"r4_type": {locks: []Lock{{"orders", AccessExclusive}}, rewrite: []string{"orders"}, hazard: "changing-column-type"},
	"r5_safe": {locks: []Lock{{"accounts", AccessExclusive}}},
}

// lockRules are squawk's rules about locks, rewrites and scans: the ones
// the preflight's rules must agree with. Squawk reports a foreign key
// without NOT VALID under two names (the lock, and the missing NOT VALID);
// the preflight calls it by the first.
var lockRules = []string{"adding-field-with-default", "require-concurrent-index-creation", "adding-foreign-key-constraint",
	"changing-column-type", "constraint-missing-not-valid", "adding-not-nullable-field", "disallowed-unique-constraint"}

func squawkRules(t *testing.T, sql string) []string {
	t.Helper()
	bin, err := servers.LookPath("squawk", "squawk-cli (npm)")
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "m.sql")
	if err := os.WriteFile(f, []byte(sql+";\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command(bin, "--pg-version", "15", "--reporter", "json", f).Output() // exits 1 when it finds something
	var rs []struct {
		Rule string `json:"rule_name"`
	}
	if err := json.Unmarshal(out, &rs); err != nil {
		t.Fatalf("squawk said %q: %v", out, err)
	}
	var got []string
	for _, r := range rs {
		if slices.Contains(lockRules, r.Rule) && !slices.Contains(got, r.Rule) && r.Rule != "constraint-missing-not-valid" || r.Rule == "constraint-missing-not-valid" && !strings.Contains(strings.ToUpper(sql), "FOREIGN KEY") {
			got = append(got, r.Rule)
		}
	}
	slices.Sort(got)
	return got
}

// TestVerdictsAgreeWithSquawkAndTheRehearsal renders each test revision
// with alembic, judges it, and checks the verdict three ways: against the
// expected locks, against squawk's lock rules, and against what a
// rehearsal in a scratch database saw in pg_locks and the file nodes.
func TestVerdictsAgreeWithSquawkAndTheRehearsal(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	dir := t.TempDir()
	if err := servers.WriteAlembicRevisions(dir, project); err != nil {
		t.Fatal(err)
	}
	if err := servers.Alembic(ctx, dir, pg.URL(), "upgrade", "r0"); err != nil {
		t.Fatal(err)
	}
	schema, err := pg.DumpSchema(ctx)
	if err != nil {
		t.Fatal(err)
	}
	db, err := postgres.New(postgres.Options{URL: pg.URL()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i, rev := range project[1:] {
		from := project[i].ID
		v := Judge(ctx, Inputs{
			Render: func(ctx context.Context) (string, error) {
				return servers.AlembicOutput(ctx, dir, pg.URL(), "upgrade", from+":"+rev.ID, "--sql")
			},
			Activity: db.TableActivity,
			Rehearse: func(ctx context.Context, stmts []Statement) ([]Observed, error) {
				return Rehearse(ctx, pg.URLFor("postgres"), schema, stmts)
			},
			Where: "scratch", LockTimeout: 5 * time.Second, TrafficWindow: 10 * time.Millisecond,
		})
		if v.RenderErr != "" || v.LiveErr != "" || !v.Rehearsed {
			t.Fatalf("%s: %+v", rev.ID, v)
		}
		var judged []Judged
		for _, j := range v.Statements {
			if !j.Bookkeeping {
				judged = append(judged, j)
			}
		}
		if len(judged) != 1 || judged[0].Revision != rev.ID {
			t.Fatalf("%s: want its one statement, got %+v", rev.ID, judged)
		}
		j, w := judged[0], want[rev.ID]
		if !slices.Equal(sortedLocks(j.Locks), sortedLocks(w.locks)) || !sameTables(j.Rewrite, w.rewrite) || !sameTables(j.Scan, w.scan) {
			t.Errorf("%s rules: locks %v rewrite %v scan %v; want %v %v %v", rev.ID, j.Locks, j.Rewrite, j.Scan, w.locks, w.rewrite, w.scan)
		}
		o := j.Observed
		if o == nil || o.Err != "" || o.Skipped != "" {
			t.Fatalf("%s: rehearsal %+v", rev.ID, o)
		}
		if !slices.Equal(sortedLocks(o.Locks), sortedLocks(w.locks)) || !sameTables(o.Rewrite, w.rewrite) || !sameTables(o.Scan, w.scan) {
			t.Errorf("%s rehearsal: locks %v rewrite %v scan %v; want %v %v %v", rev.ID, o.Locks, o.Rewrite, o.Scan, w.locks, w.rewrite, w.scan)
		}
		var hazards []string
		for _, f := range j.Findings {
			if f.Severity == Hazard {
				hazards = append(hazards, f.Rule)
			}
		}
		if w.hazard == "" && (len(hazards) > 0 || j.Severity == Hazard) || w.hazard != "" && (!slices.Contains(hazards, w.hazard) || j.Severity != Hazard) {
			t.Errorf("%s: hazards %v severity %v, want %q", rev.ID, hazards, j.Severity, w.hazard)
		}
		sq := squawkRules(t, j.SQL)
		var ours []string
		for _, f := range j.Findings {
			if slices.Contains(lockRules, f.Rule) && !slices.Contains(ours, f.Rule) {
				ours = append(ours, f.Rule)
			}
		}
		slices.Sort(ours)
		if !slices.Equal(ours, sq) {
			t.Errorf("%s: our lock rules %v, squawk's %v", rev.ID, ours, sq)
		}
		if len(v.Traffic) == 0 {
			t.Errorf("%s: no traffic read for its tables", rev.ID)
		}
	}
	// The rehearsals left nothing behind: no scratch database or role,
	// and the watched one still at r0.
	if err := nothingLeft(ctx, pg); err != nil {
		t.Error(err)
	}
	if err := pg.Exec(ctx, `DO $$ BEGIN
		IF (SELECT version_num FROM alembic_version) <> 'r0' THEN RAISE EXCEPTION 'the watched database moved'; END IF;
		IF EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'token') THEN RAISE EXCEPTION 'a migration ran'; END IF;
	END $$`); err != nil {
		t.Error(err)
	}
}

func sortedLocks(ls []Lock) []Lock {
	out := make([]Lock, len(ls))
	for i, l := range ls {
		out[i] = Lock{Table: bare(l.Table), Mode: l.Mode}
	}
	slices.SortFunc(out, func(a, b Lock) int { return strings.Compare(a.Table, b.Table) })
	return out
}

func sameTables(a, b []string) bool {
	x, y := make([]string, len(a)), make([]string, len(b))
	for i, t := range a {
		x[i] = bare(t)
	}
	for i, t := range b {
		y[i] = bare(t)
	}
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}
