package sandboxtest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
)

// The bounds below are each server's start on a slow machine, with room; a
// first build of a pinned server takes minutes, and its bound allows for it.

// NewPostgres starts a server for one test and stops it when the test ends.
func NewPostgres(t testing.TB, opts servers.PostgresOptions) *servers.Postgres {
	t.Helper()
	return startFor(t, "PostgreSQL", 60*time.Second, func(ctx context.Context) (*servers.Postgres, error) { return servers.StartPostgres(ctx, opts) })
}

// NewReplica starts a replica of primary for one test.
func NewReplica(t testing.TB, primary *servers.Postgres) *servers.Postgres {
	t.Helper()
	return startFor(t, "PostgreSQL replica", 60*time.Second, func(ctx context.Context) (*servers.Postgres, error) { return servers.StartReplica(ctx, primary) })
}

// NewPgbouncer starts pgbouncer in front of pg for one test.
func NewPgbouncer(t testing.TB, pg *servers.Postgres, opts servers.PgbouncerOptions) *servers.Pgbouncer {
	t.Helper()
	return startFor(t, "pgbouncer", 30*time.Second, func(ctx context.Context) (*servers.Pgbouncer, error) { return servers.StartPgbouncer(ctx, pg, opts) })
}

// NewRedis starts a server for one test and stops it when the test ends.
func NewRedis(t testing.TB, opts servers.RedisOptions) *servers.Redis {
	t.Helper()
	return startFor(t, "Redis", 30*time.Second, func(ctx context.Context) (*servers.Redis, error) { return servers.StartRedis(ctx, opts) })
}

// NewRedisCluster starts a cluster for one test.
func NewRedisCluster(t testing.TB, masters int) *servers.RedisCluster {
	t.Helper()
	return startFor(t, "Redis Cluster", 60*time.Second, func(ctx context.Context) (*servers.RedisCluster, error) {
		return servers.StartRedisCluster(ctx, masters)
	})
}

// NewSentinel starts a Sentinel watching master under name, for one test;
// password is the sentinel's own ("" for none).
func NewSentinel(t testing.TB, master *servers.Redis, name, password string) *servers.Redis {
	t.Helper()
	conf := fmt.Sprintf("sentinel monitor %s 127.0.0.1 %d 1\n", name, master.Port)
	if master.Password != "" {
		conf += fmt.Sprintf("sentinel auth-pass %s %s\n", name, master.Password)
	}
	return startFor(t, "Redis Sentinel", 30*time.Second, func(ctx context.Context) (*servers.Redis, error) {
		return servers.StartRedis(ctx, servers.RedisOptions{Password: password, NoPassword: password == "", Sentinel: true, Config: conf})
	})
}

// NewPrometheus starts a server for one test and stops it when the test
// ends; the current release is built first when the cache has none.
func NewPrometheus(t testing.TB, opts servers.PrometheusOptions) *servers.Prometheus {
	t.Helper()
	timeout := 60 * time.Second
	if opts.Current && !servers.PrometheusBuilt() {
		timeout = 20 * time.Minute
	}
	return startFor(t, "Prometheus", timeout, func(ctx context.Context) (*servers.Prometheus, error) { return servers.StartPrometheus(ctx, opts) })
}

// NewAlertmanager starts Alertmanager for one test and stops it when the
// test ends.
func NewAlertmanager(t testing.TB) *servers.Alertmanager {
	t.Helper()
	return startFor(t, "Alertmanager", time.Minute, servers.StartAlertmanager)
}

// NewJaeger starts Jaeger for one test and stops it when the test ends.
func NewJaeger(t testing.TB) *servers.Jaeger {
	t.Helper()
	return startFor(t, "Jaeger", 20*time.Minute, servers.StartJaeger)
}

// NewCeleryWorker starts a worker for one test and stops it when the test ends.
func NewCeleryWorker(t testing.TB, o servers.CeleryOptions) *servers.CeleryWorker {
	t.Helper()
	return startFor(t, "Celery worker", 60*time.Second, func(ctx context.Context) (*servers.CeleryWorker, error) { return servers.StartCeleryWorker(ctx, o) })
}

// NewVictoriaLogs starts VictoriaLogs for one test and stops it when the
// test ends; a first build takes a minute or two, and the bound allows for it.
func NewVictoriaLogs(t testing.TB) *servers.VictoriaLogs {
	t.Helper()
	timeout := time.Minute
	if !servers.VictoriaLogsBuilt() {
		timeout = 20 * time.Minute
	}
	return startFor(t, "VictoriaLogs", timeout, servers.StartVictoriaLogs)
}
