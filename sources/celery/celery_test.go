package celery

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
	"github.com/opsdeck/opsdeck/sources"
)

func newClient(t *testing.T, o Options) *Client {
	t.Helper()
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// pollUntil polls until cond holds and returns the state that held.
func pollUntil(t *testing.T, c *Client, what string, cond func(sources.CeleryState) bool) sources.CeleryState {
	t.Helper()
	var st sources.CeleryState
	wait.Eventually(t, what, func() error {
		var err error
		if st, err = c.Poll(context.Background(), sources.CeleryRequest{Running: true}); err == nil && !cond(st) {
			err = fmt.Errorf("the last poll: %+v", st)
		}
		return err
	})
	return st
}

func worker(st sources.CeleryState, host string) (sources.CeleryWorker, bool) {
	i := slices.IndexFunc(st.Workers, func(w sources.CeleryWorker) bool { return w.Hostname == host })
	if i < 0 {
		return sources.CeleryWorker{}, false
	}
	return st.Workers[i], true
}

func task(st sources.CeleryState, name string) sources.CeleryTask {
	i := slices.IndexFunc(st.Tasks, func(t sources.CeleryTask) bool { return t.Name == name })
	if i < 0 {
		return sources.CeleryTask{}
	}
	return st.Tasks[i]
}

// TestWorkersTasksAndFailures: real workers (prefork and gevent) and tasks
// sent through Celery's own API: the workers come online within a poll,
// the counts equal what was sent, a failure carries its exception and the
// args the backend stored, retries are counted; a killed worker is gone
// within two heartbeats and the task it ran is lost.
func TestWorkersTasksAndFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rd := sandboxtest.NewRedis(t, servers.RedisOptions{})
	broker := rd.URL(0)
	c := newClient(t, Options{BrokerURL: broker, Window: 15 * time.Minute})
	pollUntil(t, c, "the event stream up", func(st sources.CeleryState) bool { return !st.Events.Since.IsZero() })

	w1 := sandboxtest.NewCeleryWorker(t, servers.CeleryOptions{BrokerURL: broker, Name: "w1", Pool: "prefork", Concurrency: 2})
	w2 := sandboxtest.NewCeleryWorker(t, servers.CeleryOptions{BrokerURL: broker, Name: "w2", Pool: "gevent", Concurrency: 4, Queues: []string{"high_priority", "low_priority"}})
	st := pollUntil(t, c, "both workers online", func(st sources.CeleryState) bool {
		a, okA := worker(st, w1.Hostname)
		b, okB := worker(st, w2.Hostname)
		return okA && okB && a.Online && b.Online && a.Pool != "" && b.Pool != ""
	})
	a, _ := worker(st, w1.Hostname)
	b, _ := worker(st, w2.Hostname)
	// With heartbeats and the pools known, a poll that does not ask what
	// runs sends no control command; one that asks sends one.
	sent := c.broadcasts.Load()
	for range 3 {
		if st, err := c.Poll(ctx, sources.CeleryRequest{}); err != nil || len(st.Workers) != 2 || !st.Workers[0].Online || !st.Workers[1].Online {
			t.Fatalf("poll without running: %+v %v", st.Workers, err)
		}
	}
	if n := c.broadcasts.Load() - sent; n != 0 {
		t.Errorf("%d control commands sent by polls that needed none", n)
	}
	if _, err := c.Poll(ctx, sources.CeleryRequest{Running: true}); err != nil || c.broadcasts.Load()-sent != 1 {
		t.Errorf("a poll asking what runs sent %d commands (%v), want 1", c.broadcasts.Load()-sent, err)
	}
	if a.Pool != "prefork" || a.Concurrency != 2 || b.Pool != "gevent/eventlet" || b.Concurrency != 4 || !a.SendsEvents {
		t.Errorf("pools: %+v %+v", a, b)
	}

	send := func(name string, n int, args ...any) []string {
		t.Helper()
		ids, err := servers.CelerySend(ctx, broker, name, n, args, nil)
		if err != nil || len(ids) != n {
			t.Fatalf("send %s: %v %v", name, ids, err)
		}
		return ids
	}
	send("app.tasks.summarize", 20, 7)
	failed := send("app.tasks.reindex_embeddings", 3, "nightly")
	send("app.tasks.sync_profile", 2, 42)
	send("app.tasks.notify_user", 4, 1)
	st = pollUntil(t, c, "every task ended", func(st sources.CeleryState) bool {
		return task(st, "app.tasks.summarize").Succeeded == 20 && task(st, "app.tasks.reindex_embeddings").Failed == 3 &&
			task(st, "app.tasks.sync_profile").Succeeded == 2 && task(st, "app.tasks.notify_user").Succeeded == 4
	})
	for name, want := range map[string][5]int64{
		"app.tasks.summarize":          {20, 20, 20, 0, 0},
		"app.tasks.reindex_embeddings": {3, 3, 0, 3, 0},
		"app.tasks.sync_profile":       {6, 6, 2, 0, 4}, // each received three times: twice retried
		"app.tasks.notify_user":        {4, 4, 4, 0, 0},
	} {
		got := task(st, name)
		if [5]int64{got.Received, got.Started, got.Succeeded, got.Failed, got.Retried} != want {
			t.Errorf("%s: received %d started %d succeeded %d failed %d retried %d, want %v", name, got.Received, got.Started, got.Succeeded, got.Failed, got.Retried, want)
		}
		if got.Succeeded > 0 && (got.P50 == nil || got.P95 == nil || *got.P95 < *got.P50) {
			t.Errorf("%s: runtimes %v %v", name, got.P50, got.P95)
		}
	}
	if r := task(st, "app.tasks.summarize").ReceivedPerSec; r <= 0 || r*st.Window.Seconds() < 19.9 {
		t.Errorf("rate %v over %s", r, st.Window)
	}
	var f sources.CeleryFailure
	for _, x := range st.Failures {
		if x.ID == failed[0] {
			f = x
		}
	}
	if w, _ := worker(st, w1.Hostname); w.Failed != 3 {
		t.Errorf("worker %s failed %d tasks, want 3", w1.Hostname, w.Failed)
	}
	if f.Name != "app.tasks.reindex_embeddings" || !strings.Contains(f.Exception, "embedding dimension mismatch") || f.Worker != w1.Hostname ||
		f.Args != `["nightly"]` || f.Queue != "default" || !strings.Contains(f.Traceback, "ValueError") {
		t.Errorf("failure: %+v", f)
	}

	// A worker killed mid-task: gone within two heartbeats (2 s each), its
	// task lost.
	send("app.tasks.export_conversations", 1, 60)
	pollUntil(t, c, "the long task running", func(st sources.CeleryState) bool {
		w, _ := worker(st, w1.Hostname)
		return len(w.Running) == 1 && w.Running[0].Name == "app.tasks.export_conversations"
	})
	if err := w1.Kill(); err != nil {
		t.Fatal(err)
	}
	// Gone within two heartbeats: no poll begun more than two heartbeats'
	// time after the last one seen says it is online (a poll itself takes
	// a reply's wait, so the time from the kill depends on the machine).
	const beats = 2 * 2 * time.Second
	wait.Eventually(t, "the killed worker gone", func() error {
		began := time.Now()
		st, err := c.Poll(context.Background(), sources.CeleryRequest{Running: true})
		if err != nil {
			return err
		}
		w, _ := worker(st, w1.Hostname)
		if !w.Online {
			return nil
		}
		if late := began.Sub(w.LastSeen); late > beats {
			t.Errorf("a poll begun %s after the last heartbeat seen still has the killed worker online: want gone after %s", late.Round(time.Millisecond), beats)
			return nil
		}
		return fmt.Errorf("online, last seen %s", w.LastSeen.Format("15:04:05.000"))
	})
	st = pollUntil(t, c, "the task lost", func(st sources.CeleryState) bool {
		return slices.ContainsFunc(st.Failures, func(f sources.CeleryFailure) bool { return f.Lost && f.Name == "app.tasks.export_conversations" })
	})
	if w, _ := worker(st, w2.Hostname); !w.Online {
		t.Errorf("the other worker went with it: %+v", w)
	}
}

// TestQueuesAndWorkersWithoutEvents: waiting messages per queue, counted
// with kombu's priority lists; a worker started without -E answers control
// commands and is said to send no events.
func TestQueuesAndWorkersWithoutEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rd := sandboxtest.NewRedis(t, servers.RedisOptions{})
	broker := rd.URL(0)
	c := newClient(t, Options{BrokerURL: broker})
	for name, n := range map[string]int{"app.tasks.summarize": 5, "app.tasks.notify_user": 3, "app.tasks.cleanup_sessions": 2} {
		if _, err := servers.CelerySend(ctx, broker, name, n, []any{1}, nil); err != nil {
			t.Fatal(err)
		}
	}
	st, err := c.Poll(ctx, sources.CeleryRequest{Running: true})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"default": 5, "high_priority": 3, "low_priority": 2}
	for _, q := range st.Queues {
		if q.Waiting != want[q.Name] || q.Unacked != 0 {
			t.Errorf("queue %s: waiting %d unacked %d, want %d waiting", q.Name, q.Waiting, q.Unacked, want[q.Name])
		}
	}
	w := sandboxtest.NewCeleryWorker(t, servers.CeleryOptions{BrokerURL: broker, Name: "quiet", NoEvents: true, Queues: []string{"low_priority"}})
	st = pollUntil(t, c, "the quiet worker said to send no events", func(st sources.CeleryState) bool {
		qw, ok := worker(st, w.Hostname)
		return ok && qw.Online && !qw.SendsEvents && slices.ContainsFunc(st.Problems, func(p string) bool { return strings.Contains(p, "start them with -E") })
	})
	for _, q := range st.Queues {
		if q.Name == "low_priority" && q.Waiting != 0 {
			t.Errorf("the quiet worker did not take its queue: %+v", q)
		}
	}
}
