package actions

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// Plan is one action as the user is asked about it: read once from the
// world, never changed after, naming exactly what it will touch with
// identities that cannot be mistaken (a backend's pid with its start and
// its query's, a revision's id with its file's digest, a message's exact
// bytes). The question is drawn from the plan alone, and the plan alone
// decides what runs.
//
// The methods that act are unexported: a plan is carried out through
// Execute only, which checks the guard and the consent, writes the audit
// log, and refuses a plan of a kind the contract test does not hold.
type Plan interface {
	// Question is what the user is shown and asked.
	Question() Question
	// head is what every plan carries: its kind, environment and guard.
	head() planHead
	// execute checks that the world still matches the plan (atomically
	// where the server allows) and acts on the plan only. When the world
	// moved it returns a *ChangedError, having done nothing.
	execute(ctx context.Context, emit Emit) (exit int, tail []string, err error)
}

// Emit receives an action's output, line by line.
type Emit func(Stream, string)

// Question is a plan as the user reads it.
type Question struct {
	// Action is the plan's kind as the audit log names it ("cancel").
	Action      string
	Environment string
	// Target says in one line what it touches, secrets masked: the audit
	// log's target.
	Target string
	// Command is the command line it runs, secrets masked ("" when the
	// action is done in process).
	Command string
	// Head always stays in view; Items scroll beneath it (every table a
	// reset empties, every revision a migration applies).
	Head  []string
	Items []Item
	// Hazard: its preflight found a hazard, and the guard escalates.
	Hazard bool
	// Vars are the selection's values the plan acts on, secrets masked:
	// the audit log records them.
	Vars []Var
}

// Item is one line of a question's list.
type Item struct {
	Text  string
	Level Level
}

// Level is how loudly an item is shown.
type Level int

const (
	Plain Level = iota
	Quiet
	Caution
	Danger
)

// planHead is what the contract needs of every plan.
type planHead struct {
	// action is the kind's name, one of Kinds(); name is the action's own
	// where it has one (a runbook command's "tests").
	action, name string
	env          string
	// danger and alwaysConfirm decide the guard (Decide).
	danger        Kind
	alwaysConfirm bool
	// partOf names the action a step serves ("migrate preflight").
	partOf string
}

// Kinds are the action kinds a plan may be of. Execute refuses any other,
// and the contract test holds one case for each, so a new kind cannot run
// before the test changes the world under it.
func Kinds() []string {
	return []string{
		"migrate", "reset", "command", SelectionKind, "cancel", "terminate",
		"silence", "ack", "expire-silence",
		"celery-purge", "celery-revoke", "celery-terminate", "celery-retry",
		"migration-sql", "schema-dump", "rehearsal", "git-log",
	}
}

// ChangedError says that the world no longer matches the plan the user
// was asked about: nothing was done.
type ChangedError struct {
	// What changed, in words ("pid 9948 is running another query since
	// you were asked: …").
	What string
	// Done is what ran before the change was found ("" for nothing): a
	// migration of several branches stops between two of them.
	Done string
}

func (e *ChangedError) Error() string {
	done := "nothing was done"
	if e.Done != "" {
		done = e.Done + ", and nothing more"
	}
	return "refused, " + done + ": " + e.What + " (ask again to see it as it is now)"
}

// changed is a *ChangedError.
func changed(format string, args ...any) error {
	return &ChangedError{What: fmt.Sprintf(format, args...)}
}

// IsChanged reports whether err says the world moved under the plan.
func IsChanged(err error) bool {
	var c *ChangedError
	return errors.As(err, &c)
}

// Consent is what the user gave for a plan: nothing, a yes, or the
// environment's name typed.
type Consent struct {
	Yes   bool
	Typed string
	// How is the consent as audited ("confirmed y", "--yes").
	How string
}

// Request is a plan to carry out in an environment, with the user's consent.
type Request struct {
	Env      Environment
	Readonly bool
	Plan     Plan
	Consent  Consent
}

// PlanGuard is the guard plan needs in env: its kind's, made stricter by
// a hazard its question carries.
func PlanGuard(plan Plan, env Environment, readonly bool) Decision {
	h := plan.head()
	d := Spec{Kind: h.danger, AlwaysConfirm: h.alwaysConfirm}.Guard(env, readonly)
	return Escalate(d, env, plan.Question().Hazard)
}

// consented checks that the consent given is what the guard asks.
func (req Request) consented() error {
	d := PlanGuard(req.Plan, req.Env, req.Readonly)
	name := Name(req.Plan)
	switch d.Guard {
	case Refused:
		return fmt.Errorf("%s refused: %s", name, d.Reason)
	case TypeName:
		if req.Consent.Typed != req.Env.Name {
			return fmt.Errorf("%s not run: %s is protected and its name was not typed", name, req.Env.Name)
		}
	case Confirm:
		if !req.Consent.Yes && req.Consent.Typed != req.Env.Name {
			return fmt.Errorf("%s not run: it was not confirmed", name)
		}
	}
	return nil
}

// known reports whether kind is one of Kinds().
func known(kind string) bool { return slices.Contains(Kinds(), kind) }

// named is the action's own name, else its kind's.
func (h planHead) named() string {
	if h.name != "" {
		return h.name
	}
	return h.action
}

// Name is plan's action as the user knows it: a runbook command's own name
// ("tests"), else its kind.
func Name(plan Plan) string { return plan.head().named() }
