package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/internal/wire"
	"github.com/opsdeck/opsdeck/sources/preflight"
	"github.com/opsdeck/opsdeck/ui/actionpane"
)

// consoleActions are the environment's actions as the console's keys run
// them: the same specs, guards and audit log as `opsdeck run`.
func consoleActions(cfg *config.Config, name string, readonly bool, audit *actions.Audit, who actions.Who) []actionpane.Action {
	env, specs, err := wire.Actions(cfg, name)
	if err != nil {
		return nil
	}
	out := make([]actionpane.Action, 0, len(specs))
	for _, spec := range specs {
		d := spec.Guard(env, readonly)
		a := actionpane.Action{Name: spec.Name, Key: spec.Key, Reason: d.Reason, Refreshes: spec.Kind != actions.Safe, Guard: paneGuard(d.Guard)}
		a.Preview = preview(spec, env, readonly, audit, who)
		out = append(out, a)
	}
	return out
}

// preview reads what the action would do; the Run it returns does exactly
// that: a reset executes the plan it showed. A migration's preview is its
// preflight's verdict above the pending revisions; a hazard raises the
// guard (actions.Escalate).
func preview(spec actions.Spec, env actions.Environment, readonly bool, audit *actions.Audit, who actions.Who) func(context.Context) (actionpane.Preview, error) {
	name := env.Name
	return func(ctx context.Context) (actionpane.Preview, error) {
		if spec.Reset != nil {
			plan, err := spec.Reset.Preview(ctx)
			if err != nil {
				return actionpane.Preview{}, err
			}
			p := actionpane.Preview{Head: []string{"Reset " + plan.Summary()}, Items: plan.Items(), Run: runner(spec, plan, name, audit, who)}
			if plan.RedisErr != "" {
				p.Head = append(p.Head, "redis: "+plan.RedisErr)
			}
			return p, nil
		}
		p := actionpane.Preview{Head: []string{fmt.Sprintf("%s in %s: run `%s` against %s", spec.Name, name, spec.Command.String(), spec.Target)},
			Run: runner(spec, actions.Plan{}, name, audit, who)}
		if spec.Pending == nil {
			return p, nil
		}
		list, err := spec.Pending(ctx)
		if spec.Preflight != nil && len(list) > 0 {
			v := spec.Preflight(ctx, helperRunner(env, readonly, audit, who))
			lines := v.Lines()
			p.Head = append(p.Head, lines[0].Text)
			for _, l := range lines[1:] {
				p.Items = append(p.Items, l.Text)
				p.Levels = append(p.Levels, level(l.Severity))
			}
			p.Items = append(p.Items, "")
			p.Levels = append(p.Levels, actionpane.Plain)
			if v.Hazards() > 0 {
				g := paneGuard(actions.Escalate(spec.Guard(env, readonly), env, true).Guard)
				p.Guard = &g
			}
		}
		p.Items = append(p.Items, pendingHead(list, err))
		p.Items = append(p.Items, list...)
		return p, nil
	}
}

// helperRunner runs the preflight's helpers in env, guarded and audited.
func helperRunner(env actions.Environment, readonly bool, audit *actions.Audit, who actions.Who) actions.Capture {
	return func(ctx context.Context, s actions.Spec) (string, error) {
		return actions.RunHelper(ctx, s, env, readonly, audit, who)
	}
}

// level paints a verdict line by its severity.
func level(s preflight.Severity) actionpane.Level {
	switch s {
	case preflight.Hazard:
		return actionpane.Danger
	case preflight.Caution:
		return actionpane.Caution
	}
	return actionpane.Quiet
}

// pendingHead says how many revisions a migration applies, or why that is
// not known.
func pendingHead(list []string, err error) string {
	switch {
	case err != nil:
		return "pending revisions unknown: " + err.Error()
	case len(list) == 0:
		return "nothing pending: the database is at the heads"
	}
	return fmt.Sprintf("%d pending, applied in this order:", len(list))
}

func runner(spec actions.Spec, plan actions.Plan, env string, audit *actions.Audit, who actions.Who) func(context.Context, string) (<-chan actionpane.Line, func(), error) {
	return func(base context.Context, confirmation string) (<-chan actionpane.Line, func(), error) {
		ctx, cancel := context.WithCancelCause(base)
		out := make(chan actionpane.Line, 64)
		go func() {
			defer cancel(nil)
			exit, err := actions.Execute(ctx, spec, plan, env, confirmation, audit, who, func(s actions.Stream, line string) {
				out <- actionpane.Line{Text: line, Stderr: s == actions.Stderr}
			})
			out <- actionpane.Line{Done: true, Exit: exit, Err: err}
			close(out)
		}()
		return out, func() { cancel(actions.ErrCancelled) }, nil
	}
}

// pendingText says what a migration would apply, or why that is not known.
func pendingText(list []string, err error) string {
	if len(list) == 0 {
		return pendingHead(list, err)
	}
	return pendingHead(list, err) + "\n  " + strings.Join(list, "\n  ")
}
