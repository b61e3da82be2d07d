package celery

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"github.com/opsdeck/opsdeck/sources"
)

// maxPurge bounds the messages a purge lists (and so removes): more, and
// the purge is refused rather than guessed at.
const maxPurge = 100_000

// Queued is one message waiting in a queue: the list that holds it (the
// queue's own, or one of kombu's priority lists), its exact bytes, and the
// task it carries. Its bytes are its identity: a task re-published with
// the same id is another message (kombu gives every publish its own
// delivery tag).
type Queued struct {
	Key      string
	Body     string
	ID, Name string
}

// Listed reads every message waiting in queue, exactly as the broker holds
// them, for a purge's question.
func (c *Client) Listed(ctx context.Context, queue string) ([]Queued, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	var out []Queued
	for _, key := range priorityKeys(queue) {
		n, err := c.broker.LLen(ctx, key).Result()
		if err != nil {
			return nil, c.describe(ctx, err)
		}
		if int(n)+len(out) > maxPurge {
			return nil, fmt.Errorf("queue %s holds over %d messages: opsdeck purges only what it has listed, and will not list that many", queue, maxPurge)
		}
		vals, err := c.broker.LRange(ctx, key, 0, -1).Result()
		if err != nil {
			return nil, c.describe(ctx, err)
		}
		for _, v := range vals {
			q := Queued{Key: key, Body: v}
			if m, err := decodeTaskMessage([]byte(v)); err == nil {
				q.ID, q.Name = m.ID, m.Name
			}
			out = append(out, q)
		}
	}
	return out, nil
}

// purgeScript removes, in one step on the broker, the messages whose
// "list index:SHA-1 of the bytes" are in ARGV (as many of each as listed),
// and keeps every other in its order. It returns {removed, kept}.
const purgeScript = `local want = {}
for i = 1, #ARGV do want[ARGV[i]] = (want[ARGV[i]] or 0) + 1 end
local removed, kept = 0, 0
for k = 1, #KEYS do
  local items = redis.call('LRANGE', KEYS[k], 0, -1)
  local keep, hit = {}, false
  for _, item in ipairs(items) do
    local id = k .. ':' .. redis.sha1hex(item)
    local n = want[id]
    if n and n > 0 then
      want[id] = n - 1
      removed, hit = removed + 1, true
    else
      keep[#keep + 1] = item
    end
  end
  if hit then
    redis.call('DEL', KEYS[k])
    for i = 1, #keep, 1000 do
      redis.call('RPUSH', KEYS[k], unpack(keep, i, math.min(i + 999, #keep)))
    end
  end
  kept = kept + #keep
end
return {removed, kept}`

// PurgeExact removes from queue exactly the messages of planned, known by
// their bytes, in one script the broker runs without interleaving: one
// taken by a worker meanwhile is not there to remove, and one that arrived
// since (a re-published task included) is kept. It returns how many it
// removed and how many messages the queue keeps.
func (c *Client) PurgeExact(ctx context.Context, queue string, planned []Queued) (removed, kept int, err error) {
	ctx, cancel := context.WithTimeout(ctx, 4*c.opts.Timeout)
	defer cancel()
	keys := priorityKeys(queue)
	argv := make([]any, 0, len(planned))
	for _, m := range planned {
		i := slices.Index(keys, m.Key)
		if i < 0 {
			return 0, 0, fmt.Errorf("a planned message is in %q, which is not one of queue %s's lists", m.Key, queue)
		}
		sum := sha1.Sum([]byte(m.Body))
		argv = append(argv, strconv.Itoa(i+1)+":"+hex.EncodeToString(sum[:]))
	}
	res, err := c.broker.Eval(ctx, purgeScript, keys, argv...).Int64Slice()
	if err != nil {
		return 0, 0, c.describe(ctx, err)
	}
	if len(res) != 2 {
		return 0, 0, errors.New("the broker answered the purge script with something else than two counts")
	}
	return int(res[0]), int(res[1]), nil
}

// Revoke asks the workers to revoke task id (terminate: and to kill its
// process when it runs), and returns their answers. to names the workers
// asked (nil: every one).
func (c *Client) Revoke(ctx context.Context, id string, terminate bool, to []string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	args := map[string]any{"task_id": id, "terminate": terminate, "signal": "SIGTERM"}
	replies, err := c.BroadcastTo(ctx, to, "revoke", args, to, c.opts.ReplyWait)
	if err != nil {
		return nil, c.describe(ctx, err)
	}
	var out []string
	for host, raw := range replies {
		var r map[string]string
		_ = json.Unmarshal(raw, &r)
		out = append(out, host+": "+cut(strings.TrimSpace(r["ok"]+" "+r["error"])))
	}
	return out, nil
}

// Failed is a failed task's record in the result backend: what a retry
// sends again.
type Failed struct {
	ID, Name, Queue, Status string
	Args, Kwargs            json.RawMessage
	// Raw is the record's exact bytes: a retry is sent only while they
	// are what the question was read from.
	Raw []byte
}

// FailedTask reads task id's record from the result backend; it must be a
// failure stored with its name and arguments (result_extended).
func (c *Client) FailedTask(ctx context.Context, id string) (Failed, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	b, err := c.backend.Get(ctx, "celery-task-meta-"+id).Bytes()
	if errors.Is(err, goredis.Nil) {
		return Failed{}, fmt.Errorf("no result of task %s in the result backend (expired, or results not stored)", id)
	}
	if err != nil {
		return Failed{}, c.describe(ctx, err)
	}
	var m taskMeta
	if len(b) > maxMessage || json.Unmarshal(b, &m) != nil {
		return Failed{}, fmt.Errorf("task %s's result is not readable", id)
	}
	if m.Status != "FAILURE" {
		return Failed{}, fmt.Errorf("task %s did not fail (its state is %s): nothing to retry", id, m.Status)
	}
	if m.Name == "" || m.Args == nil {
		return Failed{}, fmt.Errorf("task %s's result has no name or arguments: the application must set result_extended=True for a retry", id)
	}
	return Failed{ID: id, Name: m.Name, Queue: m.Queue, Status: m.Status, Args: m.Args, Kwargs: m.Kwargs, Raw: b}, nil
}

// TaskRecord is task id's record in the result backend: its state ("" and
// no bytes when there is none: never run, or expired) and its exact bytes.
func (c *Client) TaskRecord(ctx context.Context, id string) (state string, raw []byte, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	b, err := c.backend.Get(ctx, "celery-task-meta-"+id).Bytes()
	if errors.Is(err, goredis.Nil) {
		return "", nil, nil
	}
	if err != nil {
		return "", nil, c.describe(ctx, err)
	}
	var m taskMeta
	if len(b) > maxMessage || json.Unmarshal(b, &m) != nil {
		return "unreadable", b, nil
	}
	return m.Status, b, nil
}

// Retry sends f again, as a new task with its name, args and kwargs, to
// its queue (the default queue when it was not stored), and returns the
// new task's id.
func (c *Client) Retry(ctx context.Context, f Failed, origin string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	id, queue, msg, err := c.message(f, origin)
	if err != nil {
		return "", err
	}
	if err := c.broker.LPush(ctx, queue, msg).Err(); err != nil {
		return "", c.describe(ctx, err)
	}
	return id, nil
}

// ErrRecordChanged is RetryIf's answer when the failure's record is no
// longer the one read: nothing was sent.
var ErrRecordChanged = errors.New("the task's record changed")

// RetryIf is Retry only while f's record in the result backend is still
// f.Raw, byte for byte. Where the backend is the broker's database, the
// check and the send are one transaction (WATCH): a record that changes
// in between makes it send nothing. Elsewhere the record is read again
// just before the send.
func (c *Client) RetryIf(ctx context.Context, f Failed, origin string) (string, error) {
	key := "celery-task-meta-" + f.ID
	same := func(ctx context.Context, get func(context.Context, string) *goredis.StringCmd) error {
		b, err := get(ctx, key).Bytes()
		if errors.Is(err, goredis.Nil) || err == nil && !bytes.Equal(b, f.Raw) {
			return ErrRecordChanged
		}
		return err
	}
	if c.backend != c.broker {
		if err := same(ctx, c.backend.Get); err != nil {
			return "", err
		}
		return c.Retry(ctx, f, origin)
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	id, queue, msg, err := c.message(f, origin)
	if err != nil {
		return "", err
	}
	err = c.broker.Watch(ctx, func(tx *goredis.Tx) error {
		if err := same(ctx, tx.Get); err != nil {
			return err
		}
		_, err := tx.TxPipelined(ctx, func(p goredis.Pipeliner) error { return p.LPush(ctx, queue, msg).Err() })
		return err
	}, key)
	switch {
	case errors.Is(err, ErrRecordChanged) || errors.Is(err, goredis.TxFailedErr):
		return "", ErrRecordChanged
	case err != nil:
		return "", c.describe(ctx, err)
	}
	return id, nil
}

// message is f as a new task: its id, its queue (the default queue when
// none was stored) and its bytes.
func (c *Client) message(f Failed, origin string) (id, queue string, msg []byte, err error) {
	queue = f.Queue
	if queue == "" {
		queue = c.opts.Queues[0]
	}
	id = newID()
	msg, err = newTaskMessage(id, f.Name, f.Args, f.Kwargs, queue, origin, newID())
	return id, queue, msg, err
}

// Running asks every worker what it runs now (`inspect active`).
func (c *Client) Running(ctx context.Context) ([]sources.CeleryRunning, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	replies, err := c.Broadcast(ctx, "active", nil, nil, c.opts.ReplyWait)
	if err != nil {
		return nil, c.describe(ctx, err)
	}
	var out []sources.CeleryRunning
	for host, raw := range replies {
		out = append(out, decodeActive(host, raw)...)
	}
	return out, nil
}

// Send puts a new task on queue, as Celery's send_task would: the demo's
// producer, and what a retry does. It returns the task's id.
func (c *Client) Send(ctx context.Context, name string, args []any, kwargs map[string]any, queue, origin string) (string, error) {
	a, err := json.Marshal(args)
	if err != nil {
		return "", err
	}
	k, err := json.Marshal(kwargs)
	if err != nil {
		return "", err
	}
	return c.Retry(ctx, Failed{Name: name, Args: a, Kwargs: k, Queue: queue}, origin)
}
