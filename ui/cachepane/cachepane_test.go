package cachepane

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/theme"
)

var t0 = time.Date(2026, 11, 30, 14, 30, 0, 0, time.UTC)

func f(v float64) *float64 { return &v }

func TestCacheFields(t *testing.T) {
	hit, growth := 0.981, int64(12)
	s := sources.CacheState{Version: "7.2.4", Role: "master", Uptime: 9 * 3600, Ping: 300 * time.Microsecond,
		ConnectedClients: 23, BlockedClients: 2, UsedMemory: 318 << 20, MaxMemory: 1 << 30, MaxMemoryPolicy: "allkeys-lru", Fragmentation: 1.12,
		OpsPerSec: 1840, HitRatio: &hit,
		Keyspace:    []sources.CacheDB{{DB: 0, Keys: 48_210, Expires: 40_002}},
		Persistence: sources.CachePersistence{RDBLastStatus: "err", RDBLastSave: t0.Add(-4 * time.Minute), RDBChanges: 1200},
		Queues:      []sources.Queue{{Name: "celery", Length: 137, Growth: &growth, GrowthOver: 4 * time.Minute}, {Name: "emails", Length: 0}},
		SlowLog:     []sources.SlowEntry{{Duration: 12 * time.Millisecond, Command: "KEYS\n session:*"}},
	}
	got := ansi.Strip(strings.Join(summaryLines(theme.New(theme.Dark(), true), s, sources.Thresholds{Warn: f(100), Crit: f(1000)},
		sources.Thresholds{Warn: f(0.8), Crit: f(0.95)}, 120, 30, false, t0), "\n"))
	for _, want := range []string{
		"Redis 7.2.4 master · up 9h00m",
		"⚠ 137 queued celery (+12 in 4m) · 0 emails", // over warn: the line says so
		"31.1 % mem · 318 MiB / 1 GiB allkeys-lru · 1.12 frag",
		"23 clients (2 blocked) · 1840 ops/s · 98.1 % hits",
		"48.2k keys db0 (40k exp)",
		"✖ rdb err saved 4m ago (1200 changes) · aof off · 0 replica(s)",
		"12 ms KEYS session:*", // one line, whatever the command held
	} {
		if !strings.Contains(got, want) {
			t.Errorf("%q missing:\n%s", want, got)
		}
	}
	s.Queues = s.Queues[1:]
	if got := ansi.Strip(strings.Join(summaryLines(theme.New(theme.Dark(), true), s, sources.Thresholds{Warn: f(100)}, sources.Thresholds{}, 120, 30, false, t0), "\n")); !strings.Contains(got, "0 queued emails") || strings.Contains(got, "⚠") {
		t.Errorf("calm queues:\n%s", got)
	}
}
