package actions

import (
	"context"
	"fmt"
	"strings"
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
	// SharedWith names the stricter environments that name one of its
	// resources, and the resource: why its guard is theirs.
	SharedWith []string
}

// sharing says where a guard comes from when another environment lent it.
func (env Environment) sharing() string {
	if len(env.SharedWith) == 0 {
		return ""
	}
	return " (it shares " + strings.Join(env.SharedWith, "; ") + ")"
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
		return Decision{Refused, fmt.Sprintf("environment %s is read-only%s", env.Name, env.sharing())}
	case kind == Silence:
		return Decision{Guard: Confirm}
	case env.Protected && kind == Reset && !env.AllowReset:
		return Decision{Refused, fmt.Sprintf("environment %s is protected%s; resets need allow_reset: true", env.Name, env.sharing())}
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

// Spec is one action an environment offers, before it is planned.
type Spec struct {
	Name string
	Key  string // "" when it has no key
	Kind Kind
	// AlwaysConfirm asks y/N even where the kind needs nothing (confirm: true).
	AlwaysConfirm bool
	// Target is what it acts on, for the help and a refusal (redacted).
	Target string
	// Env is the environment as this action's guard sees it: its flags
	// made as strict as those of any environment naming what it reaches.
	Env Environment
	// Plan reads what the action would do now; steps carries out what the
	// plan must run first (a preflight's render, dump and rehearsal).
	Plan func(ctx context.Context, steps Steps) (Plan, error)
	// Vars are the selection variables its command uses ($PID…); With is
	// the action planned on values captured when its key is pressed (nil
	// when it uses none). Plan, for such a spec, has only $ENV.
	Vars []string
	With func(values map[string]string) Spec
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
