package cli

import (
	"context"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/internal/wire"
	"github.com/opsdeck/opsdeck/ui/actionpane"
)

// actor makes the console's actions: the same specs, plans, guards and
// audit log as `opsdeck run`, every kind through one path (paneAction).
type actor struct {
	cfg      *config.Config
	readonly bool
	audit    *actions.Audit
	who      actions.Who
}

// keys are environment name's keyed actions: migrate, reset, the runbook
// commands.
func (ac actor) keys(name string) []actionpane.Action {
	_, specs, err := wire.Actions(ac.cfg, name)
	if err != nil {
		return nil
	}
	out := make([]actionpane.Action, 0, len(specs))
	for _, spec := range specs {
		a := ac.paneAction(spec)
		a.Key, a.Refreshes = spec.Key, spec.Kind != actions.Safe
		if spec.With != nil {
			with := spec.With
			a.Vars = spec.Vars
			a.With = func(values map[string]string) func(context.Context) (actionpane.Preview, error) {
				return ac.paneAction(with(values)).Preview
			}
		}
		out = append(out, a)
	}
	return out
}

// signal is the cancel (or terminate) of backend pid; own are the
// console's own connections, never signalled.
func (ac actor) signal(name string, pid int, terminate bool, own []int) actionpane.Action {
	_, spec, err := wire.Signal(ac.cfg, name, pid, terminate, own)
	if err != nil {
		return refused(spec.Name, err)
	}
	return ac.paneAction(spec)
}

// celery is a Celery action of kind on arg (a queue, a task id).
func (ac actor) celery(name, kind, arg string) actionpane.Action {
	_, spec, err := wire.Celery(ac.cfg, name, kind, arg)
	if err != nil {
		return refused("celery "+kind, err)
	}
	return ac.paneAction(spec)
}

func refused(name string, err error) actionpane.Action {
	return actionpane.Action{Name: name, Guard: actionpane.Refused, Reason: err.Error()}
}

// paneAction is spec as the console runs it: its guard, its plan read when
// the key is pressed and shown as the question (a hazard raising the
// guard), and the run of that very plan, audited.
func (ac actor) paneAction(spec actions.Spec) actionpane.Action {
	env := spec.Env
	d := spec.Guard(env, ac.readonly)
	return actionpane.Action{Name: spec.Name, Guard: paneGuard(d.Guard), Reason: d.Reason, Refreshes: true,
		Preview: func(ctx context.Context) (actionpane.Preview, error) {
			steps := actions.StepsIn(env, ac.readonly, ac.audit, ac.who)
			plan, err := spec.Plan(ctx, steps)
			if err != nil {
				return actionpane.Preview{}, err
			}
			p := previewOf(plan.Question())
			g := paneGuard(actions.PlanGuard(plan, env, ac.readonly).Guard)
			p.Guard = &g
			p.Run = ac.runner(env, plan)
			return p, nil
		}}
}

// previewOf is a question as the overlay shows it.
func previewOf(q actions.Question) actionpane.Preview {
	p := actionpane.Preview{Head: q.Head}
	for _, it := range q.Items {
		p.Items = append(p.Items, it.Text)
		p.Levels = append(p.Levels, paneLevel(it.Level))
	}
	return p
}

func paneLevel(l actions.Level) actionpane.Level {
	switch l {
	case actions.Quiet:
		return actionpane.Quiet
	case actions.Caution:
		return actionpane.Caution
	case actions.Danger:
		return actionpane.Danger
	}
	return actionpane.Plain
}

// runner carries out plan with the user's answer, its output streamed.
func (ac actor) runner(env actions.Environment, plan actions.Plan) func(context.Context, actionpane.Consent) (<-chan actionpane.Line, func(), error) {
	return func(base context.Context, c actionpane.Consent) (<-chan actionpane.Line, func(), error) {
		ctx, cancel := context.WithCancelCause(base)
		out := make(chan actionpane.Line, 64)
		req := actions.Request{Env: env, Readonly: ac.readonly, Plan: plan, Consent: actions.Consent{Yes: c.Yes, Typed: c.Typed, How: c.How}}
		go func() {
			defer cancel(nil)
			exit, err := actions.Execute(ctx, req, ac.audit, ac.who, func(s actions.Stream, line string) {
				out <- actionpane.Line{Text: line, Stderr: s == actions.Stderr}
			})
			out <- actionpane.Line{Done: true, Exit: exit, Err: err}
			close(out)
		}()
		return out, func() { cancel(actions.ErrCancelled) }, nil
	}
}

// paneGuard is the console's form of a guard.
func paneGuard(g actions.Guard) actionpane.Guard {
	switch g {
	case actions.Refused:
		return actionpane.Refused
	case actions.TypeName:
		return actionpane.TypeName
	case actions.Confirm:
		return actionpane.Confirm
	}
	return actionpane.None
}
