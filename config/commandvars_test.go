package config

import (
	"strings"
	"testing"

	"github.com/opsdeck/opsdeck/ui"
)

// TestCommandVariables: an argv may use the selection's variables, bare
// ($PID), anywhere in an element; an unknown one beside them is refused at
// its file, line and field (alone, it is passed as written); a shell string's own variables are its business; and
// ${PID}, which the file's loader would fill from opsdeck's environment,
// is refused with the bare form to write.
func TestCommandVariables(t *testing.T) {
	ok := "environments:\n  a:\n    actions:\n      commands:\n        - name: t\n          argv: [./kill.sh, --pid=$PID, $TRACE_ID, 'cost: $$5', $ENV]\n" +
		"        - {name: s, shell: 'echo \"$HOME $1 $PID\"'}\n"
	if _, err := Parse("ok.yaml", []byte(ok), nil, ui.Specs()); err != nil {
		t.Fatalf("refused: %v", err)
	}
	// An argv that uses no variable of the selection is passed as written
	// ($DATABASE_URL from its env, read by the script sh runs); so is the
	// script of sh -c beside $PID (the shell reads both from its environment).
	verbatim := "environments:\n  a:\n    actions:\n      commands:\n        - {name: e, argv: [echo, '$DATABASE_URL $$'], env: {DATABASE_URL: x}}\n" +
		"        - {name: s, argv: [sh, -ec, 'kill $PID; echo $HOME']}\n"
	if _, err := Parse("verbatim.yaml", []byte(verbatim), nil, ui.Specs()); err != nil {
		t.Fatalf("refused: %v", err)
	}
	for _, c := range []struct{ name, yaml, want string }{
		{"unknown", "environments:\n  a:\n    actions:\n      commands:\n        - name: t\n          argv:\n            - ./x.sh\n            - --home=$HOME\n            - $PID\n",
			`bad.yaml:8: environments.a.actions.commands[0].argv[1]: $HOME is not a variable opsdeck fills (it knows $ENV, $PID`},
		{"lower case", "environments:\n  a:\n    actions:\n      commands:\n        - {name: t, argv: [./x.sh, $pid]}\n",
			`bad.yaml:5: environments.a.actions.commands[0].argv[1]: $pid is not a variable`},
		{"the program itself", "environments:\n  a:\n    actions:\n      commands:\n        - {name: t, argv: [./scripts/$ROUTE.sh, x]}\n",
			`bad.yaml:5: environments.a.actions.commands[0].argv[0]: the program is the configuration's to name, never a selection's ($ROUTE): pass it as an argument`},
		{"braced from the environment", "environments:\n  a:\n    actions:\n      commands:\n        - {name: t, argv: [./x.sh, '${PID}']}\n",
			`bad.yaml:5: environments.a.actions.commands[0].argv[1]: ${PID} is read from opsdeck's own environment when the file loads; for the selection's value write $PID (bare)`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(c.yaml), nil, ui.Specs())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error:\n  %v\nwant it to contain:\n  %s", err, c.want)
			}
		})
	}
}

// TestDeploysRepo: deploys.repo must be a git checkout, said at its line.
func TestDeploysRepo(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ repo, want string }{
		{dir + "/none", `bad.yaml:3: environments.a.deploys.repo: "` + dir + `/none" is not a directory`},
		{dir, `bad.yaml:3: environments.a.deploys.repo: "` + dir + `" is not a git checkout`},
	} {
		_, err := Parse("bad.yaml", []byte("environments:\n  a:\n    deploys: {repo: '"+c.repo+"'}\n"), nil, ui.Specs())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error:\n  %v\nwant:\n  %s", err, c.want)
		}
	}
}
