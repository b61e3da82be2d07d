package celery

import (
	"context"
	"fmt"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
	"github.com/opsdeck/opsdeck/sources"
)

// TestEventsReadOncePerSecond: events published one at a time, many a
// second, are all counted, and the stream wakes the client about once a
// second for them rather than once an event (each wake-up of an idle
// console is a context switch of its thread and of the runtime's monitor).
func TestEventsReadOncePerSecond(t *testing.T) {
	rd := sandboxtest.NewRedis(t, servers.RedisOptions{})
	c, err := New(Options{BrokerURL: rd.URL(0)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if _, err := c.Poll(ctx, sources.CeleryRequest{}); err != nil {
		t.Fatal(err)
	}
	wait.Eventually(t, "the event stream up", func() error {
		if c.tr.up().IsZero() {
			return fmt.Errorf("not subscribed yet")
		}
		return nil
	})
	pub := goredis.NewClient(&goredis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", rd.Port), Password: rd.Password})
	defer pub.Close()
	const events = 60
	before := c.tr.count()
	start := time.Now()
	for i := range events {
		msg := envelopeOf(fmt.Sprintf(`{"type": "task-received", "uuid": "u%d", "name": "t", "hostname": "w"}`, i))
		if err := pub.Publish(ctx, "/0.celeryev/task.received", msg).Err(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(40 * time.Millisecond) // pacing: one event at a time, 25 a second
	}
	wait.Eventually(t, "every event counted", func() error {
		if got := c.tr.count() - before; got < events {
			return fmt.Errorf("%d of %d counted", got, events)
		}
		return nil
	})
	seconds := time.Since(start).Seconds()
	// One wake-up per second begun, and one for the first event.
	if waits, most := c.waits.Load(), int64(seconds)+2; waits > most {
		t.Errorf("%d wake-ups for %d events over %.1f s: want at most %d", waits, events, seconds, most)
	}
}
