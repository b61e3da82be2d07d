package actions

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/opsdeck/opsdeck/internal/cmdvars"
	"github.com/opsdeck/opsdeck/internal/redact"
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
	if cmdvars.Shelled(c.Argv) {
		return cmdvars.ShellRefs(strings.Join(c.Argv[1:], " "))
	}
	return cmdvars.Refs(c.Argv...)
}

// shelled is whether c's values reach it as a shell's do: in its
// environment only (a shell string, or an argv that runs sh -c).
func shelled(c Command) bool { return c.Shell != "" || cmdvars.Shelled(c.Argv) }

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
		switch {
		case len(v) > MaxValue:
			return nil, fmt.Errorf("$%s's value is %d bytes, more than a selection holds (%d): refused", n, len(v), MaxValue)
		case strings.IndexByte(v, 0) >= 0:
			// exec refuses a NUL in argv or the environment; say which.
			return nil, fmt.Errorf("$%s's value holds a NUL byte, which no command can receive: refused", n)
		case shelled(*c) && strings.HasPrefix(v, "-"):
			// Where the shell puts it is the script's business: it may
			// stand alone, unquoted, split.
			return nil, optionErr(n, v, c.Scrub)
		}
		vars = append(vars, Var{Name: n, Value: v})
		c.Env = append(c.Env, n+"="+v)
	}
	if !shelled(*c) {
		if len(c.Argv) > 0 && len(cmdvars.Refs(c.Argv[0])) > 0 {
			// A label's value must not choose what runs ("/../../tmp/x").
			return nil, fmt.Errorf("the program is the configuration's to name, never a selection's (%s): refused", c.Argv[0])
		}
		argv := slices.Clone(c.Argv)
		ended := false // after "--", an argument is never an option
		for i, a := range argv {
			x, err := cmdvars.Expand(a, values)
			if err != nil {
				return nil, err
			}
			// A dash the configuration did not write came from a value.
			if !ended && strings.HasPrefix(x, "-") && !strings.HasPrefix(a, "-") {
				return nil, optionErr(cmdvars.Refs(a)[0], x, c.Scrub)
			}
			ended = ended || a == "--"
			argv[i] = x
		}
		c.Argv = argv
	}
	return vars, nil
}

// MaxValue bounds a selection variable's value: a route, an id, a queue's
// name is far shorter, and a longer one would be laid out in the
// question and could pass no exec.
const MaxValue = 4096

// optionErr refuses value v of variable name, which would begin an
// argument with a dash: the command would read it as an option
// (--output=…, --upload-pack=…), not as the selection.
func optionErr(name, v string, scrub *redact.Scrubber) error {
	if len(v) > 80 {
		v = v[:80] + "…"
	}
	return fmt.Errorf("$%s's value %s starts with a dash, which the command would read as an option: refused (write --flag=$%s, or -- before it)",
		name, safetext.String(strconv.Quote(scrub.String(v))), name)
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
