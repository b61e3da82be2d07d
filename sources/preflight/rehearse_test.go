package preflight

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
)

// hostileServer is a server with a watched database at r0 (one table),
// a session of that database to be killed, and a directory the server's
// own user could write a file into.
type hostileServer struct {
	pg     *servers.Postgres
	dir    string // the Alembic project
	schema string // the watched database's, as the preflight dumps it
	victim int    // the pid of a session of the watched database
	pwned  string // a file a shell command on the server would make
}

func startHostile(t *testing.T, ctx context.Context, revs []servers.Revision) hostileServer {
	t.Helper()
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	h := hostileServer{pg: pg, dir: t.TempDir()}
	// The server runs as its own user: the file's directory is open to it,
	// so that only the rehearsal's rights can stop the file being made.
	open, err := os.MkdirTemp("", "opsdeck-pwned-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(open) })
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	h.pwned = filepath.Join(open, "pwned")
	h.victim = startVictim(t, ctx, pg)
	all := []servers.Revision{{ID: "r0", Upgrade: []string{"CREATE TABLE accounts (id serial PRIMARY KEY, email text)"}}}
	for _, r := range revs {
		r.Down = all[len(all)-1].ID
		for i, sql := range r.Upgrade {
			r.Upgrade[i] = strings.NewReplacer("VICTIM", strconv.Itoa(h.victim), "PWNED", h.pwned).Replace(sql)
		}
		all = append(all, r)
	}
	if err := servers.WriteAlembicRevisions(h.dir, all); err != nil {
		t.Fatal(err)
	}
	if err := servers.Alembic(ctx, h.dir, pg.URL(), "upgrade", "r0"); err != nil {
		t.Fatal(err)
	}
	if h.schema, err = pg.DumpSchema(ctx); err != nil {
		t.Fatal(err)
	}
	return h
}

// startVictim starts a session of the application's role (no superuser)
// in the watched database, busy for ten minutes, and returns its pid.
func startVictim(t *testing.T, ctx context.Context, pg *servers.Postgres) int {
	t.Helper()
	if err := pg.Exec(ctx, "CREATE ROLE app LOGIN PASSWORD 'app'"); err != nil {
		t.Fatal(err)
	}
	conn, err := pgconn.Connect(ctx, userURL(pg, "app", "app", pg.Database))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	conn.Exec(context.Background(), "SELECT pg_sleep(600)") // left running: read by no one
	h := hostileServer{pg: pg}
	wait.Eventually(t, "the victim's session", func() error { return h.alive(ctx, int(conn.PID())) }, wait.Context(ctx))
	return int(conn.PID())
}

// userURL is the URL of database db on pg's server for another role.
func userURL(pg *servers.Postgres, user, password, db string) string {
	u := url.URL{Scheme: "postgresql", User: url.UserPassword(user, password), Host: "127.0.0.1:" + strconv.Itoa(pg.Port),
		Path: "/" + db, RawQuery: "sslmode=disable"}
	return u.String()
}

// judge renders the upgrade from..to and judges it with rehearse.
func (h hostileServer) judge(ctx context.Context, from, to string, rehearse func(ctx context.Context, stmts []Statement) ([]Observed, error)) Verdict {
	return Judge(ctx, Inputs{
		Render: func(ctx context.Context) (string, error) {
			return servers.AlembicOutput(ctx, h.dir, h.pg.URL(), "upgrade", from+":"+to, "--sql")
		},
		Rehearse: rehearse, Where: "scratch", LockTimeout: 5 * time.Second,
	})
}

// alive reports whether the session pid is still there.
func (h hostileServer) alive(ctx context.Context, pid int) error {
	return h.pg.Exec(ctx, fmt.Sprintf(`DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = %d) THEN RAISE EXCEPTION 'session %d is gone'; END IF; END $$`, pid, pid))
}

// nothingLeft checks that no scratch database, no rehearsal role and no
// rehearsing session is left on the server.
func nothingLeft(ctx context.Context, pg *servers.Postgres) error {
	return pg.Exec(ctx, `DO $$ BEGIN
		IF EXISTS (SELECT 1 FROM pg_database WHERE datname LIKE 'opsdeck\_rehearsal\_%') THEN RAISE EXCEPTION 'a scratch database was left'; END IF;
		IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname LIKE 'opsdeck\_rehearsal\_%') THEN RAISE EXCEPTION 'a rehearsal role was left'; END IF;
		IF EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = 'opsdeck-rehearsal') THEN RAISE EXCEPTION 'a rehearsing session was left'; END IF;
	END $$`)
}

func text(v Verdict) string {
	var b strings.Builder
	for _, l := range v.Lines() {
		b.WriteString(l.Text + "\n")
	}
	return b.String()
}

// observed is the rehearsal of the statement whose SQL starts with prefix.
func observed(t *testing.T, v Verdict, prefix string) Observed {
	t.Helper()
	for _, j := range v.Statements {
		if strings.HasPrefix(j.SQL, prefix) && j.Observed != nil {
			return *j.Observed
		}
	}
	t.Fatalf("no rehearsed statement %q in\n%s", prefix, text(v))
	return Observed{}
}

// TestRehearsalHasNoPowerBeyondItsDatabase: revisions that kill a session
// of another database, run a shell command on the server, or try to take
// the admin's role back first, are rehearsed by a role that can do none
// of it; their statements fail in words, the session lives, the file is
// not made, and nothing is left on the server.
func TestRehearsalHasNoPowerBeyondItsDatabase(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	h := startHostile(t, ctx, []servers.Revision{
		{ID: "r1_terminate", Upgrade: []string{"SELECT pg_terminate_backend(VICTIM)", "ALTER TABLE accounts ADD COLUMN a1 text"}},
		{ID: "r2_program", Upgrade: []string{"COPY (SELECT 1) TO PROGRAM 'touch PWNED'", "ALTER TABLE accounts ADD COLUMN a2 text"}},
		{ID: "r3_reset_role", Upgrade: []string{"RESET ROLE", "SET ROLE opsdeck", "SET SESSION AUTHORIZATION opsdeck",
			"SELECT pg_terminate_backend(VICTIM)", "COPY (SELECT 1) TO PROGRAM 'touch PWNED'", "ALTER TABLE accounts ADD COLUMN a3 text"}},
	})
	rehearse := func(ctx context.Context, stmts []Statement) ([]Observed, error) {
		return Rehearse(ctx, h.pg.URLFor("postgres"), h.schema, stmts)
	}
	cases := []struct {
		from, to string
		fails    map[string]string // statement prefix: what its error says
	}{
		{"r0", "r1_terminate", map[string]string{"SELECT pg_terminate_backend": "pg_signal_backend"}},
		{"r1_terminate", "r2_program", map[string]string{"COPY": "pg_execute_server_program"}},
		{"r2_program", "r3_reset_role", map[string]string{"SET ROLE": "permission denied", "SET SESSION AUTHORIZATION": "permission denied",
			"SELECT pg_terminate_backend": "pg_signal_backend", "COPY": "pg_execute_server_program"}},
	}
	for _, c := range cases {
		v := h.judge(ctx, c.from, c.to, rehearse)
		if !v.Rehearsed || v.RenderErr != "" {
			t.Fatalf("%s: %s\n%s", c.to, v.Summary(), text(v))
		}
		for prefix, says := range c.fails {
			if o := observed(t, v, prefix); !strings.Contains(o.Err, says) {
				t.Errorf("%s: %s: rehearsal %+v, want an error saying %q", c.to, prefix, o, says)
			}
		}
		if o := observed(t, v, "ALTER TABLE"); o.Err != "" || len(o.Locks) != 1 {
			t.Errorf("%s: the ALTER TABLE was not rehearsed: %+v", c.to, o)
		}
		if out := text(v); !strings.Contains(out, "failed (said below)") || !strings.Contains(out, "rehearsal: failed: ") {
			t.Errorf("%s: the verdict does not say what failed:\n%s", c.to, out)
		}
		t.Logf("%s:\n%s", c.to, text(v))
		if err := h.alive(ctx, h.victim); err != nil {
			t.Fatalf("%s: %v", c.to, err)
		}
		if _, err := os.Stat(h.pwned); err == nil {
			t.Fatalf("%s: the rehearsal ran a shell command on the server: %s exists", c.to, h.pwned)
		}
		if err := nothingLeft(ctx, h.pg); err != nil {
			t.Errorf("%s: %v", c.to, err)
		}
	}
}

// TestRehearsalStopsAtItsDeadline: a statement that would sleep for a day
// is stopped on the server when the rehearsal's time is up; the verdict
// says where it stopped and what it did not rehearse, and the scratch
// database and role are gone. The time limit is the caller's context, then
// the rehearsal's own Deadline; both are derived from a rehearsal of the
// same schema that ran to its end.
func TestRehearsalStopsAtItsDeadline(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	h := startHostile(t, ctx, []servers.Revision{
		{ID: "r1_quick", Upgrade: []string{"ALTER TABLE accounts ADD COLUMN a1 text"}},
		{ID: "r2_sleep", Upgrade: []string{"SELECT pg_sleep(100000)", "ALTER TABLE accounts ADD COLUMN a2 text", "ALTER TABLE accounts ADD COLUMN a3 text"}},
		// A loop that swallows the cancel request and the statement timeout.
		{ID: "r3_stubborn", Upgrade: []string{"SET statement_timeout = 0",
			"DO $$ BEGIN LOOP BEGIN PERFORM pg_sleep(1); EXCEPTION WHEN query_canceled THEN NULL; END; END LOOP; END $$",
			"ALTER TABLE accounts ADD COLUMN a4 text"}},
	})
	var quick time.Duration
	v := h.judge(ctx, "r0", "r1_quick", func(ctx context.Context, stmts []Statement) ([]Observed, error) {
		start := time.Now()
		defer func() { quick = time.Since(start) }()
		return Rehearse(ctx, h.pg.URLFor("postgres"), h.schema, stmts)
	})
	if !v.Rehearsed || len(v.RehearsalGaps) > 0 {
		t.Fatalf("a quick rehearsal: %s", text(v))
	}
	// Time enough to reach the sleep on this machine, however busy.
	limit := 3*quick + 2*time.Second
	t.Logf("a whole rehearsal took %s; the time limit is %s", quick, limit)
	for _, how := range []string{"the caller's context", "Rehearsal.Deadline"} {
		var took time.Duration
		v := h.judge(ctx, "r1_quick", "r2_sleep", func(ctx context.Context, stmts []Statement) ([]Observed, error) {
			start := time.Now()
			defer func() { took = time.Since(start) }()
			if how == "Rehearsal.Deadline" {
				return Rehearsal{Server: h.pg.URLFor("postgres"), Schema: h.schema, Deadline: limit}.Run(ctx, stmts)
			}
			ctx, cancel := context.WithTimeout(ctx, limit)
			defer cancel()
			return Rehearse(ctx, h.pg.URLFor("postgres"), h.schema, stmts)
		})
		out := text(v)
		t.Logf("%s: took %s:\n%s", how, took, out)
		if !v.Rehearsed || !strings.Contains(out, "rehearsal: the rehearsal was stopped after") ||
			!strings.Contains(out, "at statement 1 of 3 (SELECT pg_sleep(100000)); 2 statement(s) after it not rehearsed") {
			t.Errorf("%s: the verdict does not say where the rehearsal stopped:\n%s", how, out)
		}
		if o := observed(t, v, "SELECT pg_sleep"); !strings.Contains(o.Err, "time limit") {
			t.Errorf("%s: the sleep's rehearsal: %+v", how, o)
		}
		if o := observed(t, v, "ALTER TABLE accounts ADD COLUMN a3"); !strings.HasPrefix(o.Skipped, "not reached") {
			t.Errorf("%s: a statement after the deadline: %+v", how, o)
		}
		// The limit, and the clean-up's own bound past it.
		if took > limit+cleanupTimeout {
			t.Errorf("%s: the rehearsal took %s, over its %s limit and the %s clean-up", how, took, limit, cleanupTimeout)
		}
		if err := nothingLeft(ctx, h.pg); err != nil {
			t.Errorf("%s: %v", how, err)
		}
	}
	// A statement that will not stop: ended with the database.
	var took time.Duration
	v = h.judge(ctx, "r2_sleep", "r3_stubborn", func(ctx context.Context, stmts []Statement) ([]Observed, error) {
		start := time.Now()
		defer func() { took = time.Since(start) }()
		return Rehearsal{Server: h.pg.URLFor("postgres"), Schema: h.schema, Deadline: limit}.Run(ctx, stmts)
	})
	t.Logf("a loop that swallows cancels: took %s", took)
	if out := text(v); !strings.Contains(out, "at statement 2 of 3 (DO $$ BEGIN LOOP") || took > limit+cleanupTimeout {
		t.Errorf("a loop that swallows cancels: took %s (limit %s):\n%s", took, limit, out)
	}
	if err := nothingLeft(ctx, h.pg); err != nil {
		t.Error(err)
	}
	// A limit reached before the statements: nothing rehearsed, said.
	v = h.judge(ctx, "r1_quick", "r2_sleep", func(ctx context.Context, stmts []Statement) ([]Observed, error) {
		return Rehearsal{Server: h.pg.URLFor("postgres"), Schema: h.schema, Deadline: time.Nanosecond}.Run(ctx, stmts)
	})
	if out := text(v); v.Rehearsed || !strings.Contains(out, "rehearsal: not rehearsed: the rehearsal was stopped after") {
		t.Errorf("a limit reached before the statements:\n%s", out)
	}
	if err := nothingLeft(ctx, h.pg); err != nil {
		t.Error(err)
	}
}

// TestRehearsalByScratchRoles: what the rehearsal does with the role of
// scratch_url. One that may create roles (a superuser, or CREATEROLE
// CREATEDB) makes a role for it; one that cannot but is itself powerless
// rehearses as itself, and the verdict says so; one that cannot and has
// powers (a membership of pg_signal_backend) or cannot create a database
// does not rehearse, and says why. Nothing is left either way.
func TestRehearsalByScratchRoles(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	h := startHostile(t, ctx, []servers.Revision{{ID: "r1", Upgrade: []string{"ALTER TABLE accounts ADD COLUMN a1 text"}}})
	if err := h.pg.Exec(ctx, `CREATE ROLE creator LOGIN CREATEROLE CREATEDB PASSWORD 'pw';
		CREATE ROLE plain LOGIN CREATEDB PASSWORD 'pw';
		CREATE ROLE signaller LOGIN CREATEDB PASSWORD 'pw'; GRANT pg_signal_backend TO signaller;
		CREATE ROLE nodb LOGIN PASSWORD 'pw';`); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		role string
		ran  bool
		says []string
	}{
		{role: h.pg.User, ran: true},
		{role: "creator", ran: true, says: []string{"its temporary files were not capped"}},
		{role: "plain", ran: true, says: []string{"rehearsed as plain itself (it cannot create roles)"}},
		{role: "signaller", says: []string{"not rehearsed (see why below)", "role signaller cannot create a role for the rehearsal", "membership of pg_signal_backend"}},
		{role: "nodb", says: []string{"role nodb cannot create the scratch database: it needs CREATEDB"}},
	}
	for _, c := range cases {
		password := "pw"
		if c.role == h.pg.User {
			password = h.pg.Password
		}
		v := h.judge(ctx, "r0", "r1", func(ctx context.Context, stmts []Statement) ([]Observed, error) {
			return Rehearse(ctx, userURL(h.pg, c.role, password, "postgres"), h.schema, stmts)
		})
		out := text(v)
		t.Logf("%s:\n%s", c.role, out)
		if v.Rehearsed != c.ran {
			t.Errorf("%s: rehearsed %v, want %v:\n%s", c.role, v.Rehearsed, c.ran, out)
		}
		if c.ran {
			if o := observed(t, v, "ALTER TABLE"); o.Err != "" || len(o.Locks) != 1 {
				t.Errorf("%s: %+v", c.role, o)
			}
		}
		for _, s := range c.says {
			if !strings.Contains(out, s) {
				t.Errorf("%s: the verdict does not say %q:\n%s", c.role, s, out)
			}
		}
		if err := nothingLeft(ctx, h.pg); err != nil {
			t.Errorf("%s: %v", c.role, err)
		}
	}
}

// TestRehearsalRoleRefusedALogin: a server whose pg_hba.conf lets no role
// but the admin log in over TCP: the rehearsal does not fall back to the
// admin's powers; the verdict says it did not rehearse and why, and the
// database and role it made are gone.
func TestRehearsalRoleRefusedALogin(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The server reads the file as its own user.
	dir, err := os.MkdirTemp("", "opsdeck-hba-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	hba := filepath.Join(dir, "pg_hba.conf")
	if err := os.WriteFile(hba, []byte("local all all trust\nhost all opsdeck 127.0.0.1/32 scram-sha-256\nhost all all 127.0.0.1/32 reject\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{Settings: map[string]string{"hba_file": hba}})
	if err := pg.Exec(ctx, "CREATE TABLE accounts (id int)"); err != nil {
		t.Fatal(err)
	}
	schema, err := pg.DumpSchema(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v := Verdict{Statements: []Judged{{Statement: Statement{SQL: "ALTER TABLE accounts ADD COLUMN a text"}}}}
	v.rehearsed(Rehearse(ctx, pg.URLFor("postgres"), schema, []Statement{v.Statements[0].Statement}))
	out := text(v)
	t.Log(out)
	if v.Rehearsed || !strings.Contains(out, "rehearsal: not rehearsed: the rehearsal's role opsdeck_rehearsal_") ||
		!strings.Contains(out, "could not log in") || !strings.Contains(out, "pg_hba.conf rejects connection") {
		t.Errorf("a role refused its login:\n%s", out)
	}
	if err := nothingLeft(ctx, pg); err != nil {
		t.Error(err)
	}
}

// TestRehearsalRestoresAsItsRole: the schema is restored by the
// rehearsal's role. An extension in the dump is created for it; a SECURITY
// DEFINER function is the role's, so it runs with the role's rights; an
// event trigger (a superuser's object) is not restored, and the verdict
// says so.
func TestRehearsalRestoresAsItsRole(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	if err := pg.Exec(ctx, `CREATE EXTENSION pgcrypto;
		CREATE TABLE accounts (id int, secret text);
		CREATE FUNCTION whoami() RETURNS text LANGUAGE sql SECURITY DEFINER AS 'SELECT current_user::text';
		CREATE FUNCTION on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN RAISE NOTICE 'ddl'; END $$;
		CREATE EVENT TRIGGER watch_ddl ON ddl_command_end EXECUTE FUNCTION on_ddl();`); err != nil {
		t.Fatal(err)
	}
	schema, err := pg.DumpSchema(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checks := []string{
		"SELECT encode(digest('x', 'sha256'), 'hex')", // pgcrypto restored
		"DO $$ BEGIN IF public.whoami() <> session_user THEN RAISE EXCEPTION 'whoami() ran as %', public.whoami(); END IF; END $$",
		"DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_event_trigger) THEN RAISE EXCEPTION 'an event trigger was restored'; END IF; END $$",
		"ALTER TABLE accounts ADD COLUMN note text",
	}
	v := Verdict{}
	for _, sql := range checks {
		v.Statements = append(v.Statements, Judged{Statement: Statement{SQL: sql}})
	}
	stmts := make([]Statement, len(checks))
	for i, j := range v.Statements {
		stmts[i] = j.Statement
	}
	v.rehearsed(Rehearse(ctx, pg.URLFor("postgres"), schema, stmts))
	out := text(v)
	t.Log(out)
	if !v.Rehearsed || !strings.Contains(out, "could not be restored as the rehearsal's role") || !strings.Contains(out, "CREATE EVENT TRIGGER watch_ddl") {
		t.Errorf("the verdict does not say the event trigger was not restored:\n%s", out)
	}
	for _, j := range v.Statements {
		if o := j.Observed; o == nil || o.Err != "" || o.Skipped != "" {
			t.Errorf("%s: %+v", j.SQL, o)
		}
	}
	if err := nothingLeft(ctx, pg); err != nil {
		t.Error(err)
	}
}
