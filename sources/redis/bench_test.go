package redis

import (
	"context"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
)

// BenchmarkPoll: one poll of a single server with a million keys in 4
// databases and two queues. Budget (docs/PERFORMANCE.md): at most 2 round
// trips (the poll reads INFO and lengths, never the keys, so the key count
// costs nothing).
func BenchmarkPoll(b *testing.B) {
	const maxRoundTrips = 2
	ctx := context.Background()
	srv := sandboxtest.NewRedis(b, servers.RedisOptions{})
	const perDB = 250_000
	for db := 0; db < 4; db++ {
		fill := "for i = 1, ARGV[1] do redis.call('SET', 'k' .. i, 'v') end"
		if err := srv.Do(ctx, db, []string{"EVAL", fill, "0", itoa(perDB)}); err != nil {
			b.Fatal(err)
		}
	}
	if err := srv.Do(ctx, 0, []string{"RPUSH", "celery", "a", "b", "c"}); err != nil {
		b.Fatal(err)
	}
	dial := &countingDial{}
	c, err := New(Options{URL: srv.URL(0), Queues: []string{"celery", "emails"}, Dial: dial.dial})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	st, err := c.Poll(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if len(st.Keyspace) != 4 || st.Keyspace[3].Keys != perDB {
		b.Fatalf("keyspace %+v", st.Keyspace)
	}
	dial.reset()
	n := 0
	var worst time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if _, err := c.Poll(ctx); err != nil {
			b.Fatal(err)
		}
		worst = max(worst, time.Since(start))
		n++
	}
	b.StopTimer()
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
	trips := float64(dial.writes.Load()) / float64(n)
	b.ReportMetric(trips, "round-trips/op")
	if trips > maxRoundTrips {
		b.Errorf("%.1f round trips per poll: over the budget of %d", trips, maxRoundTrips)
	}
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
