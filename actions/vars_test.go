package actions_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/internal/redact"
)

// recorder is a script that writes its argv and the selection's variables
// from its environment to files in dir, NUL-separated, and nothing else.
func recorder(t *testing.T) (dir string, argv, env func() []string) {
	t.Helper()
	dir = t.TempDir()
	script := "#!/bin/sh\nprintf '%s\\0' \"$@\" > " + filepath.Join(dir, "argv") + "\n" +
		"printf '%s\\0' \"$PID\" \"$TRACE_ID\" \"$ROUTE\" \"$QUEUE\" \"$TASK_ID\" \"$ENV\" > " + filepath.Join(dir, "env") + "\n"
	must(t, os.WriteFile(filepath.Join(dir, "rec.sh"), []byte(script), 0o755))
	read := func(name string) func() []string {
		return func() []string {
			b, err := os.ReadFile(filepath.Join(dir, name))
			must(t, err)
			return strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
		}
	}
	return dir, read("argv"), read("env")
}

// hostile are values a selection may hold (a route, a trace id from a log
// line, a queue's name): each must reach the command as it is, and run
// nothing.
func hostile(dir string) map[string]string {
	return map[string]string{
		"PID":      "1; touch " + filepath.Join(dir, "pwned-semicolon"),
		"TRACE_ID": "$(touch " + filepath.Join(dir, "pwned-subst") + ")",
		"ROUTE":    "/a b `touch " + filepath.Join(dir, "pwned-backtick") + "`\n/next line",
		"QUEUE":    `it's "quoted" * ?`,
		"TASK_ID":  "$PID",
		"ENV":      "qa",
	}
}

func noneRan(t *testing.T, dir string) {
	t.Helper()
	for _, f := range []string{"pwned-semicolon", "pwned-subst", "pwned-backtick"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("a value ran a command (%s exists)", f)
		}
	}
}

// TestCommandVariablesReachTheCommandIntact: hostile values reach an argv
// command as whole elements (or inside one), and a shell command through
// its environment only; neither runs anything else; the question shows
// each value quoted; the audit log records them, secrets masked.
func TestCommandVariablesReachTheCommandIntact(t *testing.T) {
	t.Parallel()
	for _, shell := range []bool{false, true} {
		t.Run(map[bool]string{false: "argv", true: "shell"}[shell], func(t *testing.T) {
			t.Parallel()
			dir, argv, env := recorder(t)
			vals := hostile(dir)
			vals["INSTANCE"] = "api-1:8000?token=s3cretvalue"
			c := actions.Command{Argv: []string{"./rec.sh", "$PID", "$TRACE_ID", "--route=$ROUTE", "$QUEUE", "$TASK_ID", "$INSTANCE", "$ENV"},
				Dir: dir, Timeout: time.Minute, Scrub: redact.NewScrubber("s3cretvalue")}
			want := []string{vals["PID"], vals["TRACE_ID"], "--route=" + vals["ROUTE"], vals["QUEUE"], "$PID", vals["INSTANCE"], "qa"}
			if shell {
				c = actions.Command{Shell: `./rec.sh "$PID" "$TRACE_ID" "--route=$ROUTE" "$QUEUE" "$TASK_ID" "$INSTANCE" "$ENV"`,
					Dir: dir, Timeout: time.Minute, Scrub: redact.NewScrubber("s3cretvalue")}
			}
			if got := actions.CommandVars(c); !slices.Equal(got, []string{"PID", "TRACE_ID", "ROUTE", "QUEUE", "TASK_ID", "INSTANCE", "ENV"}) {
				t.Fatalf("the command uses %v", got)
			}
			plan, err := actions.PlanCommand(actions.CommandSpec{Action: actions.SelectionKind, Environment: "qa", Name: "inspect", Command: c, Values: vals})
			must(t, err)
			q := plan.Question()
			shown := strings.Join(itemTexts(q), "\n")
			for _, line := range []string{`$PID = "1; touch `, `$ROUTE = "/a b ` + "`touch ", `\n/next line"`, `$QUEUE = "it's \"quoted\" * ?"`, `$INSTANCE = "api-1:8000?token=`} {
				if !strings.Contains(shown, line) {
					t.Errorf("the question does not show %q:\n%s", line, shown)
				}
			}
			if strings.Contains(shown, "s3cretvalue") {
				t.Errorf("the question shows a secret:\n%s", shown)
			}
			out, err := run(context.Background(), t, plan)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if got := argv(); !slices.Equal(got, want) {
				t.Errorf("argv\n got %q\nwant %q", got, want)
			}
			if got := env(); !slices.Equal(got, []string{vals["PID"], vals["TRACE_ID"], vals["ROUTE"], vals["QUEUE"], "$PID", "qa"}) {
				t.Errorf("environment: %q", got)
			}
			noneRan(t, dir)
		})
	}
}

func itemTexts(q actions.Question) []string {
	var out []string
	for _, it := range q.Items {
		out = append(out, it.Text)
	}
	return out
}

// TestCommandVariablesAudited: the values a run used are in its audit
// records, a secret masked.
func TestCommandVariablesAudited(t *testing.T) {
	t.Parallel()
	dir, _, _ := recorder(t)
	plan, err := actions.PlanCommand(actions.CommandSpec{Action: actions.SelectionKind, Environment: "qa", Name: "inspect",
		Command: actions.Command{Argv: []string{"./rec.sh", "$ROUTE"}, Dir: dir, Scrub: redact.NewScrubber("s3cretvalue")},
		Values:  map[string]string{"ROUTE": "/x?key=s3cretvalue", "PID": "12"}})
	must(t, err)
	audit := &actions.Audit{Path: filepath.Join(t.TempDir(), "audit.jsonl")}
	_, err = actions.Execute(context.Background(), actions.Request{Env: actions.Environment{Name: "qa"}, Plan: plan, Consent: actions.Consent{Yes: true}},
		audit, actions.Who{User: "test"}, func(actions.Stream, string) {})
	must(t, err)
	recs, err := audit.Recent(10)
	must(t, err)
	for _, r := range recs {
		if r.Vars["ROUTE"] != "/x?key=xxxxx" || len(r.Vars) != 1 {
			t.Errorf("%s record's vars: %v", r.Phase, r.Vars)
		}
		if r.Kind != actions.SelectionKind {
			t.Errorf("kind %q", r.Kind)
		}
	}
	raw, _ := os.ReadFile(audit.Path)
	if strings.Contains(string(raw), "s3cretvalue") {
		t.Errorf("the audit log holds the secret:\n%s", raw)
	}
}

// TestCommandVariableWithoutValue: a command whose variable has no value
// is not planned, saying what would select it; a NUL byte is refused.
func TestCommandVariableWithoutValue(t *testing.T) {
	t.Parallel()
	dir, _, _ := recorder(t)
	spec := actions.CommandSpec{Action: actions.SelectionKind, Environment: "qa", Name: "inspect",
		Command: actions.Command{Argv: []string{"./rec.sh", "$PID", "$QUEUE"}, Dir: dir}}
	spec.Values = map[string]string{"QUEUE": "celery", "PID": ""}
	if _, err := actions.PlanCommand(spec); err == nil || !strings.Contains(err.Error(), "$PID needs a Postgres session") {
		t.Errorf("planned without $PID: %v", err)
	}
	spec.Values = map[string]string{"QUEUE": "cel\x00ery", "PID": "1"}
	if _, err := actions.PlanCommand(spec); err == nil || !strings.Contains(err.Error(), "$QUEUE's value holds a NUL byte") {
		t.Errorf("planned with a NUL: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "argv")); err == nil {
		t.Error("the command ran")
	}
	if why := actions.Missing([]string{"PID", "QUEUE"}, map[string]string{"PID": "1"}); !strings.Contains(why, "$QUEUE needs a Celery queue") || strings.Contains(why, "$PID") {
		t.Errorf("missing: %q", why)
	}
}

// TestCommandVariableNotAnOption: a value that would begin an argument
// with a dash (a route "--output=/tmp/x" from a hostile label) would be
// read by the command as an option: it is refused, saying so, and the
// command does not run. Inside an argument (--pid=$PID) or after "--" it
// is a value and runs; a shell command's values are refused with a dash
// wherever they stand (the shell may split them).
func TestCommandVariableNotAnOption(t *testing.T) {
	t.Parallel()
	dir, argv, _ := recorder(t)
	plan := func(c actions.Command, vals map[string]string) (actions.Plan, error) {
		c.Dir, c.Timeout = dir, time.Minute
		return actions.PlanCommand(actions.CommandSpec{Action: actions.SelectionKind, Environment: "qa", Name: "inspect", Command: c, Values: vals})
	}
	dash := map[string]string{"ROUTE": "--output=/tmp/x", "PID": "-9"}
	for _, c := range []actions.Command{
		{Argv: []string{"./rec.sh", "$ROUTE"}},
		{Argv: []string{"./rec.sh", "${PID}x"}},
		{Shell: `./rec.sh "--x=$ROUTE"`},
	} {
		if _, err := plan(c, dash); err == nil || !strings.Contains(err.Error(), "starts with a dash") || !strings.Contains(err.Error(), "refused") {
			t.Errorf("%q planned with a leading dash: %v", c.Argv, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "argv")); err == nil {
		t.Fatal("the command ran")
	}
	p, err := plan(actions.Command{Argv: []string{"./rec.sh", "--route=$ROUTE", "--", "$PID"}}, dash)
	must(t, err)
	if _, err := run(context.Background(), t, p); err != nil {
		t.Fatal(err)
	}
	if got := argv(); !slices.Equal(got, []string{"--route=--output=/tmp/x", "--", "-9"}) {
		t.Errorf("argv %q", got)
	}
}

// TestCommandVariableBounded: a value longer than a selection can be
// (MaxValue) is refused before anything runs, saying how long it is.
func TestCommandVariableBounded(t *testing.T) {
	t.Parallel()
	dir, _, _ := recorder(t)
	_, err := actions.PlanCommand(actions.CommandSpec{Action: actions.SelectionKind, Environment: "qa", Name: "inspect",
		Command: actions.Command{Argv: []string{"./rec.sh", "$ROUTE"}, Dir: dir}, Values: map[string]string{"ROUTE": strings.Repeat("/a", 1<<20)}})
	if err == nil || !strings.Contains(err.Error(), "$ROUTE's value is 2097152 bytes") {
		t.Errorf("a 2 MB value: %v", err)
	}
}

// TestCommandLineShownUnambiguously: the command line the question shows
// and the audit log records (and `opsdeck audit` prints) quotes an
// argument holding a space, a quote, a newline, a control or format
// character or bytes that are not UTF-8: one argument reads as one, and
// nothing in it acts on a terminal.
func TestCommandLineShownUnambiguously(t *testing.T) {
	t.Parallel()
	dir, _, _ := recorder(t)
	vals := map[string]string{"ROUTE": "/a b", "QUEUE": "q\n\x1b]52;c;aGk=\x07", "TRACE_ID": "\u202eabc\xff", "PID": "12"}
	p, err := actions.PlanCommand(actions.CommandSpec{Action: actions.SelectionKind, Environment: "qa", Name: "inspect",
		Command: actions.Command{Argv: []string{"./rec.sh", "$ROUTE", "$QUEUE", "$TRACE_ID", "--pid=$PID", "it's"}, Dir: dir}, Values: vals})
	must(t, err)
	want := `./rec.sh "/a b" "q\n\x1b]52;c;aGk=\a" "\u202eabc\xff" --pid=12 "it's"`
	if got := p.Question().Command; got != want {
		t.Errorf("the question's command line\n got %s\nwant %s", got, want)
	}
	if head := strings.Join(p.Question().Head, "\n"); !strings.Contains(head, want) {
		t.Errorf("the question's head: %s", head)
	}
	audit := &actions.Audit{Path: filepath.Join(t.TempDir(), "audit.jsonl")}
	_, err = actions.Execute(context.Background(), actions.Request{Env: actions.Environment{Name: "qa"}, Plan: p, Consent: actions.Consent{Yes: true}},
		audit, actions.Who{User: "test"}, func(actions.Stream, string) {})
	must(t, err)
	recs, err := audit.Recent(10)
	must(t, err)
	for _, r := range recs {
		if r.Command != want {
			t.Errorf("%s record's command: %q", r.Phase, r.Command)
		}
		// The values themselves are kept as they were (JSON escapes the
		// controls); the command line is the form a person reads.
		if r.Vars["QUEUE"] != vals["QUEUE"] || r.Vars["ROUTE"] != "/a b" {
			t.Errorf("%s record's vars: %q", r.Phase, r.Vars)
		}
	}
}

// TestCommandVariableNeverNamesTheProgram: a selection's value never
// chooses what runs (a route "/../../../tmp/x" in ./scripts/$ROUTE.sh):
// a plan with a variable in the program's name is refused.
func TestCommandVariableNeverNamesTheProgram(t *testing.T) {
	t.Parallel()
	dir, _, _ := recorder(t)
	_, err := actions.PlanCommand(actions.CommandSpec{Action: actions.SelectionKind, Environment: "qa", Name: "inspect",
		Command: actions.Command{Argv: []string{"./$ROUTE.sh"}, Dir: dir}, Values: map[string]string{"ROUTE": "rec"}})
	if err == nil || !strings.Contains(err.Error(), "the program is the configuration's to name") {
		t.Errorf("planned: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "argv")); err == nil {
		t.Error("the command ran")
	}
}

// TestCommandVariableCarryingASecret: a selection's value holding a
// credential of the configuration (a label that leaked a password) is
// refused from argv, where every user of the machine could read it; a
// shell command gets it in its environment only, masked in the question.
func TestCommandVariableCarryingASecret(t *testing.T) {
	t.Parallel()
	dir, _, env := recorder(t)
	secret := "s3cretvalue"
	c := actions.Command{Argv: []string{"./rec.sh", "--route=$ROUTE"}, Dir: dir, Scrub: redact.NewScrubber(secret), Credentials: redact.NewScrubber(secret)}
	vals := map[string]string{"ROUTE": "/login?pw=" + secret}
	_, err := actions.PlanCommand(actions.CommandSpec{Action: actions.SelectionKind, Environment: "qa", Name: "inspect", Command: c, Values: vals})
	if err == nil || !strings.Contains(err.Error(), "would carry a secret") {
		t.Errorf("planned a secret into argv: %v", err)
	}
	p, err := actions.PlanCommand(actions.CommandSpec{Action: actions.SelectionKind, Environment: "qa", Name: "inspect", Command: actions.Command{Shell: `./rec.sh "$ROUTE"`, Dir: dir,
		Scrub: c.Scrub, Credentials: c.Credentials}, Values: vals})
	must(t, err)
	if q := p.Question(); strings.Contains(strings.Join(itemTexts(q), "\n")+q.Command, secret) {
		t.Errorf("the question shows the secret: %+v", q)
	}
	if _, err := run(context.Background(), t, p); err != nil {
		t.Fatal(err)
	}
	if got := env(); got[2] != vals["ROUTE"] {
		t.Errorf("the shell command's $ROUTE: %q", got[2])
	}
}

// TestCommandVariablesAlwaysAsked: a command that would run at its key
// without a question (not dangerous, no confirm:) is asked y/N once it
// uses the selection: its values come from what a source sent, and the
// question is where they are seen before anything runs.
func TestCommandVariablesAlwaysAsked(t *testing.T) {
	t.Parallel()
	dir, _, _ := recorder(t)
	env := actions.Environment{Name: "qa", Disposable: true}
	plain, err := actions.PlanCommand(actions.CommandSpec{Action: "command", Environment: "qa", Name: "tests", Danger: actions.Safe,
		Command: actions.Command{Argv: []string{"./rec.sh"}, Dir: dir}})
	must(t, err)
	if g := actions.PlanGuard(plain, env, false).Guard; g != actions.None {
		t.Errorf("a plain safe command asks %v", g)
	}
	sel, err := actions.PlanCommand(actions.CommandSpec{Action: actions.SelectionKind, Environment: "qa", Name: "inspect", Danger: actions.Safe,
		Command: actions.Command{Argv: []string{"./rec.sh", "$ROUTE"}, Dir: dir}, Values: map[string]string{"ROUTE": "/a"}})
	must(t, err)
	if g := actions.PlanGuard(sel, env, false).Guard; g != actions.Confirm {
		t.Errorf("a command on the selection asks %v, not y/N", g)
	}
	// $ENV, $START and $END are the configuration's and the clock's.
	clock, err := actions.PlanCommand(actions.CommandSpec{Action: actions.SelectionKind, Environment: "qa", Name: "report", Danger: actions.Safe,
		Command: actions.Command{Argv: []string{"./rec.sh", "--since=$START", "$ENV"}, Dir: dir}, Values: map[string]string{"START": "2026-12-06T14:00:00Z", "ENV": "qa"}})
	must(t, err)
	if g := actions.PlanGuard(clock, env, false).Guard; g != actions.None {
		t.Errorf("a command on the window and the environment asks %v", g)
	}
	audit := &actions.Audit{Path: filepath.Join(t.TempDir(), "audit.jsonl")}
	if _, err := actions.Execute(context.Background(), actions.Request{Env: env, Plan: sel, Consent: actions.Consent{How: "none"}}, audit, actions.Who{User: "t"},
		func(actions.Stream, string) {}); err == nil || !strings.Contains(err.Error(), "not confirmed") {
		t.Errorf("ran without a yes: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "argv")); err == nil {
		t.Error("the command ran")
	}
}

// TestShellScriptInArgvReadsValuesFromItsEnvironment: an argv that runs
// sh -c on a script of its own is a shell string: a hostile value put into
// the script's words would run (sh -c 'echo $PID' with "1; touch x"), so
// the values reach it in its environment only and the script is run as
// written.
func TestShellScriptInArgvReadsValuesFromItsEnvironment(t *testing.T) {
	t.Parallel()
	dir, _, env := recorder(t)
	vals := hostile(dir)
	c := actions.Command{Argv: []string{"sh", "-ec", `./rec.sh "$PID" "$ROUTE"`}, Dir: dir}
	p, err := actions.PlanCommand(actions.CommandSpec{Action: actions.SelectionKind, Environment: "qa", Name: "inspect", Command: c, Values: vals})
	must(t, err)
	if _, err := run(context.Background(), t, p); err != nil {
		t.Fatal(err)
	}
	noneRan(t, dir)
	if got := env(); got[0] != vals["PID"] || got[2] != vals["ROUTE"] {
		t.Errorf("the script's environment: PID %q ROUTE %q", got[0], got[2])
	}
}

// TestArgvWithoutVariablesPassedAsWritten: an argv that uses none of the
// selection's variables reaches the command as written, dollars and all.
func TestArgvWithoutVariablesPassedAsWritten(t *testing.T) {
	t.Parallel()
	dir, argv, _ := recorder(t)
	words := []string{"$DATABASE_URL", "cost $$5", "${HOME}"}
	p, err := actions.PlanCommand(actions.CommandSpec{Action: "command", Environment: "qa", Name: "plain",
		Command: actions.Command{Argv: append([]string{"./rec.sh"}, words...), Dir: dir}})
	must(t, err)
	if _, err := run(context.Background(), t, p); err != nil {
		t.Fatal(err)
	}
	if got := argv(); !slices.Equal(got, words) {
		t.Errorf("argv %q, want %q", got, words)
	}
}
