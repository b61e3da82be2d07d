package actions

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/opsdeck/opsdeck/internal/cmdvars"
	"github.com/opsdeck/opsdeck/internal/safetext"
)

// Var is one selection variable as a plan holds it: captured when the
// question was asked, never read again.
type Var struct {
	Name, Value string
}

// SelectionKind is the kind of a runbook command that uses selection
// variables: its plan carries values, and the contract holds it to them.
const SelectionKind = "command-selection"

// CommandVars are the selection variables command c uses: those its argv
// refers to, or, for a shell string, the known names it reads.
func CommandVars(c Command) []string {
	if c.Shell != "" {
		return cmdvars.ShellRefs(c.Shell)
	}
	return cmdvars.Refs(c.Argv...)
}

// Missing are the variables of names without a value in values, each with
// what selects it, as a disabled command says it ("" when none misses).
func Missing(names []string, values map[string]string) string { return cmdvars.Missing(names, values) }

// bindVars captures c's variables from values: the argv's references
// replaced element by element (a value is never split, never read by a
// shell), every variable used also in the command's environment. A shell
// string is left as written: the shell reads the values from its
// environment only.
func bindVars(c *Command, values map[string]string) ([]Var, error) {
	names := CommandVars(*c)
	if len(names) == 0 {
		return nil, nil
	}
	if why := Missing(names, values); why != "" {
		return nil, fmt.Errorf("no value now: %s", why)
	}
	vars := make([]Var, 0, len(names))
	for _, n := range names {
		v := values[n]
		// exec refuses a NUL in argv or the environment; say which.
		if strings.IndexByte(v, 0) >= 0 {
			return nil, fmt.Errorf("$%s's value holds a NUL byte, which no command can receive: refused", n)
		}
		vars = append(vars, Var{Name: n, Value: v})
		c.Env = append(c.Env, n+"="+v)
	}
	if c.Shell == "" {
		argv := slices.Clone(c.Argv)
		for i, a := range argv {
			x, err := cmdvars.Expand(a, values)
			if err != nil {
				return nil, err
			}
			argv[i] = x
		}
		c.Argv = argv
	}
	return vars, nil
}

// varItems are the question's lines for vars, each value quoted (a space,
// a newline or a leading dash in sight) and shown as text.
func varItems(vars []Var, c Command) []Item {
	out := make([]Item, 0, len(vars))
	for _, v := range vars {
		out = append(out, Item{Text: "$" + v.Name + " = " + safetext.String(strconv.Quote(c.Scrub.String(v.Value)))})
	}
	return out
}
