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
		"PID":      "-1; touch " + filepath.Join(dir, "pwned-semicolon"),
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
			for _, line := range []string{`$PID = "-1; touch `, `$ROUTE = "/a b ` + "`touch ", `\n/next line"`, `$QUEUE = "it's \"quoted\" * ?"`, `$INSTANCE = "api-1:8000?token=`} {
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
