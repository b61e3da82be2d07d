package wire

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/ui/actionpane"
)

// Who is recorded in the audit log.
type Who struct{ User, Host string }

// ConsoleActions are the environment's actions as the console's keys run
// them: the same specs, guards and audit log as `opsdeck run`.
func ConsoleActions(cfg *config.Config, name string, readonly bool, audit *actions.Audit, who Who) []actionpane.Action {
	env, specs, err := Actions(cfg, name)
	if err != nil {
		return nil
	}
	out := make([]actionpane.Action, 0, len(specs))
	for _, spec := range specs {
		if spec.Key == "" {
			continue
		}
		d := spec.Guard(env, readonly)
		a := actionpane.Action{Name: spec.Name, Key: spec.Key, Reason: d.Reason, Refreshes: spec.Name == "migrate" || spec.Name == "reset"}
		switch d.Guard {
		case actions.Refused:
			a.Guard = actionpane.Refused
		case actions.TypeName:
			a.Guard = actionpane.TypeName
		case actions.Confirm:
			a.Guard = actionpane.Confirm
		default:
			a.Guard = actionpane.None
		}
		a.Preview = preview(spec, name)
		a.Run = run(spec, name, audit, who)
		out = append(out, a)
	}
	return out
}

func preview(spec actions.Spec, env string) func(context.Context) (string, any, error) {
	return func(ctx context.Context) (string, any, error) {
		if spec.Reset != nil {
			plan, err := spec.Reset.Preview(ctx)
			if err != nil {
				return "", nil, err
			}
			text := "Reset " + env + ": " + plan.Describe()
			if plan.RedisErr != "" {
				text += " (redis: " + plan.RedisErr + ")"
			}
			return text, plan, nil
		}
		text := fmt.Sprintf("%s in %s: run `%s` against %s", spec.Name, env, spec.Command.String(), spec.Target)
		if spec.Pending != nil {
			text += "\n" + PendingText(ctx, spec)
		}
		return text, nil, nil
	}
}

func run(spec actions.Spec, env string, audit *actions.Audit, who Who) func(context.Context, any, string) (<-chan actionpane.Line, func(), error) {
	return func(ctx context.Context, token any, confirmation string) (<-chan actionpane.Line, func(), error) {
		rec := actions.Record{Time: time.Now(), Phase: "started", User: who.User, Host: who.Host, Environment: env,
			Action: spec.Name, Command: spec.Name, Target: spec.Target, Confirmation: confirmation}
		if spec.Command != nil {
			rec.Command = spec.Command.String()
		}
		if plan, ok := token.(actions.Plan); ok {
			rec.Target = plan.Describe()
		}
		if err := audit.Write(rec); err != nil {
			return nil, nil, fmt.Errorf("refusing to run without an audit trail: %w", err)
		}
		out := make(chan actionpane.Line, 64)
		start := time.Now()
		finish := func(exit int, tail []string, err error) {
			rec.Phase, rec.Time, rec.DurationMS, rec.OutputTail, rec.ExitCode = "finished", time.Now(), time.Since(start).Milliseconds(), tail, &exit
			if err != nil {
				rec.Error = err.Error()
			}
			_ = audit.Write(rec) // the started record already stands
			out <- actionpane.Line{Done: true, Exit: exit, Err: err}
			close(out)
		}
		if spec.Reset != nil {
			plan, _ := token.(actions.Plan)
			ctx, cancel := context.WithCancel(ctx)
			go func() {
				defer cancel()
				res, err := spec.Reset.Execute(ctx, plan)
				if err != nil {
					finish(1, nil, err)
					return
				}
				lines := res.Lines()
				for _, l := range lines {
					out <- actionpane.Line{Text: l}
				}
				if res.RedisErr != "" {
					finish(1, lines, errors.New(res.RedisErr))
					return
				}
				finish(0, lines, nil)
			}()
			return out, cancel, nil
		}
		r, err := actions.Start(ctx, *spec.Command, nil)
		if err != nil {
			exit := 127
			rec.Phase, rec.ExitCode, rec.Error = "finished", &exit, err.Error()
			_ = audit.Write(rec)
			return nil, nil, err
		}
		go func() {
			for ev := range r.Events {
				if ev.Done {
					finish(ev.Exit, r.Tail(), ev.Err)
					return
				}
				out <- actionpane.Line{Text: ev.Line, Stderr: ev.Stream == actions.Stderr}
			}
		}()
		return out, r.Cancel, nil
	}
}

// PendingText says what a migration would apply, or why that is not known.
func PendingText(ctx context.Context, spec actions.Spec) string {
	list, err := spec.Pending(ctx)
	switch {
	case err != nil:
		return "pending revisions unknown: " + err.Error()
	case len(list) == 0:
		return "nothing pending: the database is at the heads"
	}
	return fmt.Sprintf("%d pending, applied in this order:\n  %s", len(list), strings.Join(list, "\n  "))
}
