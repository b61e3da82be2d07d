package actions

import (
	"context"
	"fmt"

	"github.com/opsdeck/opsdeck/sources/preflight"
)

// Guard is what must happen before an action runs.
type Guard int

const (
	// Refused: the action does not run in this environment at all.
	Refused Guard = iota
	// TypeName: the user types the environment's name (production).
	TypeName
	// Confirm: a y/N question, default No.
	Confirm
	// None: one keystroke runs it (disposable environments that opt in).
	None
)

func (g Guard) String() string {
	return [...]string{"refused", "type the environment's name", "confirm y/N", "no confirmation"}[g]
}

// Environment is what the policy needs to know about an environment.
type Environment struct {
	Name       string
	Readonly   bool
	Protected  bool
	Disposable bool
	// AllowReset lets a protected environment reset at all (typed name still required).
	AllowReset bool
	// NoConfirm is `confirm: none`, honoured only where Disposable is set.
	NoConfirm bool
}

// Kind sorts actions by how much damage a mistake does.
type Kind int

const (
	// Safe actions change nothing (a read-only check).
	Safe Kind = iota
	// Dangerous actions change state that can be rolled forward (a migration, a marked command).
	Dangerous
	// Reset destroys data (truncate every table, flush Redis).
	Reset
	// Silence changes who is paged and destroys nothing: it is asked y/N
	// everywhere (production included, the question naming it), refused
	// only where nothing may be changed.
	Silence
)

// Decision is the guard an action gets and, when refused, why.
type Decision struct {
	Guard  Guard
	Reason string
}

// Decide is the policy. readonly is the --readonly flag.
func Decide(env Environment, kind Kind, readonly bool) Decision {
	switch {
	case readonly:
		return Decision{Refused, "opsdeck runs with --readonly"}
	case env.Readonly:
		return Decision{Refused, fmt.Sprintf("environment %s is read-only", env.Name)}
	case kind == Silence:
		return Decision{Guard: Confirm}
	case env.Protected && kind == Reset && !env.AllowReset:
		return Decision{Refused, fmt.Sprintf("environment %s is protected; resets need allow_reset: true", env.Name)}
	case env.Protected && kind != Safe:
		return Decision{Guard: TypeName}
	case kind == Safe:
		return Decision{Guard: None}
	case env.Disposable && env.NoConfirm:
		return Decision{Guard: None}
	default:
		return Decision{Guard: Confirm}
	}
}

// Spec is one action an environment offers: a process (migrate, a runbook
// command) or the reset.
type Spec struct {
	Name string
	Key  string // "" when it has no key
	Kind Kind
	// AlwaysConfirm asks y/N even where the kind needs nothing (confirm: true).
	AlwaysConfirm bool
	Command       *Command
	Reset         *ResetAction
	// Target is what it acts on, for the confirmation and the audit (redacted).
	Target string
	// Pending, for migrate, lists what it would apply ("rev message" lines).
	Pending func(ctx context.Context) ([]string, error)
	// Call is work done in process rather than by a command (making or
	// expiring a silence): its lines are the run's output.
	Call func(ctx context.Context) ([]string, error)
	// Shows reads what the action would act on, for its confirmation (the
	// session a cancel reaches); an error means there is nothing to act on.
	Shows func(ctx context.Context) ([]string, error)
	// Preflight, for migrate, judges the pending migration before it runs;
	// its helpers (the SQL render, the schema dump) go through capture.
	Preflight func(ctx context.Context, capture Capture) preflight.Verdict
	// Explain puts a failed run's cause in words from its output ("" when
	// it has nothing to add).
	Explain func(output []string) string
	// PartOf names the action a helper serves (the preflight's render and
	// dump): audited like any run, marked as a step of that action.
	PartOf string
}

// Escalate is the guard an action needs once its preflight found a hazard:
// a protected environment asks for its name even where it would ask y/N,
// and one keystroke becomes a y/N question, so that the verdict is read.
func Escalate(d Decision, env Environment, hazard bool) Decision {
	switch {
	case !hazard || d.Guard == Refused:
		return d
	case env.Protected:
		return Decision{Guard: TypeName}
	case d.Guard == None:
		return Decision{Guard: Confirm}
	}
	return d
}

// Guard is the confirmation spec needs in env.
func (s Spec) Guard(env Environment, readonly bool) Decision {
	d := Decide(env, s.Kind, readonly)
	if d.Guard == None && s.AlwaysConfirm {
		d.Guard = Confirm
	}
	return d
}
