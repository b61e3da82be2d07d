package config

import (
	"fmt"
	"strings"

	"github.com/opsdeck/opsdeck/internal/cmdvars"
)

// commandVars checks the selection variables a command's argv refers to:
// beside one the console knows ($PID, $TRACE_ID…) an unknown name is
// refused, or the command would run with the name itself in place of a
// value. An argv that uses none is passed as written. A shell string's
// references, and those of a script run by sh -c, are the shell's
// business ($HOME, $1); only the known ones are passed, in its
// environment.
func (v *validator) commandVars(cb string, c CustomCommand) {
	if len(c.Argv) > 0 {
		if refs := cmdvars.Refs(c.Argv[0]); len(refs) > 0 {
			v.fail(cb+".argv[0]", "the program is the configuration's to name, never a selection's ($%s): pass it as an argument", strings.Join(refs, ", $"))
		}
	}
	// A shell's script (sh -c '…') reads its own variables; an argv that
	// uses none of the selection's is passed as written.
	shelled, uses := cmdvars.Shelled(c.Argv), len(cmdvars.Refs(c.Argv...)) > 0
	for i, a := range c.Argv {
		bad := cmdvars.Unknown(a)
		if len(bad) == 0 || shelled {
			continue
		}
		if !uses {
			for _, b := range bad {
				if n := cmdvars.Resembles(strings.Trim(b, "${}")); n != "" {
					v.fail(fmt.Sprintf("%s.argv[%d]", cb, i), "%s is not a variable opsdeck fills: $%s is (names are upper case)", b, n)
				}
			}
			continue
		}
		v.fail(fmt.Sprintf("%s.argv[%d]", cb, i), "%s is not a variable opsdeck fills (it knows $%s; write $$ for a literal dollar)",
			strings.Join(bad, ", "), strings.Join(cmdvars.Names(), ", $"))
	}
}
