package celery

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/sources"
)

// cpuTime is this process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkEvents1000PerSecond: another process publishes 1,000 task
// events a second on the broker, as busy workers do, for five seconds;
// the client consumes them on its one connection. Budget: at most 0.2
// CPU-seconds per second for the whole process, every event counted.
func BenchmarkEvents1000PerSecond(b *testing.B) {
	rd := sandboxtest.NewRedis(b, servers.RedisOptions{})
	c, err := New(Options{BrokerURL: rd.URL(0)})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if _, err := c.Poll(ctx, sources.CeleryRequest{Running: true}); err != nil {
		b.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); c.tr.up().IsZero(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatal("the event stream never came up")
		}
	}
	// A realistic message: one task-succeeded event, as kombu wraps it.
	event := envelopeOf(`[{"hostname": "w1@host", "utcoffset": 0, "pid": 4242, "clock": 1234, "uuid": "4a594cc4-2a82-4609-bf7e-4561cebe5e1d", "result": "{'conversation_id': 7, 'words': 100}", "runtime": 0.0045, "timestamp": 1796029228.17, "type": "task-succeeded", "local_received": 1796029228.18}]`)
	dir := b.TempDir()
	payload := filepath.Join(dir, "event.json")
	if err := os.WriteFile(payload, event, 0o600); err != nil {
		b.Fatal(err)
	}
	const rate, seconds = 1000, 5
	script := fmt.Sprintf(`import redis, sys, time
r = redis.Redis(host="127.0.0.1", port=%d, password=sys.argv[1])
msg = open(%q, "rb").read()
start = time.time()
for i in range(%d):
    r.publish("/0.celeryev/task.multi", msg)
    ahead = start + (i + 1) / %d - time.time()
    if ahead > 0:
        time.sleep(ahead)
`, rd.Port, payload, rate*seconds, rate)
	for b.Loop() {
		before, cpu0 := c.tr.count(), cpuTime()
		start := time.Now()
		cmd := exec.Command("/usr/bin/python3", "-c", script, rd.Password)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("publisher: %v %s", err, out)
		}
		time.Sleep(200 * time.Millisecond) // the last messages in flight
		elapsed, cpu := time.Since(start), cpuTime()-cpu0
		got := c.tr.count() - before
		perSec := cpu.Seconds() / elapsed.Seconds()
		b.ReportMetric(perSec, "cpu-s/s")
		b.ReportMetric(float64(got)/elapsed.Seconds(), "events/s")
		if got < rate*seconds {
			b.Errorf("%d of %d events counted", got, rate*seconds)
		}
		if perSec > 0.2 {
			b.Errorf("%.3f CPU-s per second at %d events a second: over the 0.2 budget", perSec, rate)
		}
	}
}

// count is the events the tracker has folded in so far.
func (t *tracker) count() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.total
}

// up is when the event stream came up (zero while it is down).
func (t *tracker) up() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.since
}
