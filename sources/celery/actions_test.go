package celery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
)

// TestPurgeRemovesExactlyWhatWasListed: the purge's list is taken; then a
// worker takes one listed message and publishes it again (a retry: the
// same task id, a new delivery tag), and new messages arrive. The purge
// removes the listed messages still there and nothing else: the
// re-published one and the new ones stay; other queues keep theirs.
func TestPurgeRemovesExactlyWhatWasListed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rd := sandboxtest.NewRedis(t, servers.RedisOptions{})
	broker := rd.URL(0)
	c := newClient(t, Options{BrokerURL: broker})
	if _, err := servers.CelerySend(ctx, broker, "app.tasks.cleanup_sessions", 5, []any{"1h"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := servers.CelerySend(ctx, broker, "app.tasks.summarize", 3, []any{1}, nil); err != nil {
		t.Fatal(err)
	}
	listed, err := c.Listed(ctx, "low_priority")
	if err != nil || len(listed) != 5 {
		t.Fatalf("listed %v %v", listed, err)
	}
	later, err := servers.CelerySend(ctx, broker, "app.tasks.cleanup_sessions", 2, []any{"2h"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	taken := listed[0]
	if n, err := c.broker.LRem(ctx, taken.Key, 1, taken.Body).Result(); err != nil || n != 1 {
		t.Fatalf("taking a message: %d %v", n, err)
	}
	var msg map[string]any
	if err := json.Unmarshal([]byte(taken.Body), &msg); err != nil {
		t.Fatal(err)
	}
	msg["properties"].(map[string]any)["delivery_tag"] = "republished-tag"
	again, _ := json.Marshal(msg)
	if err := c.broker.LPush(ctx, taken.Key, again).Err(); err != nil {
		t.Fatal(err)
	}
	removed, kept, err := c.PurgeExact(ctx, "low_priority", listed)
	if err != nil || removed != 4 || kept != 3 {
		t.Fatalf("purged %d, kept %d, %v; want 4 removed (one was taken) and 3 kept", removed, kept, err)
	}
	left, _ := c.Listed(ctx, "low_priority")
	var ids []string
	for _, m := range left {
		ids = append(ids, m.ID)
	}
	slices.Sort(ids)
	want := []string{later[0], later[1], taken.ID}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Errorf("left %v, want the two sent after the list and the re-published one %v", ids, want)
	}
	if d, _ := c.Listed(ctx, "default"); len(d) != 3 {
		t.Errorf("another queue touched: %d left in default", len(d))
	}
}

// TestRevokeAndRetry: terminate stops a long task on a real worker; a
// failed task is sent again with the name and args the backend stored,
// and runs (its own record in the backend says so).
func TestRevokeAndRetry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rd := sandboxtest.NewRedis(t, servers.RedisOptions{})
	broker := rd.URL(0)
	sandboxtest.NewCeleryWorker(t, servers.CeleryOptions{BrokerURL: broker, Name: "w1"})
	c := newClient(t, Options{BrokerURL: broker})
	long, err := servers.CelerySend(ctx, broker, "app.tasks.export_conversations", 1, []any{120}, nil)
	if err != nil {
		t.Fatal(err)
	}
	wait.Eventually(t, "the long task running", func() error {
		running, err := c.Running(ctx)
		if err == nil && (len(running) != 1 || running[0].ID != long[0]) {
			err = fmt.Errorf("running: %v", running)
		}
		return err
	})
	answers, err := c.Revoke(ctx, long[0], true, []string{running0(t, c)})
	if err != nil || len(answers) != 1 || !strings.Contains(answers[0], long[0]) {
		t.Fatalf("revoke: %v %v", answers, err)
	}
	waitState := func(id, want string) map[string]any {
		t.Helper()
		ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		m, err := servers.CeleryResult(ctx, broker, id, want)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	waitState(long[0], "REVOKED")
	if running, _ := c.Running(ctx); len(running) != 0 {
		t.Errorf("still running after terminate: %v", running)
	}

	failed, err := servers.CelerySend(ctx, broker, "app.tasks.reindex_embeddings", 1, []any{"retry-me"}, nil)
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

// running0 is the worker running the one task that runs.
func running0(t *testing.T, c *Client) string {
	t.Helper()
	running, err := c.Running(context.Background())
	if err != nil || len(running) != 1 {
		t.Fatalf("running: %v %v", running, err)
	}
	return running[0].Worker
}

// TestRetryIfSendsOnlyWhileTheRecordIsUnchanged: with the result backend
// the broker's own database (one transaction) and another one (read again
// before the send), a failure whose record changed since it was read is
// not sent again; an unchanged one is.
func TestRetryIfSendsOnlyWhileTheRecordIsUnchanged(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rd := sandboxtest.NewRedis(t, servers.RedisOptions{})
	for _, backend := range []int{0, 1} {
		c := newClient(t, Options{BrokerURL: rd.URL(0), ResultURL: rd.URL(backend)})
		id := fmt.Sprintf("0000000%d-0000-4000-8000-000000000000", backend)
		record := `{"status": "FAILURE", "task_id": "` + id + `", "name": "app.tasks.summarize", "args": [1], "kwargs": {}, "queue": "default"}`
		if err := c.backend.Set(ctx, "celery-task-meta-"+id, record, 0).Err(); err != nil {
			t.Fatal(err)
		}
		f, err := c.FailedTask(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.backend.Set(ctx, "celery-task-meta-"+id, strings.Replace(record, "FAILURE", "SUCCESS", 1), 0).Err(); err != nil {
			t.Fatal(err)
		}
		if _, err := c.RetryIf(ctx, f, "test"); !errors.Is(err, ErrRecordChanged) {
			t.Errorf("backend db %d: a changed record: %v", backend, err)
		}
		if n := c.broker.LLen(ctx, "default").Val(); n != 0 {
			t.Errorf("backend db %d: %d sent for a changed record", backend, n)
		}
		if err := c.backend.Set(ctx, "celery-task-meta-"+id, record, 0).Err(); err != nil {
			t.Fatal(err)
		}
		if _, err := c.RetryIf(ctx, f, "test"); err != nil {
			t.Errorf("backend db %d: an unchanged record: %v", backend, err)
		}
		if n := c.broker.LLen(ctx, "default").Val(); n != 1 {
			t.Errorf("backend db %d: %d sent for an unchanged record, want 1", backend, n)
		}
		c.broker.Del(ctx, "default")
	}
}
