package celery

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/sources"
)

// TestRecordedFailuresReadOnceWhileListening: while the event stream is up,
// the result backend's failures are read once, by the first poll after it
// came up, and later polls of the first recordedAfter reuse that read (a
// failure after it is the stream's to bring): a backend of thousands of
// results is not scanned and decoded every poll.
func TestRecordedFailuresReadOnceWhileListening(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rd := sandboxtest.NewRedis(t, servers.RedisOptions{})
	c := newClient(t, Options{BrokerURL: rd.URL(0)})
	record := func(id string) {
		t.Helper()
		v := `{"status": "FAILURE", "task_id": "` + id + `", "name": "app.tasks.summarize", "args": [1], "kwargs": {}, "queue": "default", ` +
			`"result": {"exc_type": "ValueError", "exc_message": ["boom"]}, "date_done": "` + time.Now().UTC().Format("2006-01-02T15:04:05.999999") + `"}`
		if err := c.backend.Set(ctx, "celery-task-meta-"+id, v, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	record("00000000-0000-4000-8000-00000000000a")
	listening := func(st sources.CeleryState) bool { return !st.Events.Since.IsZero() && len(st.Failures) == 1 }
	st := pollUntil(t, c, "the stream up and the recorded failure listed", listening)
	if st.Failures[0].Exception != "ValueError('boom')" {
		t.Fatalf("the recorded failure: %+v", st.Failures[0])
	}
	record("00000000-0000-4000-8000-00000000000b")
	st, err := c.Poll(ctx, sources.CeleryRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(st.Events.Since) >= recordedAfter {
		t.Skip("the machine took longer than recordedAfter between two polls")
	}
	if len(st.Failures) != 1 || st.Failures[0].ID != "00000000-0000-4000-8000-00000000000a" {
		t.Errorf("the backend was read again: %+v", st.Failures)
	}
}

// TestRecordedFailuresOverBatches: the backend is read in batches of
// recordedBatch, and the newest recordedFailures failures of them all are
// listed, newest first, whichever batch they were in.
func TestRecordedFailuresOverBatches(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rd := sandboxtest.NewRedis(t, servers.RedisOptions{})
	c := newClient(t, Options{BrokerURL: rd.URL(0)})
	now := time.Now().UTC()
	pipe := c.backend.Pipeline()
	for i := range 2*recordedBatch + 50 {
		status := "SUCCESS"
		if i%37 == 0 {
			status = "FAILURE"
		}
		done := now.Add(-time.Duration(i) * time.Second).Format("2006-01-02T15:04:05.999999")
		pipe.Set(ctx, fmt.Sprintf("celery-task-meta-%08d-0000-4000-8000-000000000000", i),
			`{"status": "`+status+`", "task_id": "`+fmt.Sprintf("%08d", i)+`", "name": "app.tasks.summarize", "date_done": "`+done+`"}`, 0)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	got := c.recorded(ctx, now.Add(-time.Hour))
	if len(got) != recordedFailures {
		t.Fatalf("%d failures listed", len(got))
	}
	for i, f := range got {
		if want := fmt.Sprintf("%08d", i*37); f.ID != want {
			t.Errorf("failure %d is %s, want %s", i, f.ID, want)
		}
	}
}
