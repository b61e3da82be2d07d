package actions

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

func newRunID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Who is recorded in the audit log.
type Who struct{ User, Host string }

// Execute runs spec once, audited: a started record before anything runs
// (no record, no run), each output line to emit as it comes, then a
// finished record. plan is the reset's confirmed preview. It returns the
// exit status and why the run failed. The console and `opsdeck run` both
// come through here, so they cannot audit or report differently.
func Execute(ctx context.Context, spec Spec, plan Plan, env, confirmation string, audit *Audit, who Who, emit func(Stream, string)) (int, error) {
	// A plan belongs to one environment: one made before a switch is never
	// carried out in the next.
	if spec.Reset != nil && (plan.Environment != env || spec.Reset.Environment != env) {
		return -1, fmt.Errorf("reset refused, nothing was done: the plan was made for environment %q and the action runs in %q", plan.Environment, env)
	}
	rec := Record{ID: newRunID(), PID: os.Getpid(), Time: time.Now(), Phase: "started", User: who.User, Host: who.Host, Environment: env,
		Action: spec.Name, Command: spec.Name, Target: spec.Target, Confirmation: confirmation, PartOf: spec.PartOf}
	if spec.Command != nil {
		rec.Command = spec.Command.String()
	}
	if spec.Reset != nil {
		rec.Target = plan.Describe()
	}
	if err := audit.Write(rec); err != nil {
		return -1, fmt.Errorf("refusing to run without an audit trail: %w", err)
	}
	start := time.Now()
	exit, tail, err := run(ctx, spec, plan, emit)
	if exit != 0 && spec.Explain != nil {
		if why := spec.Explain(tail); why != "" {
			emit(Stderr, why)
			tail = append(tail, why)
			if err == nil {
				err = errors.New(why)
			}
		}
	}
	rec.Phase, rec.Time, rec.DurationMS, rec.OutputTail, rec.ExitCode = "finished", time.Now(), time.Since(start).Milliseconds(), tail, &exit
	if err != nil {
		rec.Error = err.Error()
	}
	if werr := audit.Write(rec); werr != nil && err == nil {
		err = fmt.Errorf("%s ran, but its end is not in the audit log: %w", spec.Name, werr)
	}
	return exit, err
}

// run does the work: the reset, or the command with its output streamed.
func run(ctx context.Context, spec Spec, plan Plan, emit func(Stream, string)) (int, []string, error) {
	if spec.Reset != nil {
		res, err := spec.Reset.Execute(ctx, plan)
		if err != nil {
			return 1, nil, err
		}
		lines := res.Lines()
		for _, l := range lines {
			emit(Stdout, l)
		}
		if res.RedisErr != "" {
			return 1, lines, errors.New(res.RedisErr)
		}
		return 0, lines, nil
	}
	if spec.Call != nil {
		lines, err := spec.Call(ctx)
		for _, l := range lines {
			emit(Stdout, l)
		}
		if err != nil {
			return 1, lines, err
		}
		return 0, lines, nil
	}
	r, err := Start(ctx, *spec.Command)
	if err != nil {
		return 127, nil, err
	}
	for ev := range r.Events {
		if ev.Done {
			if ev.Err != nil {
				return ev.Exit, r.Tail(), fmt.Errorf("%s: %w", spec.Name, ev.Err)
			}
			return ev.Exit, r.Tail(), nil
		}
		emit(ev.Stream, ev.Line)
	}
	return 1, r.Tail(), errors.New("the run ended without a status")
}

// RunHelper runs a helper that only reads (the preflight's SQL render, its
// schema dump) through the environment's guard and the audit log like
// every command the console starts, and returns its standard output. A
// refusal or a failure is an error with the helper's last words.
func RunHelper(ctx context.Context, spec Spec, env Environment, readonly bool, audit *Audit, who Who) (string, error) {
	if d := spec.Guard(env, readonly); d.Guard == Refused {
		return "", fmt.Errorf("%s refused: %s", spec.Name, d.Reason)
	}
	var out strings.Builder
	var errs []string
	exit, err := Execute(ctx, spec, Plan{}, env.Name, "none needed (reads only)", audit, who, func(s Stream, line string) {
		if s == Stdout {
			out.WriteString(line)
			out.WriteByte('\n')
		} else {
			errs = append(errs[max(len(errs)-4, 0):], line)
		}
	})
	switch {
	case err != nil:
		return out.String(), err
	case exit != 0:
		return out.String(), fmt.Errorf("%s exited %d: %s", spec.Name, exit, strings.Join(errs, " / "))
	}
	return out.String(), nil
}

// Capture runs a read-only helper and returns its output, guarded and
// audited as RunHelper does: the console and `opsdeck run` bind RunHelper
// to their environment and audit log.
type Capture func(ctx context.Context, spec Spec) (string, error)
