package celery

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

// envelopeOf wraps body as kombu's Redis transport does.
func envelopeOf(body string) []byte {
	return []byte(`{"body": "` + base64.StdEncoding.EncodeToString([]byte(body)) + `", "content-encoding": "utf-8", "content-type": "application/json", "headers": {}, "properties": {"body_encoding": "base64", "delivery_info": {"exchange": "celeryev", "routing_key": "task.multi"}}}`)
}

// TestHostileEvents: malformed, oversized and odd events are counted and
// skipped, the tracker stays bounded, and the good events around them count.
func TestHostileEvents(t *testing.T) {
	tr := newTracker(time.Minute)
	now := time.Now()
	for _, raw := range [][]byte{
		[]byte("not json"),
		[]byte(`{"body": "!!!", "properties": {"body_encoding": "base64"}}`),
		envelopeOf(`{"no": "type"}`),
		envelopeOf(`[` + strings.Repeat(`{"type": "task-received"},`, maxEventsInBatch) + `{"type": "x"}]`),
		[]byte(`{"body": "` + strings.Repeat("A", maxMessage) + `"}`),
		[]byte(`{"body": "{}", "content-type": "application/x-python-serialize"}`),
	} {
		tr.message(raw, now)
	}
	if tr.malformed != 6 || tr.total != 0 {
		t.Fatalf("malformed %d total %d", tr.malformed, tr.total)
	}
	// Many names, many in-flight tasks, long fields: bounded.
	for i := range 3 * maxNames {
		tr.message(envelopeOf(`{"type": "task-received", "uuid": "u`+strings.Repeat("x", i%7)+string(rune('a'+i%26))+`", "name": "n`+strings.Repeat("y", i)+`", "hostname": "w"}`), now)
	}
	tr.message(envelopeOf(`{"type": "task-failed", "uuid": "z", "exception": "`+strings.Repeat("e", 10*maxField)+`\u001b[2J", "traceback": "Traceback\n  File x\nValueError: boom", "hostname": "w"}`), now)
	_, tasks, failures, ev, _ := tr.snapshot(now)
	if len(tr.tasks) > maxNames+1 || len(tasks) > maxNames+1 || ev.Total == 0 { // and one for the rest
		t.Errorf("%d names tracked", len(tr.tasks))
	}
	if len(failures) != 1 || len(failures[0].Exception) > maxField+len("…") || failures[0].Traceback != "ValueError: boom" {
		t.Errorf("failure: %d bytes of exception, traceback %q", len(failures[0].Exception), failures[0].Traceback)
	}
}

func FuzzDecodeEvents(f *testing.F) {
	f.Add(envelopeOf(`{"type": "worker-heartbeat", "hostname": "w1", "freq": 2.0, "active": 1, "processed": 5, "loadavg": [0.1, 0.2, 0.3, 0.4]}`))
	f.Add(envelopeOf(`[{"type": "task-received", "uuid": "a", "name": "t"}, {"type": "task-failed", "uuid": "a", "exception": "E"}]`))
	f.Add([]byte(`{"body": "{\"type\": \"task-started\"}", "properties": {}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		tr := newTracker(time.Minute)
		tr.message(raw, time.Now())
		tr.snapshot(time.Now())
		_, _, _ = decodeReply(raw)
		_, _ = unackedEntry(raw)
	})
}

// TestTaskMessageWithoutKwargs: a task sent with no kwargs carries an empty
// mapping (a worker refuses null: "Task keyword arguments is not a mapping").
func TestTaskMessageWithoutKwargs(t *testing.T) {
	for _, kw := range []string{"", "null"} {
		raw, err := newTaskMessage("id", "t", nil, []byte(kw), "default", "o", "tag")
		if err != nil {
			t.Fatal(err)
		}
		_, body, err := openEnvelope(raw)
		if err != nil || !strings.HasPrefix(string(body), `[[],{},`) {
			t.Errorf("kwargs %q: body %s %v", kw, body, err)
		}
	}
}
