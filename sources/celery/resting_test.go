package celery

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
	"github.com/opsdeck/opsdeck/sources"
)

// restingChild holds the broker's URL in the process that
// TestEventPacketsWakeNoThread listens in.
const restingChild = "OPSDECK_TEST_RESTING_BROKER"

// threadSwitches is the voluntary context switches of every thread of this
// process so far: each is a thread that blocked and was woken.
func threadSwitches(t *testing.T) int {
	t.Helper()
	paths, _ := filepath.Glob("/proc/self/task/*/status")
	if len(paths) == 0 {
		t.Fatal("no /proc/self/task: cannot count context switches here")
	}
	n := 0
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // a thread that ended
		}
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && k == "voluntary_ctxt_switches" {
				c, _ := strconv.Atoi(strings.TrimSpace(v))
				n += c
			}
		}
	}
	return n
}

// TestEventPacketsWakeNoThread: events published one at a time, each its
// own packet, do not wake the listening process once a packet: its
// subscription's socket rests (SO_RCVLOWAT) and is read once a second.
// The reading goroutine rested before too (TestEventsReadOncePerSecond);
// the network poller did not, and woke a thread for every packet. The
// same events are sent to a listener whose socket does not rest, for the
// count to compare with. Each listener runs in a process of its own (this
// test again), the publisher here, so that only its threads are counted.
func TestEventPacketsWakeNoThread(t *testing.T) {
	if url := os.Getenv(restingChild); url != "" {
		listenAndCount(t, url, os.Getenv(restingChild+"_PLAIN") != "")
		return
	}
	rd := sandboxtest.NewRedis(t, servers.RedisOptions{})
	const events = 200
	plain := countListening(t, rd, events, true)
	resting := countListening(t, rd, events, false)
	t.Logf("%d events one a packet: %d context switches of the listener's threads resting, %d on a plain connection", events, resting, plain)
	// A packet that woke the poller cost a thread a switch or two (and the
	// runtime's monitor its short sleeps after); resting, a second costs
	// a few whatever came in it.
	if resting+events/2 > plain {
		t.Errorf("resting, the listener switched %d times for %d events, against %d on a plain connection: the subscription's socket does not rest", resting, events, plain)
	}
}

// countListening runs a listener in a process of its own (this test
// again), publishes events to it one a packet, some 30 a second, and
// returns the context switches of its threads meanwhile.
func countListening(t *testing.T, rd *servers.Redis, events int, plain bool) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestEventPacketsWakeNoThread$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), restingChild+"="+rd.URL(0))
	if plain {
		cmd.Env = append(cmd.Env, restingChild+"_PLAIN=1")
	}
	in, _ := cmd.StdinPipe()
	outPipe, _ := cmd.StdoutPipe()
	var errOut strings.Builder
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer in.Close()
	out := bufio.NewScanner(outPipe)
	var said []string
	line := func(prefix string) string {
		for out.Scan() {
			said = append(said, out.Text())
			if rest, ok := strings.CutPrefix(strings.TrimSpace(out.Text()), prefix); ok {
				return rest
			}
		}
		t.Fatalf("the listener ended before %q:\n%s\n%s", prefix, strings.Join(said, "\n"), errOut.String())
		return ""
	}
	line("listening")
	pub := goredis.NewClient(&goredis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", rd.Port), Password: rd.Password})
	defer pub.Close()
	for i := range events {
		msg := envelopeOf(fmt.Sprintf(`{"type": "task-received", "uuid": "u%d", "name": "t", "hostname": "w"}`, i))
		if err := pub.Publish(context.Background(), "/0.celeryev/task.received", msg).Err(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(30 * time.Millisecond) // one event a packet
	}
	fmt.Fprintf(in, "%d\n", events)
	got, err := strconv.Atoi(line("switches "))
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// listenAndCount is the listener's side: subscribe (on a plain
// connection: its socket made to rest no more), say so, count the threads'
// switches until the number of events the publisher then names have all
// been counted, and print them.
func listenAndCount(t *testing.T, url string, plain bool) {
	c, err := New(Options{BrokerURL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Poll(context.Background(), sources.CeleryRequest{}); err != nil {
		t.Fatal(err)
	}
	wait.Eventually(t, "the event stream up", func() error {
		if c.tr.up().IsZero() {
			return fmt.Errorf("not subscribed yet")
		}
		return nil
	})
	if plain {
		rc := c.eventsConn.Load()
		if rc == nil {
			t.Fatal("the subscription has no resting connection")
		}
		rc.armed.Store(false)
		setLowat(t, rc, 1)
	}
	before, counted := threadSwitches(t), c.tr.count()
	fmt.Println("listening")
	var events int
	if _, err := fmt.Fscanln(os.Stdin, &events); err != nil {
		t.Fatal(err)
	}
	wait.Eventually(t, "every event counted", func() error {
		if got := c.tr.count() - counted; got < int64(events) {
			return fmt.Errorf("%d of %d counted", got, events)
		}
		return nil
	})
	fmt.Printf("switches %d\n", threadSwitches(t)-before)
}

// setLowat sets the socket's SO_RCVLOWAT (1: the kernel's default).
func setLowat(t *testing.T, rc *restingConn, n int) {
	raw, err := rc.Conn.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVLOWAT, n)
	}); err != nil || serr != nil {
		t.Fatal(err, serr)
	}
}

// TestBeatDatedWithinTheRestingSecond: a heartbeat read at the end of the
// second it came in is dated by its own timestamp, which is trusted only
// within that second.
func TestBeatDatedWithinTheRestingSecond(t *testing.T) {
	now := time.Date(2026, 12, 6, 23, 0, 0, 0, time.UTC)
	at := func(d time.Duration) float64 { return float64(now.Add(d).UnixNano()) / 1e9 }
	for _, c := range []struct {
		name string
		ts   float64
		want time.Time
	}{
		{"sent 0.6 s before it was read", at(-600 * time.Millisecond), now.Add(-600 * time.Millisecond)},
		{"a sender's clock an hour behind", at(-time.Hour), now.Add(-time.Second)},
		{"a sender's clock ahead", at(time.Minute), now},
		{"no timestamp", 0, now},
	} {
		got := beatAt(Event{Type: "worker-heartbeat", Timestamp: c.ts}, now)
		if d := got.Sub(c.want).Abs(); d > time.Millisecond {
			t.Errorf("%s: dated %s, want %s", c.name, got.Format(time.RFC3339Nano), c.want.Format(time.RFC3339Nano))
		}
	}
}
