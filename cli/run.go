package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"os/user"
	"slices"
	"strings"
	"syscall"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/internal/safetext"
	"github.com/opsdeck/opsdeck/internal/wire"
)

// runFlags are `opsdeck run ACTION`'s confirmations.
type runFlags struct {
	Yes        bool
	ConfirmEnv string
	// PID is the backend cancel and terminate act on.
	PID int
	// Queue, Task and Terminate are the Celery actions' targets.
	Queue, Task string
	Terminate   bool
	// Vars are a runbook command's selection variables (--var NAME=VALUE).
	Vars varFlags
}

// runAction is `opsdeck run ACTION`: the same guards and audit as the keys,
// output streamed, the action's exit status returned.
func runAction(a *app, name string, f runFlags) error {
	cfg, err := a.load()
	if err != nil {
		return err
	}
	envName, err := a.envName(cfg)
	if err != nil {
		return err
	}
	spec, err := findSpec(cfg, envName, name, f)
	if err != nil {
		return err
	}
	if err := bindRunVars(spec, f); err != nil {
		return err
	}
	env := spec.Env
	// The flags answer the guard before anything is read: a question they
	// cannot answer is not asked.
	if _, err := runConsent(spec.Guard(env, a.cli.Readonly), env, spec.Name, f, ""); err != nil {
		return err
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()

	audit := &actions.Audit{Path: actions.DefaultAuditPath(a.lookupEnv)}
	who := actions.Who{User: osUser(), Host: hostname()}
	// The plan is read once: what is printed is what runs, or nothing.
	plan, err := spec.Plan(ctx, actions.StepsIn(env, a.cli.Readonly, audit, who))
	if err != nil {
		return fmt.Errorf("%s: %w", spec.Name, err)
	}
	q := plan.Question()
	printQuestion(a.stderr, q)
	what := q.Command
	if what == "" {
		what = q.Target
	}
	consent, err := runConsent(actions.PlanGuard(plan, env, a.cli.Readonly), env, actions.Name(plan), f, what)
	if err != nil {
		return err
	}
	a.reportAbandoned(audit)
	status, runErr := actions.Execute(ctx, actions.Request{Env: env, Readonly: a.cli.Readonly, Plan: plan, Consent: consent}, audit, who,
		func(s actions.Stream, line string) {
			if s == actions.Stderr {
				fmt.Fprintln(a.stderr, line)
			} else {
				fmt.Fprintln(a.stdout, line)
			}
		})
	switch {
	case runErr != nil:
		return runErr
	case status != 0:
		fmt.Fprintf(a.stderr, "opsdeck: %s exited with status %d\n", spec.Name, status)
		return exit{code: ExitCode(status)} // the action's own status
	}
	return nil
}

// findSpec is the environment's action called name: a configured one, or
// a signal or a Celery action built from the flags.
func findSpec(cfg *config.Config, envName, name string, f runFlags) (*actions.Spec, error) {
	_, specs, err := wire.Actions(cfg, envName)
	if err != nil {
		return nil, err
	}
	if slices.Contains(wire.SignalActions, name) {
		if f.PID <= 0 {
			return nil, usageError(fmt.Errorf("%s needs the backend's pid: --pid N (the Postgres sessions view shows them)", name))
		}
		_, sig, err := wire.Signal(cfg, envName, f.PID, name == "terminate", nil)
		if err != nil {
			return nil, usageError(err)
		}
		specs = append(specs, sig)
	}
	if slices.Contains(wire.CeleryActions, name) {
		arg := f.Task
		if name == "celery-purge" {
			arg = f.Queue
		}
		_, cs, err := wire.Celery(cfg, envName, wire.CeleryKind(name, f.Terminate), arg)
		if err != nil {
			return nil, usageError(err)
		}
		specs = append(specs, cs)
	}
	var names []string
	for i := range specs {
		if specs[i].Name == name {
			return &specs[i], nil
		}
		names = append(names, specs[i].Name)
	}
	return nil, usageError(fmt.Errorf("no action %q in environment %s (have: %s)", name, envName, strings.Join(names, ", ")))
}

// printQuestion writes a plan's question to w, text only (other sessions'
// queries and labels are in it), its list cut at maxListed.
func printQuestion(w io.Writer, q actions.Question) {
	for _, l := range q.Head {
		fmt.Fprintln(w, "opsdeck: "+safetext.String(l))
	}
	for i, it := range q.Items {
		if i == maxListed {
			fmt.Fprintf(w, "opsdeck:   … and %d more (the console's question lists them all)\n", len(q.Items)-i)
			break
		}
		fmt.Fprintln(w, "opsdeck:   "+safetext.String(it.Text))
	}
}

// maxListed bounds the question's list on stderr (a purge's messages).
const maxListed = 200

// runConsent is the flags' answer to guard d of action name in env, or
// why they do not answer it; what is what the action runs, for the
// question.
func runConsent(d actions.Decision, env actions.Environment, name string, f runFlags, what string) (actions.Consent, error) {
	switch d.Guard {
	case actions.Refused:
		return actions.Consent{}, usageError(fmt.Errorf("refused: %s", d.Reason))
	case actions.TypeName:
		if f.ConfirmEnv != env.Name {
			why := ""
			if len(env.SharedWith) > 0 {
				why = " (it shares " + strings.Join(env.SharedWith, "; ") + ")"
			}
			return actions.Consent{}, usageError(fmt.Errorf("%s is protected%s: repeat its name with --confirm-env %s to %s", env.Name, why, env.Name, name))
		}
		return actions.Consent{Typed: f.ConfirmEnv, How: "environment name typed (--confirm-env)"}, nil
	case actions.Confirm:
		if !f.Yes {
			if what != "" {
				what = " (it will run: " + what + ")"
			}
			return actions.Consent{}, usageError(fmt.Errorf("%s in %s needs confirmation: add --yes%s", name, env.Name, what))
		}
		return actions.Consent{Yes: true, How: "confirmed (--yes)"}, nil
	}
	return actions.Consent{How: "none needed (" + d.Guard.String() + ")"}, nil
}

func osUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return os.Getenv("USER")
}

func hostname() string {
	h, _ := os.Hostname()
	return h
}
