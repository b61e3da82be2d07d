package wire

import (
	"context"
	"fmt"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/sources/postgres"
)

// SignalActions are the names of the actions that signal one backend.
var SignalActions = []string{"cancel", "terminate"}

// Signal is the action that cancels backend pid's query (or, terminate,
// ends the backend) in environment name: guarded like any change, audited,
// planned on the session as it is when asked. own are pids it never
// signals (the console's own connections).
func Signal(cfg *config.Config, name string, pid int, terminate bool, own []int) (actions.Environment, actions.Spec, error) {
	env, err := GuardOver(cfg, name, config.ReachDatabase)
	if err != nil {
		return env, actions.Spec{}, err
	}
	e, _ := cfg.Get(name)
	if e.Postgres.URL == "" {
		return env, actions.Spec{}, fmt.Errorf("environment %s has no PostgreSQL: set postgres.url (or DATABASE_URL)", name)
	}
	o := postgres.Options{URL: e.Postgres.URL, StatementTimeout: e.Postgres.StatementTimeout.D(), Timeout: e.Postgres.Timeout.D(),
		Scrubber: redact.NewScrubber(cfg.Secrets()...)}
	// The URL read as the plan will, so that a bad one is said at the key;
	// the client does no I/O and is closed at once.
	c, err := postgres.New(o)
	if err != nil {
		return env, actions.Spec{}, err
	}
	c.Close()
	verb := "cancel"
	if terminate {
		verb = "terminate"
	}
	return env, actions.Spec{Name: verb, Kind: actions.Dangerous, Env: env, Target: fmt.Sprintf("pid %d on %s", pid, redact.URL(e.Postgres.URL)),
		Plan: func(ctx context.Context, _ actions.Steps) (actions.Plan, error) {
			return actions.PlanSignal(ctx, name, o, pid, terminate, own)
		}}, nil
}
