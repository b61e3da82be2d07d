package sandboxtest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
)

func TestClientToolsExecAndDo(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pg := NewPostgres(t, servers.PostgresOptions{})
	if err := pg.Exec(ctx, "CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, 5);"); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, pg.URL())
	if err != nil {
		t.Fatal(err)
	}
	var n int
	conn.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n)
	conn.Close(ctx)
	if n != 5 {
		t.Errorf("rows = %d", n)
	}
	if err := pg.Exec(ctx, "SELECT * FROM missing_table"); err == nil || !strings.Contains(err.Error(), "missing_table") {
		t.Errorf("a failing statement must fail: %v", err)
	}
	if err := pg.Exec(ctx, "SELECT 1"); err != nil || strings.Contains(fmt.Sprint(err), pg.Password) {
		t.Errorf("exec: %v", err)
	}

	r := NewRedis(t, servers.RedisOptions{})
	if err := r.Do(ctx, 2, []string{"RPUSH", "q", "a", "b"}, []string{"SET", "k", "v", "EX", "60"}); err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(&redis.Options{Addr: r.Addr(), Password: r.Password, DB: 2})
	defer c.Close()
	if l, err := c.LLen(ctx, "q").Result(); err != nil || l != 2 {
		t.Errorf("LLEN = %d %v", l, err)
	}
	if ttl, _ := c.TTL(ctx, "k").Result(); ttl <= 0 {
		t.Errorf("TTL = %v", ttl)
	}
	if err := r.Do(ctx, 0, []string{"NOSUCHCOMMAND"}); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Errorf("an error reply must fail: %v", err)
	}
}
