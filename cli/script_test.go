package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
)

// TestMain makes the test binary opsdeck when it runs under that name: the
// scripts run it from a link, so that each command is a process of its own
// with the script's directory, environment and streams, and no binary is
// built. (testscript.Main would do the same but make opsdeck a script
// command that only passes or fails; the scenarios assert which of
// opsdeck's exit codes it gave, with `status`.)
func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == "opsdeck" {
		os.Exit(int(Main(os.Args[1:], os.LookupEnv)))
	}
	os.Exit(m.Run())
}

// TestScripts runs every scenario in testdata/script, one per .txtar file:
// the script on top, the files it needs below (configurations whose ${VARS}
// opsdeck expands from the script's environment: servers' URLs, $WORK).
// Besides testscript's own commands (exec, stdout, stderr, grep, env...)
// the scripts have those of scriptCommands. A script that needs a server
// starts with `[short] skip`. `go test ./cli -run TestScripts/NAME` runs
// one; -testwork keeps its directory.
func TestScripts(t *testing.T) {
	bin := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(self, filepath.Join(bin, "opsdeck")); err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                "testdata/script",
		RequireUniqueNames: true,
		Cmds:               scriptCommands(t),
		Setup: func(e *testscript.Env) error {
			e.Setenv("PATH", bin+string(os.PathListSeparator)+e.Getenv("PATH"))
			// The audit log and the reports stay in the script's directory.
			e.Setenv("XDG_STATE_HOME", filepath.Join(e.WorkDir, "state"))
			e.Values[scriptKey{}] = &scriptState{t: e.T(), opsdeck: filepath.Join(bin, "opsdeck")}
			return nil
		},
	})
}

type scriptKey struct{}

// scriptState is what a script's commands share (they run one after
// another): the last opsdeck's exit status and the servers the script
// started.
type scriptState struct {
	t       testscript.T
	opsdeck string // the test binary's link, found whatever PATH the script sets
	status  *int
	pg      *servers.Postgres
	redis   *servers.Redis
}

func stateOf(ts *testscript.TestScript) *scriptState {
	return ts.Value(scriptKey{}).(*scriptState)
}

// scriptCommands are the scripts' own commands. parent bounds the waits
// (`pg wait`) by the test binary's deadline.
func scriptCommands(parent *testing.T) map[string]func(*testscript.TestScript, bool, []string) {
	return map[string]func(*testscript.TestScript, bool, []string){
		"opsdeck": cmdOpsdeck,
		"status":  cmdStatus,
		"pg":      func(ts *testscript.TestScript, neg bool, args []string) { cmdPG(parent, ts, neg, args) },
		"redis":   cmdRedis,
		"alembic": cmdAlembic,
		"perm":    cmdPerm,
		"answer":  cmdAnswer,
	}
}

// cmdOpsdeck runs opsdeck with args: `opsdeck ...` must exit 0, `! opsdeck
// ...` must not; `status N` then says which code.
func cmdOpsdeck(ts *testscript.TestScript, neg bool, args []string) {
	st := stateOf(ts)
	err := ts.Exec(st.opsdeck, args...)
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("opsdeck: %v", err)
		}
		code = ee.ExitCode()
	}
	st.status = &code
	switch {
	case neg && code == 0:
		ts.Fatalf("opsdeck exited 0, want a failure")
	case !neg && code != 0:
		ts.Fatalf("opsdeck exited %d, want 0", code)
	}
}

// cmdStatus: status N asserts the exit status of the last opsdeck.
func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: status N")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	got := stateOf(ts).status
	if got == nil {
		ts.Fatalf("status: no opsdeck has run")
	}
	if *got != want {
		ts.Fatalf("opsdeck exited %d, want %d", *got, want)
	}
}

// skipShort skips the script under -short: it needs a real server.
func skipShort(ts *testscript.TestScript, what string) {
	if testing.Short() {
		stateOf(ts).t.Skip("-short: needs a real " + what + " (make test runs it)")
	}
}

// cmdPG drives the script's PostgreSQL:
//
//	pg start                  start one; PG_URL, PG_ADDR, PG_PORT, PG_USER, PG_PASSWORD, PG_DB
//	pg createdb NAME...       create databases; PG_URL_<NAME> for each
//	pg sql [-db=NAME] SQL     run SQL; rows on stdout, columns joined by |
//	pg wait [-db=NAME] SQL    wait until SQL's first row is true
//	pg session [-db=NAME] APP SQL
//	                          run SQL in a psql named APP until the script
//	                          ends; APP_PID is its backend, once active
func cmdPG(parent *testing.T, ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 0 {
		ts.Fatalf("usage: pg start|createdb|sql|wait|session ...")
	}
	st := stateOf(ts)
	if args[0] == "start" {
		skipShort(ts, "PostgreSQL")
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		pg, err := servers.StartPostgres(ctx, servers.PostgresOptions{})
		ts.Check(err)
		ts.Defer(func() { _ = pg.Stop() })
		st.pg = pg
		ts.Setenv("PG_URL", pg.URL())
		ts.Setenv("PG_ADDR", "127.0.0.1:"+strconv.Itoa(pg.Port))
		ts.Setenv("PG_PORT", strconv.Itoa(pg.Port))
		ts.Setenv("PG_USER", pg.User)
		ts.Setenv("PG_PASSWORD", pg.Password)
		ts.Setenv("PG_DB", pg.Database)
		return
	}
	pg := st.pg
	if pg == nil {
		ts.Fatalf("pg %s: no `pg start` before", args[0])
	}
	ctx := context.Background()
	cmd, args := args[0], args[1:]
	db := pg.Database
	if len(args) > 1 && strings.HasPrefix(args[0], "-db=") {
		db, args = strings.TrimPrefix(args[0], "-db="), args[1:]
	}
	switch {
	case cmd == "createdb":
		for _, name := range args {
			ts.Check(pg.Exec(ctx, "CREATE DATABASE "+name))
			ts.Setenv("PG_URL_"+name, pg.URLFor(name))
		}
	case cmd == "sql" && len(args) == 1:
		rows, err := pgQuery(ctx, pg.URLFor(db), args[0])
		if err != nil {
			if !neg {
				ts.Fatalf("pg sql: %v", err)
			}
			fmt.Fprintln(ts.Stderr(), err)
			return
		}
		if neg {
			ts.Fatalf("pg sql: succeeded, want an error")
		}
		for _, r := range rows {
			fmt.Fprintln(ts.Stdout(), r)
		}
	case cmd == "wait" && len(args) == 1:
		err := wait.For(parent, func() error {
			rows, err := pgQuery(ctx, pg.URLFor(db), args[0])
			if err != nil {
				return err
			}
			if len(rows) == 0 || rows[0] != "t" {
				return fmt.Errorf("it says %q", rows)
			}
			return nil
		})
		if err != nil {
			ts.Fatalf("pg wait %s: %v", args[0], err)
		}
	case cmd == "session" && len(args) == 2:
		p := *pg
		p.Database = db
		s, err := p.StartSession(args[0], args[1])
		ts.Check(err)
		ts.Defer(func() { _ = s.Stop() })
		wctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		pid, err := p.ActivePID(wctx, args[0])
		ts.Check(err)
		ts.Setenv(args[0]+"_PID", strconv.Itoa(pid))
	default:
		ts.Fatalf("usage: pg start|createdb NAME...|sql [-db=NAME] SQL|wait [-db=NAME] SQL|session [-db=NAME] APP SQL")
	}
}

// pgQuery runs sql (one statement or several) and returns the rows of
// every result as psql -At prints them: columns joined by |, t and f for
// booleans.
func pgQuery(ctx context.Context, url, sql string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	results, err := conn.PgConn().Exec(ctx, sql).ReadAll()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range results {
		for _, row := range r.Rows {
			cols := make([]string, len(row))
			for i, v := range row {
				cols[i] = string(v)
			}
			out = append(out, strings.Join(cols, "|"))
		}
	}
	return out, nil
}

// cmdRedis drives the script's Redis:
//
//	redis start                  start one; REDIS_URL (database 0), REDIS_ADDR, REDIS_PASSWORD
//	redis [-db=N] COMMAND ARG... send a command; its reply on stdout
func cmdRedis(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 0 {
		ts.Fatalf("usage: redis start | redis [-db=N] COMMAND ARG...")
	}
	st := stateOf(ts)
	if args[0] == "start" {
		skipShort(ts, "Redis")
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		rd, err := servers.StartRedis(ctx, servers.RedisOptions{})
		ts.Check(err)
		ts.Defer(func() { _ = rd.Stop() })
		st.redis = rd
		ts.Setenv("REDIS_URL", rd.URL(0))
		ts.Setenv("REDIS_ADDR", rd.Addr())
		ts.Setenv("REDIS_PASSWORD", rd.Password)
		return
	}
	if st.redis == nil {
		ts.Fatalf("redis: no `redis start` before")
	}
	db := 0
	if n, ok := strings.CutPrefix(args[0], "-db="); ok {
		var err error
		db, err = strconv.Atoi(n)
		ts.Check(err)
		args = args[1:]
	}
	c := goredis.NewClient(&goredis.Options{Addr: st.redis.Addr(), Password: st.redis.Password, DB: db, Protocol: 2, DisableIdentity: true})
	defer c.Close()
	cmd := make([]any, len(args))
	for i, a := range args {
		cmd[i] = a
	}
	v, err := c.Do(context.Background(), cmd...).Result()
	if err != nil && err != goredis.Nil {
		if !neg {
			ts.Fatalf("redis %v: %v", args, err)
		}
		return
	}
	if neg {
		ts.Fatalf("redis %v: succeeded, want an error", args)
	}
	fmt.Fprintln(ts.Stdout(), replyText(v))
}

func replyText(v any) string {
	if parts, ok := v.([]any); ok {
		out := make([]string, len(parts))
		for i, p := range parts {
			out[i] = replyText(p)
		}
		return strings.Join(out, "\n")
	}
	return fmt.Sprint(v)
}

// cmdAlembic: alembic DIR ARG... runs alembic in the project at DIR against
// the script's PostgreSQL (PG_URL).
func cmdAlembic(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 || neg {
		ts.Fatalf("usage: alembic DIR ARG...")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ts.Check(servers.Alembic(ctx, ts.MkAbs(args[0]), ts.Getenv("PG_URL"), args[1:]...))
}

// cmdPerm: perm MODE FILE asserts the file's permission bits (octal).
func cmdPerm(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: perm MODE FILE")
	}
	want, err := strconv.ParseUint(args[0], 8, 32)
	ts.Check(err)
	info, err := os.Stat(ts.MkAbs(args[1]))
	ts.Check(err)
	if got := info.Mode().Perm(); (got == os.FileMode(want)) == neg {
		ts.Fatalf("%s has mode %#o, want %s%#o", args[1], got, map[bool]string{true: "not "}[neg], want)
	}
}

// cmdAnswer: answer VAR FILE listens on a loopback port (VAR is its
// address) and answers each connection's first bytes with FILE, its lines
// ended by CRLF as on the wire, then closes the connection.
func cmdAnswer(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 || neg {
		ts.Fatalf("usage: answer VAR FILE")
	}
	reply := []byte(strings.ReplaceAll(ts.ReadFile(args[1]), "\n", "\r\n"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	ts.Defer(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if _, err := c.Read(make([]byte, 1024)); err == nil {
					_, _ = c.Write(reply)
				}
			}()
		}
	}()
	ts.Setenv(args[0], ln.Addr().String())
}
