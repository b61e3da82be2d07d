package main

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	what := spec.Target
	if spec.Pending != nil {
		fmt.Fprintln(a.stderr, "opsdeck: "+spec.Name+": "+wire.PendingText(ctx, *spec))
	}
	if spec.Reset != nil {
		if plan, err = spec.Reset.Preview(ctx); err != nil {
			return err
		}
		what = plan.Describe()
		fmt.Fprintln(a.stderr, "opsdeck: reset will "+what)
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
	rec := actions.Record{Time: time.Now(), Phase: "started", User: osUser(), Host: hostname(), Environment: envName,
		Action: spec.Name, Command: commandText(*spec), Target: what, Confirmation: confirmation}
	if err := audit.Write(rec); err != nil {
		return fmt.Errorf("refusing to run without an audit trail: %w", err)
	}
	start := time.Now()
	exit, tail, runErr := execute(ctx, *spec, plan, a.stdout, a.stderr)
	rec.Phase, rec.Time, rec.DurationMS, rec.OutputTail = "finished", time.Now(), time.Since(start).Milliseconds(), tail
	rec.ExitCode = &exit
	if runErr != nil {
		rec.Error = runErr.Error()
	}
	if err := audit.Write(rec); err != nil {
		fmt.Fprintln(a.stderr, "opsdeck: writing the audit log:", err)
	}
	switch {
	case runErr != nil:
		return runErr
	case exit != 0:
		fmt.Fprintf(a.stderr, "opsdeck: %s exited with status %d\n", spec.Name, exit)
		return exitStatus(exit)
	}
	return nil
}

// execute runs the action, streaming output; it returns the exit status,
// the output's tail and why it failed.
func execute(ctx context.Context, spec actions.Spec, plan actions.Plan, stdout, stderr io.Writer) (int, []string, error) {
	if spec.Reset != nil {
		res, err := spec.Reset.Execute(ctx, plan)
		if err != nil {
			return 1, nil, err
		}
		lines := res.Lines()
		for _, l := range lines {
			fmt.Fprintln(stdout, l)
		}
		if res.RedisErr != "" {
			return 1, lines, errors.New(res.RedisErr)
		}
		return 0, lines, nil
	}
	run, err := actions.Start(ctx, *spec.Command, nil)
	if err != nil {
		return 127, nil, err
	}
	for ev := range run.Events {
		switch {
		case ev.Done:
			if ev.Err != nil {
				return ev.Exit, run.Tail(), fmt.Errorf("%s: %w", spec.Name, ev.Err)
			}
			return ev.Exit, run.Tail(), nil
		case ev.Stream == actions.Stderr:
			fmt.Fprintln(stderr, ev.Line)
		default:
			fmt.Fprintln(stdout, ev.Line)
		}
	}
	return 1, run.Tail(), errors.New("the run ended without a status")
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
