package celery

import (
	"context"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/testenv/harness"
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
	rd := harness.NewRedis(t, harness.RedisOptions{})
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
