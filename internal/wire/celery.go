package wire

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources/celery"
)

// CeleryActions are the Celery actions' names, as `opsdeck run` takes them.
var CeleryActions = []string{"celery-purge", "celery-revoke", "celery-retry"}

// Celery is a Celery action in environment name: purge (arg: a queue),
// revoke or terminate (arg: a task id) or retry (a failed task's id).
// Guarded like any change, audited. Shows reads what it would reach and
// Call does exactly that: a purge removes the messages Shows listed, not
// one that arrived since. Each opens the broker for its call alone.
func Celery(cfg *config.Config, name, kind, arg string) (actions.Environment, actions.Spec, error) {
	env, _, err := Actions(cfg, name)
	if err != nil {
		return env, actions.Spec{}, err
	}
	e, _ := cfg.Get(name)
	if e.Celery.BrokerURL == "" {
		return env, actions.Spec{}, fmt.Errorf("environment %s has no Celery: set celery.broker_url (or CELERY_BROKER_URL)", name)
	}
	if arg == "" {
		what := "a task id (--task)"
		if kind == "purge" {
			what = "a queue (--queue)"
		}
		return env, actions.Spec{}, fmt.Errorf("celery %s needs %s", kind, what)
	}
	scrubber := redact.NewScrubber(cfg.Secrets()...)
	o := celery.Options{BrokerURL: e.Celery.BrokerURL, ResultURL: e.Celery.ResultBackend, Queues: e.Celery.Queues,
		Timeout: e.Celery.Timeout.D(), Scrubber: scrubber}
	with := func(ctx context.Context, fn func(*celery.Client) ([]string, error)) ([]string, error) {
		c, err := celery.New(o)
		if err != nil {
			return nil, err
		}
		defer c.Close()
		return fn(c)
	}
	broker := redact.URL(e.Celery.BrokerURL)
	switch kind {
	case "purge":
		var listed []string // what Shows listed: what Call removes
		return env, actions.Spec{Name: "celery-purge", Kind: actions.Dangerous, Target: fmt.Sprintf("queue %s on %s", arg, broker),
			Shows: func(ctx context.Context) ([]string, error) {
				return with(ctx, func(c *celery.Client) ([]string, error) {
					ids, err := c.Waiting(ctx, arg)
					if err != nil {
						return nil, err
					}
					if len(ids) == 0 {
						return nil, fmt.Errorf("queue %s is empty: nothing to purge", arg)
					}
					listed = ids
					return []string{fmt.Sprintf("purge %d waiting message(s) from queue %s on %s (those listed now: one arriving later is kept)", len(ids), arg, broker)}, nil
				})
			},
			Call: func(ctx context.Context) ([]string, error) {
				if listed == nil {
					return nil, fmt.Errorf("nothing was listed to purge")
				}
				return with(ctx, func(c *celery.Client) ([]string, error) {
					n, err := c.Purge(ctx, arg, listed)
					if err != nil {
						return nil, err
					}
					line := fmt.Sprintf("purged %d message(s) from queue %s", n, arg)
					if n < len(listed) {
						line += fmt.Sprintf(" (%d of the %d listed were taken by workers meanwhile)", len(listed)-n, len(listed))
					}
					return []string{line}, nil
				})
			}}, nil
	case "revoke", "terminate":
		terminate := kind == "terminate"
		target := "task " + arg + " on " + broker
		if terminate {
			target += " (terminate)"
		}
		return env, actions.Spec{Name: "celery-revoke", Kind: actions.Dangerous, Target: target,
			Shows: func(ctx context.Context) ([]string, error) {
				return with(ctx, func(c *celery.Client) ([]string, error) {
					running, err := c.Running(ctx)
					if err != nil {
						return nil, err
					}
					for _, r := range running {
						if r.ID == arg {
							line := fmt.Sprintf("task %s %s running on %s", r.ID, r.Name, r.Worker)
							if !r.Started.IsZero() {
								line += " for " + units.Age(time.Since(r.Started))
							}
							if terminate {
								line += ": revoke it and kill its process (SIGTERM)"
							} else {
								line += ": revoke it (it runs to its end; T terminates it)"
							}
							return []string{line}, nil
						}
					}
					if terminate {
						return nil, fmt.Errorf("task %s is not running on any worker: nothing to terminate (revoke it instead)", arg)
					}
					return []string{fmt.Sprintf("task %s is not running now: revoked, a worker that receives it skips it", arg)}, nil
				})
			},
			Call: func(ctx context.Context) ([]string, error) {
				return with(ctx, func(c *celery.Client) ([]string, error) {
					answers, err := c.Revoke(ctx, arg, terminate)
					if err != nil {
						return nil, err
					}
					if len(answers) == 0 {
						return nil, fmt.Errorf("no worker answered the revoke of %s", arg)
					}
					return answers, nil
				})
			}}, nil
	case "retry":
		var failed celery.Failed
		return env, actions.Spec{Name: "celery-retry", Kind: actions.Dangerous, Target: "task " + arg + " on " + broker,
			Shows: func(ctx context.Context) ([]string, error) {
				return with(ctx, func(c *celery.Client) ([]string, error) {
					f, err := c.FailedTask(ctx, arg)
					if err != nil {
						return nil, err
					}
					failed = f
					queue := f.Queue
					if queue == "" {
						queue = o.Queues[0] + " (not stored: the first queue)"
					}
					return []string{fmt.Sprintf("send %s again with args %s kwargs %s to queue %s", f.Name, f.Args, f.Kwargs, queue)}, nil
				})
			},
			Call: func(ctx context.Context) ([]string, error) {
				if failed.ID == "" {
					return nil, fmt.Errorf("the failed task was not read")
				}
				return with(ctx, func(c *celery.Client) ([]string, error) {
					host, _ := os.Hostname()
					id, err := c.Retry(ctx, failed, "opsdeck@"+host)
					if err != nil {
						return nil, err
					}
					return []string{fmt.Sprintf("sent %s again as task %s", failed.Name, id)}, nil
				})
			}}, nil
	}
	return env, actions.Spec{}, fmt.Errorf("no Celery action %q (have: purge, revoke, terminate, retry)", kind)
}

// CeleryKind is the kind of action a `run` name and its flags mean.
func CeleryKind(action string, terminate bool) string {
	k := strings.TrimPrefix(action, "celery-")
	if k == "revoke" && terminate {
		return "terminate"
	}
	return k
}
