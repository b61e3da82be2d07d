package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"os/user"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/internal/wire"
)

// runFlags are `opsdeck run ACTION`'s confirmations.
type runFlags struct {
	Yes        bool
	ConfirmEnv string
}

// exitStatus makes opsdeck exit with an action's own status.
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

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
	var spec *actions.Spec
	var names []string
	for i := range specs {
		names = append(names, specs[i].Name)
		if specs[i].Name == name {
			spec = &specs[i]
		}
	}
	if spec == nil {
		return configError{fmt.Errorf("no action %q in environment %s (have: %s)", name, envName, strings.Join(names, ", "))}
	}
	d := spec.Guard(env, a.cli.Readonly)
	if d.Guard == actions.Refused {
		return configError{fmt.Errorf("refused: %s", d.Reason)}
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()

	var plan actions.Plan
	if spec.Pending != nil {
		fmt.Fprintln(a.stderr, "opsdeck: "+spec.Name+": "+wire.PendingText(ctx, *spec))
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
			return configError{fmt.Errorf("%s is protected: repeat its name with --confirm-env %s to %s", envName, envName, spec.Name)}
		}
		confirmation = "environment name typed (--confirm-env)"
	case actions.Confirm:
		if !f.Yes {
			return configError{fmt.Errorf("%s in %s needs confirmation: add --yes (it will run: %s)", spec.Name, envName, commandText(*spec))}
		}
		confirmation = "confirmed (--yes)"
	}

	audit := &actions.Audit{Path: actions.DefaultAuditPath(a.lookupEnv)}
	a.reportAbandoned(audit)
	exit, runErr := actions.Execute(ctx, *spec, plan, envName, confirmation, audit, actions.Who{User: osUser(), Host: hostname()},
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
	case exit != 0:
		fmt.Fprintf(a.stderr, "opsdeck: %s exited with status %d\n", spec.Name, exit)
		return exitStatus(exit)
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

// showAudit is `opsdeck audit`: recent entries, oldest first.
func showAudit(a *app, limit int) error {
	audit := &actions.Audit{Path: actions.DefaultAuditPath(a.lookupEnv)}
	a.reportAbandoned(audit)
	recs, err := audit.Recent(limit)
	if err != nil {
		return err
	}
	if len(recs) == 0 {
		fmt.Fprintf(a.stdout, "no actions recorded in %s\n", audit.Path)
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tPHASE\tENV\tACTION\tUSER\tEXIT\tTOOK\tCOMMAND")
	for _, r := range recs {
		exit, took := "", ""
		if r.ExitCode != nil {
			exit = fmt.Sprint(*r.ExitCode)
			took = (time.Duration(r.DurationMS) * time.Millisecond).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Time.Local().Format("2006-01-02 15:04:05"), r.Phase, r.Environment, r.Action, r.User, exit, took, r.Command)
	}
	return tw.Flush()
}

// reportAbandoned says, once, which runs an earlier opsdeck left without an
// end (it was killed mid-run).
func (a *app) reportAbandoned(audit *actions.Audit) {
	for _, w := range actions.AbandonedWarnings(audit, hostname()) {
		fmt.Fprintln(a.stderr, "opsdeck: warning:", w)
	}
}
