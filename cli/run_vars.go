package cli

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/internal/cmdvars"
)

// varFlags are `run`'s --var NAME=VALUE: what the console's selection
// gives a runbook command ($PID, $TRACE_ID…).
type varFlags map[string]string

func (v *varFlags) String() string { return "" }

func (v *varFlags) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	switch {
	case !ok:
		return fmt.Errorf("%q: want NAME=VALUE", s)
	case !cmdvars.Known(name) || name == "ENV":
		return fmt.Errorf("%q is not a variable a command may be given (%s; $ENV is the environment's name)", name, strings.Join(cmdvars.Names()[1:], ", "))
	}
	if *v == nil {
		*v = varFlags{}
	}
	(*v)[name] = value
	return nil
}

// bindRunVars plans a runbook command that uses selection variables on
// the flags' values (--var, and --pid, --queue, --task), or says which
// one it lacks.
func bindRunVars(spec *actions.Spec, f runFlags) error {
	// A value given for a variable the command does not use would be
	// dropped silently: the engineer meant it to act on that value.
	for _, k := range slices.Sorted(maps.Keys(f.Vars)) {
		if !slices.Contains(spec.Vars, k) {
			return usageError(fmt.Errorf("%s uses no $%s: --var %s= would be ignored (it uses %s)", spec.Name, k, k, usesText(spec.Vars)))
		}
	}
	if spec.With == nil {
		return nil
	}
	values := map[string]string{}
	if f.PID > 0 {
		values["PID"] = strconv.Itoa(f.PID)
	}
	values["QUEUE"], values["TASK_ID"] = f.Queue, f.Task
	for k, v := range f.Vars {
		values[k] = v
	}
	var missing []string
	for _, n := range spec.Vars {
		if n != "ENV" && values[n] == "" {
			missing = append(missing, "--var "+n+"=…")
		}
	}
	if len(missing) > 0 {
		return usageError(fmt.Errorf("%s uses the selection's %s: pass %s", spec.Name, strings.Join(prefixed(spec.Vars), ", "), strings.Join(missing, " ")))
	}
	*spec = spec.With(values)
	return nil
}

// usesText lists the variables a command uses, "none" for none.
func usesText(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(prefixed(names), ", ")
}

func prefixed(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "$" + n
	}
	return out
}
