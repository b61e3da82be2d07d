package cmdvars

import (
	"slices"
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
