package celery

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/testenv/harness"
)

// TestPurgeRemovesExactlyWhatWasListed: the purge's list is taken, more
// messages arrive, the purge removes the listed ones alone; other queues
// keep theirs.
func TestPurgeRemovesExactlyWhatWasListed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rd := harness.NewRedis(t, harness.RedisOptions{})
	broker := rd.URL(0)
	c := newClient(t, Options{BrokerURL: broker})
	if _, err := harness.CelerySend(ctx, broker, "app.tasks.cleanup_sessions", 5, []any{"1h"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := harness.CelerySend(ctx, broker, "app.tasks.summarize", 3, []any{1}, nil); err != nil {
		t.Fatal(err)
	}
	listed, err := c.Waiting(ctx, "low_priority")
	if err != nil || len(listed) != 5 {
		t.Fatalf("listed %v %v", listed, err)
	}
	later, err := harness.CelerySend(ctx, broker, "app.tasks.cleanup_sessions", 2, []any{"2h"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	n, err := c.Purge(ctx, "low_priority", listed)
	if err != nil || n != 5 {
		t.Fatalf("purged %d, %v; want 5", n, err)
	}
	left, _ := c.Waiting(ctx, "low_priority")
	if len(left) != 2 || !(left[0] == later[0] || left[0] == later[1]) {
		t.Errorf("left %v, want the two sent after the list %v", left, later)
	}
	if d, _ := c.Waiting(ctx, "default"); len(d) != 3 {
		t.Errorf("another queue touched: %d left in default", len(d))
	}
}

// TestRevokeAndRetry: terminate stops a long task on a real worker; a
// failed task is sent again with the name and args the backend stored,
// and runs (its own record in the backend says so).
func TestRevokeAndRetry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rd := harness.NewRedis(t, harness.RedisOptions{})
	broker := rd.URL(0)
	harness.NewCeleryWorker(t, harness.CeleryOptions{BrokerURL: broker, Name: "w1"})
	c := newClient(t, Options{BrokerURL: broker})
	long, err := harness.CelerySend(ctx, broker, "app.tasks.export_conversations", 1, []any{120}, nil)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		running, err := c.Running(ctx)
		if err == nil && len(running) == 1 && running[0].ID == long[0] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the long task never ran: %v %v", running, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	answers, err := c.Revoke(ctx, long[0], true)
	if err != nil || len(answers) != 1 || !strings.Contains(answers[0], long[0]) {
		t.Fatalf("revoke: %v %v", answers, err)
	}
	waitState := func(id, want string) map[string]any {
		t.Helper()
		ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		m, err := harness.CeleryResult(ctx, broker, id, want)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	waitState(long[0], "REVOKED")
	if running, _ := c.Running(ctx); len(running) != 0 {
		t.Errorf("still running after terminate: %v", running)
	}

	failed, err := harness.CelerySend(ctx, broker, "app.tasks.reindex_embeddings", 1, []any{"retry-me"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitState(failed[0], "FAILURE")
	f, err := c.FailedTask(ctx, failed[0])
	if err != nil || f.Name != "app.tasks.reindex_embeddings" || string(f.Args) != `["retry-me"]` || f.Queue != "default" {
		t.Fatalf("failed task %+v %v", f, err)
	}
	again, err := c.Retry(ctx, f, "opsdeck@test")
	if err != nil || again == failed[0] {
		t.Fatalf("retry: %q %v", again, err)
	}
	m := waitState(again, "FAILURE") // it ran again, with the same args, and failed the same way
	if args, _ := json.Marshal(m["args"]); string(args) != `["retry-me"]` || m["name"] != "app.tasks.reindex_embeddings" || !strings.Contains(m["result"].(map[string]any)["exc_message"].([]any)[0].(string), "retry-me") {
		t.Errorf("the retried task's record: %v", m)
	}
	if _, err := c.FailedTask(ctx, "no-such-task"); err == nil || !strings.Contains(err.Error(), "no result of task") {
		t.Errorf("unknown task: %v", err)
	}
}
