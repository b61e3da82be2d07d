package glance

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/internal/testenv/harness"
	"github.com/opsdeck/opsdeck/internal/testenv/originapi"
	"github.com/opsdeck/opsdeck/internal/wire"
	"github.com/opsdeck/opsdeck/sources"
)

// TestReadRealEnvironment: one environment on a real Prometheus,
// PostgreSQL and Redis reads whole, sparklines included; with its Postgres
// killed the row says so and turns critical, the rest still read.
func TestReadRealEnvironment(t *testing.T) {
	t.Parallel()
	harness.SkipServers(t, "Prometheus, PostgreSQL and Redis")
	api := originapi.Start(t, originapi.Schedule{Start: time.Now(), Period: time.Hour, Quiet: true}, 5)
	prom := harness.NewPrometheus(t, harness.PrometheusOptions{Targets: []string{api}})
	pg := harness.NewPostgres(t, harness.PostgresOptions{})
	rd := harness.NewRedis(t, harness.RedisOptions{})
	path := filepath.Join(t.TempDir(), "o.yaml")
	yaml := fmt.Sprintf("environments:\n  qa:\n    prometheus: {url: %q}\n    postgres: {url: %q, timeout: 1s}\n    redis: {url: %q}\n", prom.URL(), pg.URL(), rd.URL(0))
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(config.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	env, err := wire.Open(cfg, "qa", "test")
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	ctx := context.Background()
	var r Row
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		r = Read(ctx, env, time.Minute, time.Now())
		if r.Signals[0].Has && finite(r.Signals[0].Points) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no requests/s with a sparkline: %+v", r.Signals[0])
		}
	}
	if len(r.Signals) != 4 || !r.Postgres.Reachable || r.Postgres.Max < 1 || !r.Redis.Reachable || r.Redis.Memory <= 0 ||
		!r.Alerts.Known || r.Level() != sources.StatusOK {
		t.Fatalf("healthy: %+v (level %s)", r, r.Level())
	}
	if err := pg.Kill(); err != nil {
		t.Fatal(err)
	}
	r = Read(ctx, env, time.Minute, time.Now())
	if r.Postgres.Reachable || r.Postgres.Err == "" || r.Level() != sources.StatusCrit || !r.Signals[0].Has || !r.Redis.Reachable {
		t.Fatalf("Postgres killed: %+v (level %s)", r, r.Level())
	}
}

func finite(points []float64) int {
	n := 0
	for _, p := range points {
		if !math.IsNaN(p) {
			n++
		}
	}
	return n
}
