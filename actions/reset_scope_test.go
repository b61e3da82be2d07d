package actions

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
)

// scopeDB is a database whose names read alike: table b of schema a beside
// the table "a.b" of public, and a schema whose name holds a dot.
func scopeDB(t *testing.T, sql string) (*servers.Postgres, *pgx.Conn) {
	t.Helper()
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	ctx := context.Background()
	if err := pg.Exec(ctx, sql+"; ANALYZE"); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, pg.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return pg, conn
}

func planItems(p *ResetPlan) string {
	var names []string
	for _, t := range p.tables {
		names = append(names, t.String())
	}
	return strings.Join(names, " | ")
}

// TestResetIdentifiesTablesBySchemaAndName: a table whose name holds a dot
// is not the table of the schema it reads like; a schema whose name holds a
// dot is a schema. The reset empties what the plan lists and nothing else.
func TestResetIdentifiesTablesBySchemaAndName(t *testing.T) {
	t.Parallel()
	pg, conn := scopeDB(t, `
CREATE SCHEMA a; CREATE TABLE a.b (id int); INSERT INTO a.b VALUES (1), (2);
CREATE TABLE public."a.b" (id int); INSERT INTO public."a.b" VALUES (1), (2), (3);
CREATE SCHEMA "my.s"; CREATE TABLE "my.s".t (id int); INSERT INTO "my.s".t VALUES (1);
CREATE TABLE my (id int); INSERT INTO my VALUES (1)`)
	ctx := context.Background()

	r := &ResetAction{Environment: "qa", DatabaseURL: pg.URL(), Scrubber: redact.NewScrubber(pg.Password)}
	plan, err := r.Preview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := planItems(plan); got != `public."a.b" | public.my` {
		t.Fatalf("plan = %s", got)
	}
	res, err := r.Execute(ctx, plan)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(res.Truncated, " | "); got != `public."a.b" | public.my` {
		t.Errorf("reported %s", got)
	}
	if count(t, conn, `public."a.b"`) != 0 || count(t, conn, "a.b") != 2 || count(t, conn, `"my.s".t`) != 1 {
		t.Fatalf(`after the reset: public."a.b" %d, a.b %d, "my.s".t %d`, count(t, conn, `public."a.b"`), count(t, conn, "a.b"), count(t, conn, `"my.s".t`))
	}

	r = &ResetAction{Environment: "qa", DatabaseURL: pg.URL(), Schemas: []string{"my.s"}}
	if plan, err = r.Preview(ctx); err != nil {
		t.Fatal(err)
	}
	if got := planItems(plan); got != `"my.s".t` {
		t.Fatalf("plan of schema my.s = %s", got)
	}
	if _, err := r.Execute(ctx, plan); err != nil {
		t.Fatal(err)
	}
	if count(t, conn, `"my.s".t`) != 0 || count(t, conn, "my") != 0 || count(t, conn, "a.b") != 2 {
		t.Fatal("the reset of schema my.s touched another table")
	}
}

// TestResetRefusesWhatCascadeWouldReach: a keep table, a table of another
// schema, partitions and inheritance children elsewhere: each would be
// emptied along with a planned table, so the reset refuses, saying which and
// why, and every row stays.
func TestResetRefusesWhatCascadeWouldReach(t *testing.T) {
	t.Parallel()
	base := `CREATE TABLE users (id int PRIMARY KEY); INSERT INTO users VALUES (1), (2);
CREATE SCHEMA other;`
	cases := []struct {
		name, sql, want, survivor string
		keep                      []string
	}{
		{"keep table with a foreign key", `CREATE TABLE flags (id int, u int REFERENCES users(id)); INSERT INTO flags VALUES (1, 1)`,
			"public.flags has a foreign key to public.users, and it is in keep:", "flags", []string{"flags"}},
		{"other schema's foreign key", `CREATE TABLE other.audit (u int REFERENCES users(id)); INSERT INTO other.audit VALUES (1)`,
			"other.audit has a foreign key to public.users, and schema other is not in reset.schemas", "other.audit", nil},
		{"partition in another schema", `CREATE TABLE events (at int) PARTITION BY RANGE (at);
CREATE TABLE other.events_1 PARTITION OF events FOR VALUES FROM (0) TO (100); INSERT INTO events VALUES (5)`,
			"other.events_1 is a partition of public.events", "other.events_1", nil},
		{"inheritance child in another schema", `CREATE TABLE logs (line text); CREATE TABLE other.logs_old () INHERITS (logs);
INSERT INTO other.logs_old VALUES ('x')`, "other.logs_old inherits from public.logs", "other.logs_old", nil},
		{"foreign key reached through a partition", `CREATE TABLE parts (id int PRIMARY KEY) PARTITION BY RANGE (id);
CREATE TABLE parts_1 PARTITION OF parts FOR VALUES FROM (0) TO (100); INSERT INTO parts VALUES (5);
CREATE TABLE other.refs (p int REFERENCES parts(id)); INSERT INTO other.refs VALUES (5)`,
			"other.refs has a foreign key to public.parts", "other.refs", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			pg, conn := scopeDB(t, base+c.sql)
			ctx := context.Background()
			r := &ResetAction{Environment: "qa", DatabaseURL: pg.URL(), Keep: c.keep}
			_, err := r.Preview(ctx)
			var unsafe *ErrUnsafeReset
			if !errors.As(err, &unsafe) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("preview: %v, want a refusal saying %q", err, c.want)
			}
			// A plan confirmed before the table appeared is refused too.
			if _, err := r.Execute(ctx, &ResetPlan{h: planHead{env: "qa"}, target: "127.0.0.1:" + itoa(pg.Port) + "/" + pg.Database}); !errors.As(err, &unsafe) {
				t.Fatalf("execute: %v", err)
			}
			if count(t, conn, c.survivor) != 1 || count(t, conn, "users") != 2 {
				t.Fatalf("rows lost: %s %d, users %d", c.survivor, count(t, conn, c.survivor), count(t, conn, "users"))
			}
		})
	}
}

// TestResetCountsPartitionsWithTheirParent: a partitioned table's estimate
// includes its partitions, which the plan lists and the reset empties.
func TestResetCountsPartitionsWithTheirParent(t *testing.T) {
	t.Parallel()
	pg, conn := scopeDB(t, `CREATE TABLE events (at int) PARTITION BY RANGE (at);
CREATE TABLE events_1 PARTITION OF events FOR VALUES FROM (0) TO (100);
CREATE TABLE events_2 PARTITION OF events FOR VALUES FROM (100) TO (200);
INSERT INTO events SELECT g FROM generate_series(0, 199) g`)
	ctx := context.Background()
	r := &ResetAction{Environment: "qa", DatabaseURL: pg.URL()}
	plan, err := r.Preview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	items := strings.Join(plan.Items(), " | ")
	if !strings.Contains(items, "public.events (~200 rows with its 2 partition(s)/child table(s))") ||
		!strings.Contains(items, "public.events_1 (~100 rows)") || len(plan.tables) != 3 {
		t.Fatalf("plan: %s", items)
	}
	if _, err := r.Execute(ctx, plan); err != nil {
		t.Fatal(err)
	}
	if count(t, conn, "events") != 0 {
		t.Fatal("events not emptied")
	}
}

// TestResetGivesUpOnALockInTime: behind a session holding a lock, the reset
// waits its lock timeout, says so, and empties nothing; queries of the table
// do not queue behind it for longer than that.
func TestResetGivesUpOnALockInTime(t *testing.T) {
	t.Parallel()
	pg, _, conn := setup(t)
	ctx := context.Background()
	locker := lockUsers(t, pg)
	defer locker.Exec(ctx, "ROLLBACK")
	r := &ResetAction{Environment: "qa", DatabaseURL: pg.URL(), LockTimeout: 300 * time.Millisecond}
	plan, err := r.Preview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = r.Execute(ctx, plan)
	if err == nil || !strings.Contains(err.Error(), "gave up after 300ms waiting for the tables' locks") || !strings.Contains(err.Error(), "nothing was truncated") {
		t.Fatalf("error = %v", err)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("took %s", took)
	}
	if count(t, conn, "users") != 30 || count(t, conn, "conversations") != 60 {
		t.Fatal("rows lost")
	}
}

// TestResetRefusesAnotherEnvironmentsPlan: a plan carries its environment and
// database; the executor of another refuses it before touching anything.
func TestResetRefusesAnotherEnvironmentsPlan(t *testing.T) {
	t.Parallel()
	staging, _, stagingConn := setup(t)
	qa, _, qaConn := setup(t)
	ctx := context.Background()
	stagingPlan, err := (&ResetAction{Environment: "staging", DatabaseURL: staging.URL()}).Preview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	qaReset := &ResetAction{Environment: "qa2", DatabaseURL: qa.URL()}
	if _, err := qaReset.Execute(ctx, stagingPlan); err == nil || !strings.Contains(err.Error(), `made for environment "staging", not "qa2"`) {
		t.Fatalf("other environment's plan: %v", err)
	}
	relabelled := *stagingPlan
	relabelled.h.env = "qa2"
	if _, err := qaReset.Execute(ctx, &relabelled); err == nil || !strings.Contains(err.Error(), "the plan was made for 127.0.0.1:"+itoa(staging.Port)) {
		t.Fatalf("other database's plan: %v", err)
	}
	audit := &Audit{Path: t.TempDir() + "/audit.jsonl"}
	req := Request{Env: Environment{Name: "qa2"}, Plan: stagingPlan, Consent: Consent{Yes: true, How: "confirmed y"}}
	if _, err := Execute(ctx, req, audit, Who{}, func(Stream, string) {}); err == nil {
		t.Fatal("Execute ran another environment's plan")
	}
	if recs, _ := audit.Recent(10); len(recs) != 0 {
		t.Errorf("a refused plan was audited as started: %+v", recs)
	}
	for _, c := range []*pgx.Conn{stagingConn, qaConn} {
		if count(t, c, "users") != 30 {
			t.Fatal("rows lost")
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestResetLocksBeforeItRereads: a planned table dropped since the preview,
// or a partition attached to a planned table in another schema, makes the
// reset refuse with the new plan; nothing is emptied.
func TestResetLocksBeforeItRereads(t *testing.T) {
	t.Parallel()
	pg, conn := scopeDB(t, `CREATE TABLE users (id int); INSERT INTO users VALUES (1);
CREATE TABLE gone (id int); CREATE TABLE events (at int) PARTITION BY RANGE (at);
CREATE SCHEMA other; CREATE TABLE other.events_2 (at int); INSERT INTO other.events_2 VALUES (150)`)
	ctx := context.Background()
	r := &ResetAction{Environment: "qa", DatabaseURL: pg.URL()}
	plan, err := r.Preview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "DROP TABLE gone"); err != nil {
		t.Fatal(err)
	}
	var changed *ErrPlanChanged
	if _, err := r.Execute(ctx, plan); !errors.As(err, &changed) || len(changed.New.tables) != len(plan.tables)-1 {
		t.Fatalf("a dropped table: %v", err)
	}
	plan = changed.New
	if _, err := conn.Exec(ctx, "ALTER TABLE events ATTACH PARTITION other.events_2 FOR VALUES FROM (100) TO (200)"); err != nil {
		t.Fatal(err)
	}
	var unsafe *ErrUnsafeReset
	if _, err := r.Execute(ctx, plan); !errors.As(err, &unsafe) || !strings.Contains(err.Error(), "other.events_2 is a partition of public.events") {
		t.Fatalf("an attached partition: %v", err)
	}
	if count(t, conn, "users") != 1 || count(t, conn, "other.events_2") != 1 {
		t.Fatal("rows lost")
	}
}

// TestResetRefusesATruncateTrigger: a trigger that fires on TRUNCATE,
// enabled always (session_replication_role = replica does not stop it),
// would empty a kept table and another schema's: the reset refuses before
// anything runs, naming it.
func TestResetRefusesATruncateTrigger(t *testing.T) {
	t.Parallel()
	pg, conn := scopeDB(t, `CREATE TABLE users (id int); INSERT INTO users VALUES (1);
		CREATE TABLE feature_flags (id int); INSERT INTO feature_flags VALUES (1);
		CREATE SCHEMA billing; CREATE TABLE billing.invoices (id int); INSERT INTO billing.invoices VALUES (1);
		CREATE FUNCTION wipe() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN DELETE FROM feature_flags; DELETE FROM billing.invoices; RETURN NULL; END $$;
		CREATE TRIGGER wipe_all AFTER TRUNCATE ON users FOR EACH STATEMENT EXECUTE FUNCTION wipe();
		ALTER TABLE users ENABLE ALWAYS TRIGGER wipe_all`)
	ctx := context.Background()
	r := &ResetAction{Environment: "qa", DatabaseURL: pg.URL(), Keep: []string{"feature_flags"}}
	_, err := r.Preview(ctx)
	var unsafe *ErrUnsafeReset
	if !errors.As(err, &unsafe) || !strings.Contains(err.Error(), "public.users has trigger wipe_all, which fires on TRUNCATE (enabled always)") {
		t.Fatalf("want a refusal naming the trigger, got %v", err)
	}
	for _, table := range []string{"users", "feature_flags", "billing.invoices"} {
		if count(t, conn, table) != 1 {
			t.Errorf("%s was touched", table)
		}
	}
}

// TestResetRefusesWhatRestartOrAPartitionReaches: a kept table drawing its
// ids from a planned table's sequence (RESTART IDENTITY would restart it),
// and a planned partition of a table in another schema (emptying it
// empties part of that table): refused before anything runs, each named.
func TestResetRefusesWhatRestartOrAPartitionReaches(t *testing.T) {
	t.Parallel()
	pg, conn := scopeDB(t, `CREATE TABLE users (id serial PRIMARY KEY); INSERT INTO users SELECT FROM generate_series(1, 3);
		CREATE TABLE audit_trail (id int DEFAULT nextval('users_id_seq') PRIMARY KEY); INSERT INTO audit_trail SELECT FROM generate_series(1, 2);
		CREATE SCHEMA archive; CREATE TABLE archive.events (at date) PARTITION BY RANGE (at);
		CREATE TABLE public.events_2024 PARTITION OF archive.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
		INSERT INTO archive.events VALUES ('2024-06-01')`)
	ctx := context.Background()
	r := &ResetAction{Environment: "qa", DatabaseURL: pg.URL(), Keep: []string{"audit_trail"}}
	_, err := r.Preview(ctx)
	var unsafe *ErrUnsafeReset
	if !errors.As(err, &unsafe) ||
		!strings.Contains(err.Error(), "sequence public.users_id_seq, restarted with public.users, is also the default of a column of public.audit_trail") ||
		!strings.Contains(err.Error(), "public.events_2024 is a partition or child of archive.events, which the reset does not empty") {
		t.Fatalf("want a refusal naming the sequence and the partition, got %v", err)
	}
	for table, want := range map[string]int{"users": 3, "audit_trail": 2, "archive.events": 1} {
		if n := count(t, conn, table); n != want {
			t.Errorf("%s holds %d rows, want %d", table, n, want)
		}
	}
}
