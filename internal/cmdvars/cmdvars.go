// Package cmdvars is the selection variables a runbook command may use
// ($PID, $TRACE_ID…): their names, where each comes from, and how an argv
// element refers to them. Values are substituted into one argv element
// at a time, never split and never read by a shell, and passed to the
// command as environment variables.
package cmdvars

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// Var is one variable: its name and where the console takes its value.
type Var struct {
	Name string
	// From says what selects it, as a disabled command's reason puts it
	// ("a Postgres session: zoom the Postgres pane").
	From string
}

// All are the variables, in the order the question lists them.
func All() []Var {
	return []Var{
		{"ENV", "the environment"},
		{"PID", "a Postgres session: zoom the Postgres pane and select one"},
		{"QUERY_ID", "a statement: zoom the Postgres pane, v to the top statements, select one"},
		{"TRACE_ID", "a trace: select one in the trace list (t), a waterfall, or a log line (L)"},
		{"QUEUE", "a Celery queue: zoom the Celery pane and select one"},
		{"TASK_ID", "a Celery task: zoom the Celery pane and select a running or failed task"},
		{"ROUTE", "a route: focus a handler (b, then enter) or select one in the breakdown by handler"},
		{"INSTANCE", "an instance: focus one, or select one in the breakdown by instance"},
		{"START", "the chart window's start"},
		{"END", "the chart window's end"},
	}
}

// Names are the variables' names.
func Names() []string {
	out := make([]string, 0, 10)
	for _, v := range All() {
		out = append(out, v.Name)
	}
	return out
}

// From says what selects variable name ("" for an unknown one).
func From(name string) string {
	for _, v := range All() {
		if v.Name == name {
			return v.From
		}
	}
	return ""
}

// FromSource reports whether variable name's value comes from what a
// source sent (a label, a log line, a queue's name), not from the
// configuration or the clock ($ENV, $START, $END).
func FromSource(name string) bool {
	return Known(name) && name != "ENV" && name != "START" && name != "END"
}

// Known reports whether name is a variable.
func Known(name string) bool { return From(name) != "" }

// ref is one $NAME or ${NAME} in a string: its bytes [start, end) and name.
type ref struct {
	start, end int
	name       string
}

// scan finds the references in s. "$$" is a literal dollar (skipped, and
// reported by literal so Expand can write one); a dollar before anything
// but a name or a brace is literal too.
func scan(s string, visit func(r ref, literal bool)) {
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			continue
		}
		switch c := s[i+1]; {
		case c == '$':
			visit(ref{start: i, end: i + 2}, true)
			i++
		case c == '{':
			j := strings.IndexByte(s[i+2:], '}')
			if j < 0 {
				continue
			}
			visit(ref{start: i, end: i + 2 + j + 1, name: s[i+2 : i+2+j]}, false)
			i += 2 + j
		case nameStart(c):
			j := i + 1
			for j < len(s) && nameByte(s[j]) {
				j++
			}
			visit(ref{start: i, end: j, name: s[i+1 : j]}, false)
			i = j - 1
		}
	}
}

func nameStart(c byte) bool { return c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }
func nameByte(c byte) bool  { return nameStart(c) || c >= '0' && c <= '9' }

// Refs are the variables an argv refers to, in order of first use: the
// known names only. An argv that refers to none is passed as written,
// dollars and all (a literal "$DATABASE_URL", "$$"), as before variables
// were; one that does is expanded, and the configuration refuses an
// unknown name beside them (a typo would run with the name itself).
func Refs(argv ...string) []string {
	var out []string
	for _, n := range names(argv...) {
		if Known(n) {
			out = append(out, n)
		}
	}
	return out
}

// names are the names an argv refers to, known or not, in order of first use.
func names(argv ...string) []string {
	var out []string
	for _, a := range argv {
		scan(a, func(r ref, literal bool) {
			if !literal && !slices.Contains(out, r.name) {
				out = append(out, r.name)
			}
		})
	}
	return out
}

// Shelled reports whether argv runs a shell on a script it carries
// (sh -c '…', bash -ec '…'): a value put into that script would be read
// as shell, so such a command is a shell string: its variables reach it
// in its environment only, never in its words.
func Shelled(argv []string) bool {
	if len(argv) < 3 {
		return false
	}
	switch filepath.Base(argv[0]) {
	case "sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "fish":
	default:
		return false
	}
	for _, a := range argv[1:] {
		if len(a) < 2 || a[0] != '-' || a[1] == '-' {
			continue
		}
		if strings.ContainsRune(a[1:], 'c') && strings.Trim(a[1:], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") == "" {
			return true
		}
	}
	return false
}

// Resembles is the known name that name differs from only in case ("pid":
// "PID"), or "".
func Resembles(name string) string {
	for _, n := range Names() {
		if strings.EqualFold(n, name) && n != name {
			return n
		}
	}
	return ""
}

// ShellRefs are the variables a shell string uses: the known names among
// its references ($PATH and $1 are the shell's own).
func ShellRefs(shell string) []string {
	var out []string
	for _, n := range names(shell) {
		// ${PID:-x} and ${#PID} read PID too.
		n = strings.TrimPrefix(n, "#")
		if i := strings.IndexAny(n, ":-+=?#%/"); i > 0 {
			n = n[:i]
		}
		if Known(n) && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// Unknown are the references in arg that are not variables, each as
// written ("$HOME"), for the configuration's error.
func Unknown(arg string) []string {
	var out []string
	scan(arg, func(r ref, literal bool) {
		if !literal && !Known(r.name) {
			out = append(out, arg[r.start:r.end])
		}
	})
	return out
}

// Expand replaces the references in arg by their values, in one pass: a
// value is never read again, so a value holding "$PID" stays as it is. A
// variable without a value is an error; an unknown name stays as written;
// "$$" is one dollar.
func Expand(arg string, values map[string]string) (string, error) {
	var b strings.Builder
	last := 0
	var err error
	scan(arg, func(r ref, literal bool) {
		if err != nil {
			return
		}
		b.WriteString(arg[last:r.start])
		last = r.end
		if literal {
			b.WriteByte('$')
			return
		}
		if !Known(r.name) {
			b.WriteString(arg[r.start:r.end]) // not a variable: as written
			return
		}
		v, ok := values[r.name]
		if !ok || v == "" {
			err = fmt.Errorf("$%s has no value", r.name)
			return
		}
		b.WriteString(v)
	})
	if err != nil {
		return "", err
	}
	b.WriteString(arg[last:])
	return b.String(), nil
}

// Missing are the variables of names without a value in values, each with
// what selects it ("$PID needs a Postgres session: …"), "" when none misses.
func Missing(names []string, values map[string]string) string {
	var out []string
	for _, n := range names {
		if values[n] == "" {
			out = append(out, "$"+n+" needs "+From(n))
		}
	}
	return strings.Join(out, "; ")
}
