package config

import (
	"fmt"
	"strings"

	"github.com/opsdeck/opsdeck/internal/cmdvars"
)

// commandVars checks the selection variables a command's argv refers to:
// each must be one the console knows ($PID, $TRACE_ID…), or the command
// would run with the name itself in place of a value. A shell string's
// references are the shell's business ($HOME, $1); only the known ones
// are passed, in its environment.
func (v *validator) commandVars(cb string, c CustomCommand) {
	if len(c.Argv) > 0 {
		if refs := cmdvars.Refs(c.Argv[0]); len(refs) > 0 {
			v.fail(cb+".argv[0]", "the program is the configuration's to name, never a selection's ($%s): pass it as an argument", strings.Join(refs, ", $"))
		}
	}
	for i, a := range c.Argv {
		if bad := cmdvars.Unknown(a); len(bad) > 0 {
			v.fail(fmt.Sprintf("%s.argv[%d]", cb, i), "%s is not a variable opsdeck fills (it knows $%s; write $$ for a literal dollar)",
				strings.Join(bad, ", "), strings.Join(cmdvars.Names(), ", $"))
		}
	}
}
