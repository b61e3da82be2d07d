package actions

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/internal/sandbox/faults"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
)

const resetSchema = `
CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY);
INSERT INTO alembic_version VALUES ('c7d0e5f19a24');
CREATE TABLE users (id serial PRIMARY KEY, email text);
CREATE TABLE conversations (id serial PRIMARY KEY, user_id int REFERENCES users(id));
CREATE TABLE settings (k text PRIMARY KEY);
INSERT INTO users (email) SELECT 'u' || g FROM generate_series(1, 30) g;
INSERT INTO conversations (user_id) SELECT 1 + g % 30 FROM generate_series(1, 60) g;
INSERT INTO settings VALUES ('kept');
ANALYZE;`

func count(t *testing.T, conn *pgx.Conn, table string) int {
	t.Helper()
	var n int
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func setup(t *testing.T) (*servers.Postgres, *servers.Redis, *pgx.Conn) {
	t.Helper()
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	rd := sandboxtest.NewRedis(t, servers.RedisOptions{})
	ctx := context.Background()
	if err := pg.Exec(ctx, resetSchema); err != nil {
		t.Fatal(err)
	}
	var cmds [][]string
	for i := 0; i < 25; i++ {
		cmds = append(cmds, []string{"SET", "k" + strconv.Itoa(i), "v"})
	}
	if err := rd.Do(ctx, 0, cmds...); err != nil {
		t.Fatal(err)
	}
	if err := rd.Do(ctx, 1, []string{"SET", "result", "kept"}); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, pg.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return pg, rd, conn
}

// lockUsers holds a lock on users from another session, in an open
// transaction, until the test ends or the caller rolls back: a TRUNCATE
// waits for it.
func lockUsers(t *testing.T, pg *servers.Postgres) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	locker, err := pgx.Connect(ctx, pg.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { locker.Close(context.Background()) })
	if _, err := locker.Exec(ctx, "BEGIN; LOCK TABLE users IN ACCESS SHARE MODE"); err != nil {
		t.Fatal(err)
	}
	return locker
}

// TestResetEmptiesWhatItShowed: every table but alembic_version and the
// keep list is empty, identities restart, the configured Redis database is
// empty and the others are untouched.
func TestResetEmptiesWhatItShowed(t *testing.T) {
	t.Parallel()
	pg, rd, conn := setup(t)
	ctx := context.Background()
	r := &ResetAction{DatabaseURL: pg.URL(), Keep: []string{"settings"}, RedisURL: rd.URL(0), Scrubber: redact.NewScrubber(pg.Password, rd.Password)}
	plan, err := r.Preview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.tables) != 2 || plan.tables[0].Name != "conversations" || plan.tables[0].Rows != 60 || plan.tables[1].Name != "users" ||
		len(plan.redis) != 1 || plan.redis[0].DB != 0 || plan.redis[0].Keys != 25 {
		t.Fatalf("plan = %+v", plan)
	}
	if d := plan.Describe(); !strings.Contains(d, "empty 2 table(s), ~90 rows, in 127.0.0.1:") || strings.Contains(d, pg.Password) || !strings.Contains(d, "db 0 (25 keys)") {
		t.Errorf("describe: %s", d)
	}
	res, err := r.Execute(ctx, plan)
	if err != nil || res.RedisErr != "" || len(res.Truncated) != 2 || len(res.Flushed) != 1 {
		t.Fatalf("execute: %+v %v", res, err)
	}
	if count(t, conn, "users") != 0 || count(t, conn, "conversations") != 0 || count(t, conn, "settings") != 1 {
		t.Error("tables not as they should be after the reset")
	}
	var version string
	if err := conn.QueryRow(ctx, "SELECT version_num FROM alembic_version").Scan(&version); err != nil || version != "c7d0e5f19a24" {
		t.Errorf("alembic_version = %q %v", version, err)
	}
	var id int
	if err := conn.QueryRow(ctx, "INSERT INTO users (email) VALUES ('new') RETURNING id").Scan(&id); err != nil || id != 1 {
		t.Errorf("identity not restarted: id %d %v", id, err)
	}
	if n, _ := rd.Get(ctx, "DBSIZE"); n != "0" {
		t.Errorf("redis db 0 has %s keys", n)
	}
	db1 := goredis.NewClient(&goredis.Options{Addr: rd.Addr(), Password: rd.Password, DB: 1, Protocol: 2})
	defer db1.Close()
	if v, err := db1.Get(ctx, "result").Result(); err != nil || v != "kept" {
		t.Errorf("redis db 1 touched: %q %v", v, err)
	}
}

// TestResetRefusesAChangedPlanAndIsAllOrNothing: a table created since the
// preview makes it refuse with the new list; a truncate that cannot finish
// truncates nothing; Redis lost after the truncate is said exactly.
func TestResetRefusesAChangedPlanAndIsAllOrNothing(t *testing.T) {
	t.Parallel()
	pg, rd, conn := setup(t)
	ctx := context.Background()
	proxy := faults.NewProxy(t, rd.Addr())
	r := &ResetAction{DatabaseURL: pg.URL(), RedisURL: strings.Replace(rd.URL(0), rd.Addr(), proxy.Addr(), 1)}
	plan, err := r.Preview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE late (id int)"); err != nil {
		t.Fatal(err)
	}
	_, err = r.Execute(ctx, plan)
	var changed *ErrPlanChanged
	if !errors.As(err, &changed) || len(changed.New.tables) != len(plan.tables)+1 || count(t, conn, "users") != 30 {
		t.Fatalf("changed plan: %v", err)
	}
	plan = changed.New

	// Another session holds a lock: the truncate cannot finish in time.
	locker := lockUsers(t, pg)
	short, cancel := context.WithTimeout(ctx, time.Second)
	_, err = r.Execute(short, plan)
	cancel()
	if err == nil || !strings.Contains(err.Error(), "nothing was truncated") || count(t, conn, "conversations") != 60 || count(t, conn, "users") != 30 {
		t.Fatalf("interrupted truncate: %v (conversations %d)", err, count(t, conn, "conversations"))
	}
	if _, err := locker.Exec(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}

	// Redis goes away after the preview: nothing is truncated, as the
	// plan's Redis cannot be reached to be checked.
	proxy.Down()
	if _, err := r.Execute(ctx, plan); err == nil || count(t, conn, "users") != 30 {
		t.Fatalf("redis down before the reset: %v (users %d)", err, count(t, conn, "users"))
	}
	if err := proxy.Up(); err != nil {
		t.Fatal(err)
	}

	// Redis goes away while the truncate waits for its lock: the tables
	// are emptied, and the output says exactly that Redis was not.
	locker = lockUsers(t, pg)
	type result struct {
		res ResetResult
		err error
	}
	done := make(chan result, 1)
	go func() { res, err := r.Execute(ctx, plan); done <- result{res, err} }()
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	if _, err := pg.WaitingPID(wctx, "opsdeck reset"); err != nil {
		t.Fatal(err)
	}
	proxy.Down()
	if _, err := locker.Exec(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	got := <-done
	if got.err != nil || count(t, conn, "users") != 0 || !strings.Contains(got.res.RedisErr, "tables truncated, but redis db 0 was NOT flushed") || len(got.res.Flushed) != 0 {
		t.Fatalf("redis lost: %+v %v", got.res, got.err)
	}
}

// TestResetDatabaseLostMidwayTruncatesNothing: the connection is cut while
// the truncate waits inside its transaction; nothing is truncated.
func TestResetDatabaseLostMidwayTruncatesNothing(t *testing.T) {
	t.Parallel()
	pg, _, conn := setup(t)
	ctx := context.Background()
	proxy := faults.NewProxy(t, "127.0.0.1:"+strconv.Itoa(pg.Port))
	r := &ResetAction{DatabaseURL: strings.Replace(pg.URL(), "127.0.0.1:"+strconv.Itoa(pg.Port), proxy.Addr(), 1)}
	plan, err := r.Preview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	locker := lockUsers(t, pg)
	done := make(chan error, 1)
	go func() { _, err := r.Execute(ctx, plan); done <- err }()
	// Wait until the reset's TRUNCATE is inside its transaction, waiting on the lock.
	wait.Eventually(t, "the reset's truncate waiting on the lock", func() error {
		var waiting int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'opsdeck reset' AND wait_event_type = 'Lock'").Scan(&waiting); err != nil {
			return err
		}
		if waiting != 1 {
			return fmt.Errorf("%d sessions of the reset wait on a lock", waiting)
		}
		return nil
	})
	proxy.Down()
	wait.Eventually(t, "the reset to notice the lost connection", func() error {
		select {
		case err = <-done:
			return nil
		default:
			return errors.New("still running")
		}
	})
	if _, rbErr := locker.Exec(ctx, "ROLLBACK"); rbErr != nil {
		t.Fatal(rbErr)
	}
	if err == nil || !strings.Contains(err.Error(), "nothing was truncated") {
		t.Errorf("error = %v", err)
	}
	// The server rolls the orphaned transaction back: every row is still there.
	wait.Eventually(t, "every row back", func() error {
		if c, u := count(t, conn, "conversations"), count(t, conn, "users"); c != 60 || u != 30 {
			return fmt.Errorf("rows lost: conversations %d users %d", c, u)
		}
		return nil
	})
}

// TestResetValuesAreNeverSQL: the keep list and the schemas come from the
// configuration, which may take them from the environment; table names come
// from the database. Written to break out of SQL, each stays a name: the
// kept table keeps its rows, the oddly named one is emptied, nothing else runs.
func TestResetValuesAreNeverSQL(t *testing.T) {
	t.Parallel()
	pg, _, conn := setup(t)
	ctx := context.Background()
	weird := `odd"name'; DROP TABLE settings; --`
	if err := pg.Exec(ctx, `CREATE TABLE "odd""name'; DROP TABLE settings; --" (id int); INSERT INTO "odd""name'; DROP TABLE settings; --" VALUES (1), (2); ANALYZE;`); err != nil {
		t.Fatal(err)
	}
	r := &ResetAction{DatabaseURL: pg.URL(), Scrubber: redact.NewScrubber(pg.Password),
		Keep:    []string{"settings", `x'); DROP TABLE settings; --`, `settings"; DROP TABLE settings; --`},
		Schemas: []string{"public", `public'); DROP TABLE settings; --`}}
	plan, err := r.Preview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tb := range plan.tables {
		names = append(names, tb.Name)
	}
	if strings.Join(names, "|") != "conversations|"+weird+"|users" {
		t.Fatalf("plan = %q", names)
	}
	if _, err := r.Execute(ctx, plan); err != nil {
		t.Fatal(err)
	}
	quoted := `"odd""name'; DROP TABLE settings; --"`
	if count(t, conn, "settings") != 1 || count(t, conn, quoted) != 0 || count(t, conn, "users") != 0 {
		t.Error("a value from the configuration ran as SQL, or the odd table was not emptied")
	}
}
