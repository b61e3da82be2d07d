package actions

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/opsdeck/opsdeck/internal/safetext"
	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources/celery"
)

// celeryHead is what every Celery plan carries: how to reach the broker,
// and what to call it.
type celeryHead struct {
	h      planHead
	opts   celery.Options
	broker string // redacted
}

func (c celeryHead) head() planHead { return c.h }

// with opens the broker for one call.
func (c celeryHead) with(fn func(*celery.Client) error) error {
	cl, err := celery.New(c.opts)
	if err != nil {
		return err
	}
	defer cl.Close()
	return fn(cl)
}

func newCeleryHead(action, env string, opts celery.Options, broker string) celeryHead {
	opts.Queues = slices.Clone(opts.Queues)
	return celeryHead{h: planHead{action: action, env: env, danger: Dangerous}, opts: opts, broker: broker}
}

// PurgePlan removes the messages waiting in a queue when it was read,
// each known by its exact bytes: one that arrives later, or is published
// again with the same task id, is kept.
type PurgePlan struct {
	celeryHead
	queue    string
	messages []celery.Queued
}

// PlanPurge lists what queue holds now.
func PlanPurge(ctx context.Context, env string, opts celery.Options, broker, queue string) (*PurgePlan, error) {
	p := &PurgePlan{celeryHead: newCeleryHead("celery-purge", env, opts, broker), queue: queue}
	err := p.with(func(c *celery.Client) error {
		msgs, err := c.Listed(ctx, queue)
		p.messages = msgs
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(p.messages) == 0 {
		return nil, fmt.Errorf("queue %s is empty: nothing to purge", queue)
	}
	return p, nil
}

// Question counts the messages and lists their tasks.
func (p *PurgePlan) Question() Question {
	q := Question{Action: p.h.action, Environment: p.h.env, Target: fmt.Sprintf("%d message(s) of queue %s on %s", len(p.messages), p.queue, p.broker),
		Head: []string{fmt.Sprintf("celery-purge in %s: purge the %d message(s) waiting in queue %s on %s now, and no other (one arriving later is kept)",
			p.h.env, len(p.messages), p.queue, p.broker)}}
	for _, m := range p.messages {
		text := m.ID + " " + m.Name
		if m.ID == "" {
			text = fmt.Sprintf("a message opsdeck cannot read (%d bytes)", len(m.Body))
		}
		q.Items = append(q.Items, Item{Text: text})
	}
	return q
}

func (p *PurgePlan) execute(ctx context.Context, emit Emit) (int, []string, error) {
	var removed, kept int
	err := p.with(func(c *celery.Client) error {
		var err error
		removed, kept, err = c.PurgeExact(ctx, p.queue, p.messages)
		return err
	})
	if err != nil {
		return 1, nil, fmt.Errorf("nothing was purged: %w", err)
	}
	line := fmt.Sprintf("purged %d of the %d message(s) listed from queue %s", removed, len(p.messages), p.queue)
	if gone := len(p.messages) - removed; gone > 0 {
		line += fmt.Sprintf("; %d were taken by workers meanwhile", gone)
	}
	if kept > 0 {
		line += fmt.Sprintf("; %d message(s) not listed were kept", kept)
	}
	return 0, emitLines(emit, line), nil
}

// RevokePlan revokes one task (terminate: kills the process running it),
// the task known by its id and what it was doing when the question was
// asked: running on a worker since a moment, or not running, in a state.
type RevokePlan struct {
	celeryHead
	id        string
	state     string // its record's state ("" for none)
	worker    string // "" when not running
	name      string
	started   time.Time
	terminate bool
}

// PlanRevoke reads where task id runs and its state.
func PlanRevoke(ctx context.Context, env string, opts celery.Options, broker, id string, terminate bool) (*RevokePlan, error) {
	action := "celery-revoke"
	if terminate {
		action = "celery-terminate"
	}
	p := &RevokePlan{celeryHead: newCeleryHead(action, env, opts, broker), id: id, terminate: terminate}
	err := p.with(func(c *celery.Client) error {
		var err error
		p.worker, p.name, p.started, p.state, err = taskNow(ctx, c, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if terminate && p.worker == "" {
		return nil, fmt.Errorf("task %s is not running on any worker: nothing to terminate (revoke it instead)", id)
	}
	if finished(p.state) && p.worker == "" {
		return nil, fmt.Errorf("task %s has finished (%s): nothing to revoke", id, p.state)
	}
	return p, nil
}

// taskNow is where task id runs (`inspect active`) and its record's state.
func taskNow(ctx context.Context, c *celery.Client, id string) (worker, name string, started time.Time, state string, err error) {
	running, err := c.Running(ctx)
	if err != nil {
		return "", "", time.Time{}, "", err
	}
	for _, r := range running {
		if r.ID == id {
			worker, name, started = r.Worker, r.Name, r.Started
		}
	}
	state, _, err = c.TaskRecord(ctx, id)
	return worker, name, started, state, err
}

func finished(state string) bool {
	return slices.Contains([]string{"SUCCESS", "FAILURE", "REVOKED"}, state)
}

// Question says where the task runs and what revoking does to it.
func (p *RevokePlan) Question() Question {
	line := fmt.Sprintf("task %s is not running now (state %s): revoked, a worker that receives it skips it", p.id, orPending(p.state))
	if p.worker != "" {
		line = fmt.Sprintf("task %s %s running on %s", p.id, p.name, p.worker)
		if !p.started.IsZero() {
			line += " for " + units.Age(time.Since(p.started))
		}
		if p.terminate {
			line += ": revoke it and kill its process on " + p.worker + " (SIGTERM)"
		} else {
			line += ": revoke it (it runs to its end; T terminates it)"
		}
	}
	target := "task " + p.id + " on " + p.broker
	if p.terminate {
		target += " (terminate, on " + p.worker + ")"
	}
	return Question{Action: p.h.action, Environment: p.h.env, Target: target, Head: []string{p.h.action + " in " + p.h.env + ":", line}}
}

func orPending(state string) string {
	if state == "" {
		return "no record: pending, or never sent"
	}
	return state
}

func (p *RevokePlan) execute(ctx context.Context, emit Emit) (int, []string, error) {
	var answers []string
	err := p.with(func(c *celery.Client) error {
		worker, _, started, state, err := taskNow(ctx, c, p.id)
		if err != nil {
			return err
		}
		switch {
		case p.worker != "" && worker == "":
			return changed("task %s is no longer running on %s since you were asked (its state is now %s)", p.id, p.worker, orPending(state))
		case p.worker != "" && (worker != p.worker || !started.Equal(p.started)):
			return changed("task %s runs on %s since %s now, not as you were asked", p.id, worker, started.Local().Format("15:04:05"))
		case p.worker == "" && worker != "":
			return changed("task %s started on %s since you were asked", p.id, worker)
		case state != p.state:
			return changed("task %s is %s now, not %s as when you were asked", p.id, orPending(state), orPending(p.state))
		}
		var to []string
		if p.terminate {
			to = []string{p.worker} // only the worker the question named kills anything
		}
		answers, err = c.Revoke(ctx, p.id, p.terminate, to)
		if err == nil && len(answers) == 0 {
			err = fmt.Errorf("no worker answered the revoke of %s", p.id)
		}
		return err
	})
	if err != nil {
		return 1, nil, err
	}
	return 0, emitLines(emit, answers...), nil
}

// maxShown bounds what a question shows of a stored value (a task's
// arguments may be megabytes); the plan keeps and sends all of it.
const maxShown = 2000

// RetryPlan sends a failed task again with its stored name and arguments,
// the failure known by its record's exact bytes.
type RetryPlan struct {
	celeryHead
	failed celery.Failed
}

// PlanRetry reads failed task id's record.
func PlanRetry(ctx context.Context, env string, opts celery.Options, broker, id string) (*RetryPlan, error) {
	p := &RetryPlan{celeryHead: newCeleryHead("celery-retry", env, opts, broker)}
	err := p.with(func(c *celery.Client) error {
		f, err := c.FailedTask(ctx, id)
		p.failed = f
		return err
	})
	if err != nil {
		return nil, err
	}
	p.failed.Args, p.failed.Kwargs, p.failed.Raw = bytes.Clone(p.failed.Args), bytes.Clone(p.failed.Kwargs), bytes.Clone(p.failed.Raw)
	return p, nil
}

// Question says what is sent, where.
func (p *RetryPlan) Question() Question {
	f := p.failed
	queue := f.Queue
	if queue == "" {
		queue = p.opts.Queues[0] + " (not stored: the first queue)"
	}
	return Question{Action: p.h.action, Environment: p.h.env, Target: "task " + f.ID + " on " + p.broker,
		Head: []string{p.h.action + " in " + p.h.env + ":", fmt.Sprintf("send %s again with args %s kwargs %s to queue %s",
			f.Name, safetext.Shorten(string(f.Args), maxShown), safetext.Shorten(string(f.Kwargs), maxShown), queue)}}
}

func (p *RetryPlan) execute(ctx context.Context, emit Emit) (int, []string, error) {
	var id string
	err := p.with(func(c *celery.Client) error {
		host, _ := os.Hostname()
		var err error
		id, err = c.RetryIf(ctx, p.failed, "opsdeck@"+host)
		if errors.Is(err, celery.ErrRecordChanged) {
			state, _, _ := c.TaskRecord(ctx, p.failed.ID)
			return changed("task %s's result changed since you were asked (its state is now %s)", p.failed.ID, orPending(state))
		}
		return err
	})
	if err != nil {
		return 1, nil, err
	}
	return 0, emitLines(emit, fmt.Sprintf("sent %s again as task %s", p.failed.Name, id)), nil
}
