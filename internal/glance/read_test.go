package glance

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/internal/sandbox/originapi"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
	"github.com/opsdeck/opsdeck/internal/wire"
	"github.com/opsdeck/opsdeck/sources"
)

// TestReadRealEnvironment: one environment on a real Prometheus,
// PostgreSQL and Redis reads whole, sparklines included; with its Postgres
// killed the row says so and turns critical, the rest still read.
func TestReadRealEnvironment(t *testing.T) {
	t.Parallel()
	sandboxtest.SkipServers(t, "Prometheus, PostgreSQL and Redis")
	api := originapi.Start(t, originapi.Schedule{Start: time.Now(), Period: time.Hour, Quiet: true}, 5)
	prom := sandboxtest.NewPrometheus(t, servers.PrometheusOptions{Targets: []string{api}})
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	rd := sandboxtest.NewRedis(t, servers.RedisOptions{})
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
	wait.Eventually(t, "requests/s with a sparkline", func() error {
		if r = Read(ctx, env, time.Minute, time.Now()); !r.Signals[0].Has || finite(r.Signals[0].Points) < 2 {
			return fmt.Errorf("requests/s read %+v", r.Signals[0])
		}
		return nil
	})
	if len(r.Signals) != 4 || !up(r, "postgres", "PG ") || !up(r, "redis", "Redis ") || !up(r, "alerts", "no alerts") || r.Level() != sources.StatusOK {
		t.Fatalf("healthy: %+v (level %s)", r, r.Level())
	}
	if err := pg.Kill(); err != nil {
		t.Fatal(err)
	}
	r = Read(ctx, env, time.Minute, time.Now())
	if pg, _ := r.Part("postgres"); pg.Down == "" || r.Level() != sources.StatusCrit || !r.Signals[0].Has || !up(r, "redis", "Redis ") {
		t.Fatalf("Postgres killed: %+v (level %s)", r, r.Level())
	}
}

// up reports whether source was read and its first cell starts with text.
func up(r Row, source, text string) bool {
	p, ok := r.Part(source)
	return ok && p.Configured && p.Down == "" && len(p.Cells) > 0 && strings.HasPrefix(p.Cells[0].Text, text)
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
