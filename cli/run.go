package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"os/user"
	"slices"
	"strings"
	"syscall"

	"github.com/opsdeck/opsdeck/actions"
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
	env, specs, err := wire.Actions(cfg, envName)
	if err != nil {
		return err
	}
	if slices.Contains(wire.SignalActions, name) {
		if f.PID <= 0 {
			return usageError(fmt.Errorf("%s needs the backend's pid: --pid N (the Postgres sessions view shows them)", name))
		}
		var sig actions.Spec
		var release func()
		if env, sig, release, err = wire.Signal(cfg, envName, f.PID, name == "terminate"); err != nil {
			return usageError(err)
		}
		defer release()
		specs = append(specs, sig)
	}
	if slices.Contains(wire.CeleryActions, name) {
		arg := f.Task
		if name == "celery-purge" {
			arg = f.Queue
		}
		var cs actions.Spec
		if env, cs, err = wire.Celery(cfg, envName, wire.CeleryKind(name, f.Terminate), arg); err != nil {
			return usageError(err)
		}
		specs = append(specs, cs)
	}
	var spec *actions.Spec
	var names []string
	for i := range specs {
		names = append(names, specs[i].Name)
		if specs[i].Name == name {
			spec = &specs[i]
		}
	}
	if spec == nil {
		return usageError(fmt.Errorf("no action %q in environment %s (have: %s)", name, envName, strings.Join(names, ", ")))
	}
	d := spec.Guard(env, a.cli.Readonly)
	if d.Guard == actions.Refused {
		return usageError(fmt.Errorf("refused: %s", d.Reason))
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()

	var plan actions.Plan
	if spec.Shows != nil {
		// What it would reach, read now: nothing to reach is no run.
		shown, err := spec.Shows(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", spec.Name, err)
		}
		fmt.Fprintln(a.stderr, "opsdeck: "+spec.Name+": "+strings.Join(shown, "; "))
	}
	audit := &actions.Audit{Path: actions.DefaultAuditPath(a.lookupEnv)}
	who := actions.Who{User: osUser(), Host: hostname()}
	if spec.Pending != nil {
		list, err := spec.Pending(ctx) // read once: what is shown is what is judged
		fmt.Fprintln(a.stderr, "opsdeck: "+spec.Name+": "+pendingText(list, err))
		if len(list) > 0 && spec.Preflight != nil {
			v := spec.Preflight(ctx, helperRunner(env, a.cli.Readonly, audit, who))
			for _, l := range v.Lines() {
				fmt.Fprintln(a.stderr, "opsdeck: "+safetext.String(l.Text)) // other sessions' queries are in it
			}
			d = actions.Escalate(d, env, v.Hazards() > 0)
		}
	}
	if spec.Reset != nil {
		if plan, err = spec.Reset.Preview(ctx); err != nil {
			return err
		}
		fmt.Fprintln(a.stderr, "opsdeck: reset plan: "+plan.Describe())
	}
	confirmation := "none needed (" + d.Guard.String() + ")"
	switch d.Guard {
	case actions.TypeName:
		if f.ConfirmEnv != envName {
			return usageError(fmt.Errorf("%s is protected: repeat its name with --confirm-env %s to %s", envName, envName, spec.Name))
		}
		confirmation = "environment name typed (--confirm-env)"
	case actions.Confirm:
		if !f.Yes {
			return usageError(fmt.Errorf("%s in %s needs confirmation: add --yes (it will run: %s)", spec.Name, envName, commandText(*spec)))
		}
		confirmation = "confirmed (--yes)"
	}

	a.reportAbandoned(audit)
	status, runErr := actions.Execute(ctx, *spec, plan, envName, confirmation, audit, who,
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

func commandText(s actions.Spec) string {
	if s.Command != nil {
		return s.Command.String()
	}
	return s.Name
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
