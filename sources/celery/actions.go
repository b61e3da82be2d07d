package celery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"github.com/opsdeck/opsdeck/sources"
)

// maxPurge bounds the messages a purge previews (and so removes): more,
// and the purge is refused rather than guessed at.
const maxPurge = 100_000

// Waiting lists the ids of the messages waiting in queue (its list and
// kombu's priority lists), for a purge's preview.
func (c *Client) Waiting(ctx context.Context, queue string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	var ids []string
	for _, key := range priorityKeys(queue) {
		n, err := c.broker.LLen(ctx, key).Result()
		if err != nil {
			return nil, c.describe(ctx, err)
		}
		if int(n)+len(ids) > maxPurge {
			return nil, fmt.Errorf("queue %s holds over %d messages: opsdeck purges only what it has listed, and will not list that many", queue, maxPurge)
		}
		vals, err := c.broker.LRange(ctx, key, 0, -1).Result()
		if err != nil {
			return nil, c.describe(ctx, err)
		}
		for _, v := range vals {
			if m, err := decodeTaskMessage([]byte(v)); err == nil {
				ids = append(ids, m.ID)
			}
		}
	}
	return ids, nil
}

// Purge removes from queue exactly the messages whose ids are in ids (the
// preview's): one taken by a worker meanwhile is not there to remove, and
// one that arrived since is kept. It returns how many it removed.
func (c *Client) Purge(ctx context.Context, queue string, ids []string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 4*c.opts.Timeout)
	defer cancel()
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	removed := 0
	for _, key := range priorityKeys(queue) {
		vals, err := c.broker.LRange(ctx, key, 0, -1).Result()
		if err != nil {
			return removed, c.describe(ctx, err)
		}
		pipe := c.broker.Pipeline()
		var cmds []*goredis.IntCmd
		for _, v := range vals {
			if m, err := decodeTaskMessage([]byte(v)); err == nil && want[m.ID] {
				// LREM by value: exactly that message, wherever it is now.
				cmds = append(cmds, pipe.LRem(ctx, key, 1, v))
			}
		}
		if len(cmds) == 0 {
			continue
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return removed, c.describe(ctx, err)
		}
		for _, cmd := range cmds {
			removed += int(cmd.Val())
		}
	}
	return removed, nil
}

// Revoke asks every worker to revoke task id (terminate: and to kill its
// process when it runs), and returns the workers' answers.
func (c *Client) Revoke(ctx context.Context, id string, terminate bool) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	args := map[string]any{"task_id": id, "terminate": terminate, "signal": "SIGTERM"}
	replies, err := c.Broadcast(ctx, "revoke", args, nil, c.opts.ReplyWait)
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
	return Failed{ID: id, Name: m.Name, Queue: m.Queue, Status: m.Status, Args: m.Args, Kwargs: m.Kwargs}, nil
}

// Retry sends f again, as a new task with its name, args and kwargs, to
// its queue (the default queue when it was not stored), and returns the
// new task's id.
func (c *Client) Retry(ctx context.Context, f Failed, origin string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	queue := f.Queue
	if queue == "" {
		queue = c.opts.Queues[0]
	}
	id := newID()
	msg, err := newTaskMessage(id, f.Name, f.Args, f.Kwargs, queue, origin, newID())
	if err != nil {
		return "", err
	}
	if err := c.broker.LPush(ctx, queue, msg).Err(); err != nil {
		return "", c.describe(ctx, err)
	}
	return id, nil
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
