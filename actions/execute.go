package actions

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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

// Execute carries out req's plan once, audited: the guard and the consent
// checked, a started record before anything runs (no record, no run), each
// output line to emit as it comes, then a finished record. It returns the
// exit status and why the run failed. Every action of the console, of
// `opsdeck run` and of a preflight's steps comes through here, so none can
// skip the guard or the audit.
func Execute(ctx context.Context, req Request, audit *Audit, who Who, emit Emit) (int, error) {
	if req.Plan == nil {
		return -1, fmt.Errorf("nothing to run: no plan")
	}
	h, q := req.Plan.head(), req.Plan.Question()
	switch {
	case !known(h.action):
		return -1, fmt.Errorf("%s refused: an action of a kind the contract does not know", h.action)
	case h.env != req.Env.Name:
		// A plan belongs to one environment: one made before a switch is
		// never carried out in the next.
		return -1, fmt.Errorf("%s refused, nothing was done: the plan was made for environment %q and the action runs in %q", h.action, h.env, req.Env.Name)
	}
	if err := req.consented(); err != nil {
		return -1, err
	}
	rec := Record{ID: newRunID(), PID: os.Getpid(), Time: time.Now(), Phase: "started", User: who.User, Host: who.Host,
		Environment: req.Env.Name, Action: h.named(), Kind: h.action, Command: q.Command, Target: q.Target, Confirmation: req.Consent.How, PartOf: h.partOf}
	if rec.Command == "" {
		rec.Command = h.named()
	}
	for _, v := range q.Vars {
		if rec.Vars == nil {
			rec.Vars = map[string]string{}
		}
		rec.Vars[v.Name] = v.Value
	}
	if err := audit.Write(rec); err != nil {
		return -1, fmt.Errorf("refusing to run without an audit trail: %w", err)
	}
	start := time.Now()
	exit, tail, err := req.Plan.execute(ctx, emit)
	rec.Phase, rec.Time, rec.DurationMS, rec.OutputTail, rec.ExitCode = "finished", time.Now(), time.Since(start).Milliseconds(), tail, &exit
	if err != nil {
		rec.Error = err.Error()
	}
	if werr := audit.Write(rec); werr != nil && err == nil {
		err = fmt.Errorf("%s ran, but its end is not in the audit log: %w", h.named(), werr)
	}
	return exit, err
}

// Steps carries out a step a plan needs before its question can be asked
// (the preflight's SQL render, its schema dump, its rehearsal): guarded as
// a read, audited as a step of its action, its standard output returned.
type Steps func(ctx context.Context, step Plan) (string, error)

// StepsIn runs steps in env through Execute: refused where the guard
// refuses everything (--readonly, a read-only environment).
func StepsIn(env Environment, readonly bool, audit *Audit, who Who) Steps {
	return func(ctx context.Context, step Plan) (string, error) {
		var out strings.Builder
		var errs []string
		req := Request{Env: env, Readonly: readonly, Plan: step, Consent: Consent{How: "none needed (a step that reads)"}}
		exit, err := Execute(ctx, req, audit, who, func(s Stream, line string) {
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
			return out.String(), fmt.Errorf("%s exited %d: %s", Name(step), exit, strings.Join(errs, " / "))
		}
		return out.String(), nil
	}
}

// emitLines sends lines to emit as standard output and returns them.
func emitLines(emit Emit, lines ...string) []string {
	for _, l := range lines {
		emit(Stdout, l)
	}
	return lines
}
