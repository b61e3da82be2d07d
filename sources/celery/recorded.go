package celery

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/sources"
)

// recordedScan bounds the keys a poll looks at in the result backend for
// recorded failures: a backend may hold millions of results.
const recordedScan = 2000

// recordedFailures is how many recorded failures a poll lists.
const recordedFailures = 10

// recordedMeta is the part of a task's stored result a failure list needs.
type recordedMeta struct {
	taskMeta
	TaskID    string          `json:"task_id"`
	DateDone  string          `json:"date_done"`
	Traceback string          `json:"traceback"`
	Result    json.RawMessage `json:"result"`
}

// recorded reads the failures the result backend holds from the window:
// what a poll shows when it has not listened to the events long enough to
// have seen them fail (a one-shot snapshot or check). It looks at no more
// than recordedScan keys, newest results unknown first: a sample, said so by
// the caller's window.
func (c *Client) recorded(ctx context.Context, since time.Time) []sources.CeleryFailure {
	var keys []string
	var cursor uint64
	for len(keys) < recordedScan {
		batch, next, err := c.backend.Scan(ctx, cursor, "celery-task-meta-*", 500).Result()
		if err != nil {
			return nil
		}
		keys, cursor = append(keys, batch...), next
		if cursor == 0 {
			break
		}
	}
	if len(keys) == 0 {
		return nil
	}
	keys = keys[:min(len(keys), recordedScan)]
	var out []sources.CeleryFailure
	// In batches: a result with its traceback is some 2 KB, and the whole
	// scan's answer need not be held at once.
	for batch := range slices.Chunk(keys, recordedBatch) {
		vals, err := c.backend.MGet(ctx, batch...).Result()
		if err != nil {
			return nil
		}
		for _, v := range vals {
			if f, ok := recordedFailure(v, since); ok {
				out = append(out, f)
			}
		}
		slices.SortFunc(out, func(a, b sources.CeleryFailure) int { return b.At.Compare(a.At) })
		out = out[:min(len(out), recordedFailures)]
	}
	return out
}

// recordedBatch is how many results one MGET of recorded reads.
const recordedBatch = 200

// recordedFailure is a stored result v as a failure, when it is one that
// ended at since or later.
func recordedFailure(v any, since time.Time) (sources.CeleryFailure, bool) {
	raw, ok := v.(string)
	if !ok || len(raw) > maxMessage {
		return sources.CeleryFailure{}, false
	}
	var m recordedMeta
	if json.Unmarshal([]byte(raw), &m) != nil || m.Status != "FAILURE" {
		return sources.CeleryFailure{}, false
	}
	at, err := doneAt(m.DateDone)
	if err != nil || at.Before(since) {
		return sources.CeleryFailure{}, false
	}
	f := sources.CeleryFailure{ID: cut(m.TaskID), Name: cut(m.Name), Worker: cut(m.Worker), Queue: cut(m.Queue), At: at,
		Exception: cut(exceptionOf(m.Result)), Traceback: cut(lastLine(m.Traceback))}
	if m.Args != nil {
		f.Args = cut(string(m.Args))
	}
	if m.Kwargs != nil {
		f.Kwargs = cut(string(m.Kwargs))
	}
	return f, true
}

// exceptionOf is a stored exception as Python writes it: Type('message').
func exceptionOf(raw json.RawMessage) string {
	var e struct {
		Type    string `json:"exc_type"`
		Message any    `json:"exc_message"`
	}
	if json.Unmarshal(raw, &e) != nil || e.Type == "" {
		return strings.Trim(string(raw), `"`)
	}
	msg := ""
	switch m := e.Message.(type) {
	case []any:
		parts := make([]string, len(m))
		for i, x := range m {
			b, _ := json.Marshal(x)
			parts[i] = strings.ReplaceAll(string(b), `"`, "'")
		}
		msg = strings.Join(parts, ", ")
	case string:
		msg = "'" + m + "'"
	}
	return e.Type + "(" + msg + ")"
}

// doneAt reads date_done: ISO 8601 in UTC, with an offset (Celery 5.3 on) or
// without (earlier).
func doneAt(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Parse("2006-01-02T15:04:05.999999", s)
}
