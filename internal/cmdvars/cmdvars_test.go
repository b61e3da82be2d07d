package cmdvars

import (
	"slices"
	"strings"
	"testing"
)

func TestRefsAndExpand(t *testing.T) {
	if got := Refs("--pid=$PID", "${ROUTE}x", "$$PID", "$1", "cost $", "$PID"); !slices.Equal(got, []string{"PID", "ROUTE"}) {
		t.Errorf("refs %v", got)
	}
	if got := ShellRefs(`echo "$HOME" ${PID:-0} $QUEUE $$ $1`); !slices.Equal(got, []string{"PID", "QUEUE"}) {
		t.Errorf("shell refs %v", got)
	}
	if got := Unknown("$HOME/$PID/${pid}"); !slices.Equal(got, []string{"$HOME", "${pid}"}) {
		t.Errorf("unknown %v", got)
	}
	vals := map[string]string{"PID": "$ROUTE", "ROUTE": "/r"}
	for in, want := range map[string]string{"--pid=$PID": "--pid=$ROUTE", "$$PID": "$PID", "${ROUTE}x$": "/rx$", "a$1": "a$1"} {
		if got, err := Expand(in, vals); err != nil || got != want {
			t.Errorf("Expand(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := Expand("$QUEUE", vals); err == nil {
		t.Error("a variable without a value expanded")
	}
}

// FuzzExpand: whatever an argv element and a value hold, Expand never
// panics; with every variable it refers to given a value, it succeeds;
// each value appears whole (never read again as a reference), so the
// result is the element with each reference replaced in one pass.
func FuzzExpand(f *testing.F) {
	for _, s := range []string{"--pid=$PID", "${ROUTE}x$", "$$PID", "$", "${", "${}", "$1$PID$$", "é$TRACE_ID\x00"} {
		f.Add(s, "$PID")
	}
	f.Fuzz(func(t *testing.T, arg, value string) {
		if strings.Contains(arg, "\x01") {
			return // the test's own marker
		}
		vals := map[string]string{}
		for _, n := range Refs(arg) {
			vals[n] = value
		}
		got, err := Expand(arg, vals)
		if value == "" {
			if len(vals) > 0 && err == nil {
				t.Fatalf("Expand(%q) with empty values: %q", arg, got)
			}
			return
		}
		if err != nil {
			t.Fatalf("Expand(%q) with every reference given %q: %v", arg, value, err)
		}
		// Replacing the values by a marker free of dollars gives the same
		// shape as expanding with that marker: one pass, values untouched.
		marked, err := Expand(arg, markers(vals))
		if err != nil {
			t.Fatalf("marked %q: %v", marked, err)
		}
		if want := strings.ReplaceAll(marked, "\x01", value); want != got {
			t.Fatalf("Expand(%q, %q) = %q, want %q", arg, value, got, want)
		}
	})
}

func markers(vals map[string]string) map[string]string {
	out := map[string]string{}
	for k := range vals {
		out[k] = "\x01"
	}
	return out
}
