package wire

import (
	"context"
	"fmt"
	"strings"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/sources/celery"
)

// CeleryActions are the Celery actions' names, as `opsdeck run` takes them.
var CeleryActions = []string{"celery-purge", "celery-revoke", "celery-retry"}

// Celery is a Celery action in environment name: purge (arg: a queue),
// revoke or terminate (arg: a task id) or retry (a failed task's id).
// Guarded like any change, audited, planned on what the broker holds when
// asked; each plan opens the broker for its call alone.
func Celery(cfg *config.Config, name, kind, arg string) (actions.Environment, actions.Spec, error) {
	env, err := GuardOver(cfg, name, config.ReachBroker)
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
	o := celery.Options{BrokerURL: e.Celery.BrokerURL, ResultURL: e.Celery.ResultBackend, Queues: e.Celery.Queues,
		Timeout: e.Celery.Timeout.D(), Scrubber: redact.NewScrubber(cfg.Secrets()...)}
	broker := redact.URL(e.Celery.BrokerURL)
	spec := actions.Spec{Kind: actions.Dangerous, Env: env}
	switch kind {
	case "purge":
		spec.Name, spec.Target = "celery-purge", fmt.Sprintf("queue %s on %s", arg, broker)
		spec.Plan = func(ctx context.Context, _ actions.Steps) (actions.Plan, error) {
			return actions.PlanPurge(ctx, name, o, broker, arg)
		}
	case "revoke", "terminate":
		terminate := kind == "terminate"
		spec.Name, spec.Target = "celery-revoke", "task "+arg+" on "+broker
		spec.Plan = func(ctx context.Context, _ actions.Steps) (actions.Plan, error) {
			return actions.PlanRevoke(ctx, name, o, broker, arg, terminate)
		}
	case "retry":
		spec.Name, spec.Target = "celery-retry", "task "+arg+" on "+broker
		spec.Plan = func(ctx context.Context, _ actions.Steps) (actions.Plan, error) {
			return actions.PlanRetry(ctx, name, o, broker, arg)
		}
	default:
		return env, actions.Spec{}, fmt.Errorf("no Celery action %q (have: purge, revoke, terminate, retry)", kind)
	}
	return env, spec, nil
}

// CeleryKind is the kind of action a `run` name and its flags mean.
func CeleryKind(action string, terminate bool) string {
	k := strings.TrimPrefix(action, "celery-")
	if k == "revoke" && terminate {
		return "terminate"
	}
	return k
}
