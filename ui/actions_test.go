package ui

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/opsdeck/opsdeck/ui/actionpane"
)

// fakeAction records runs and plays back the lines the test queued.
type fakeAction struct {
	runs      int
	confirmed []string
	queue     []actionpane.Line
}

func (f *fakeAction) action(name, key string, guard actionpane.Guard) actionpane.Action {
	return actionpane.Action{Name: name, Key: key, Guard: guard, Reason: "environment qa is read-only", Refreshes: true,
		Preview: func(context.Context) (string, any, error) {
			return name + " in qa: run `alembic upgrade head` against db.qa:6432/origin_db", "token", nil
		},
		Run: func(_ context.Context, token any, confirmation string) (<-chan actionpane.Line, func(), error) {
			if token != "token" {
				return nil, nil, errors.New("the token of the preview was not passed on")
			}
			f.runs++
			f.confirmed = append(f.confirmed, confirmation)
			ch := make(chan actionpane.Line, len(f.queue))
			for _, l := range f.queue {
				ch <- l
			}
			close(ch)
			return ch, func() {}, nil
		}}
}

func actionHarness(t *testing.T, acts func(*fakeAction) []actionpane.Action) (*harness, *fakeAction) {
	f := &fakeAction{}
	h := newHarness(t, healthy(), nil, false)
	h.m.deps.Actions = func(string) []actionpane.Action { return acts(f) }
	h.m.openEnv("qa")
	h.size(160, 48)
	h.advance(0)
	return h, f
}

// TestActionConfirmRunStreamRefresh: m asks y/N showing what it will run;
// anything but y cancels; y runs it, its output streams in with the exit
// status, esc closes it and every pane refreshes.
func TestActionConfirmRunStreamRefresh(t *testing.T) {
	h, f := actionHarness(t, func(f *fakeAction) []actionpane.Action {
		return []actionpane.Action{f.action("migrate", "m", actionpane.Confirm)}
	})
	f.queue = []actionpane.Line{{Text: "INFO Running upgrade a1 -> b2, seed"}, {Text: "warning: slow", Stderr: true}, {Done: true, Exit: 0}}
	h.key("m")
	s := h.screen()
	checkGeometry(t, s, 160, 48)
	if !strings.Contains(s, "migrate in qa: run `alembic upgrade head` against db.qa:6432/origin_db") || !strings.Contains(s, "[y/N]") {
		t.Fatalf("no confirmation:\n%s", s)
	}
	h.key("n")
	if f.runs != 0 || !strings.Contains(h.screen(), "migrate not run") {
		t.Fatal("n ran it, or said nothing")
	}
	h.key("m")
	h.key("y")
	s = h.screen()
	if f.runs != 1 || f.confirmed[0] != "confirmed y" || !strings.Contains(s, "INFO Running upgrade a1 -> b2, seed") ||
		!strings.Contains(s, "warning: slow") || !strings.Contains(s, "✔ done in 0s") {
		t.Fatalf("runs %d %v:\n%s", f.runs, f.confirmed, s)
	}
	before := h.db.polls()
	h.key("esc")
	if h.m.act.Active() || h.db.polls() == before {
		t.Error("esc did not close the output, or the panes were not refreshed")
	}
}

func TestActionGuards(t *testing.T) {
	h, f := actionHarness(t, func(f *fakeAction) []actionpane.Action {
		return []actionpane.Action{f.action("reset", "R", actionpane.Refused), f.action("migrate", "m", actionpane.TypeName)}
	})
	f.queue = []actionpane.Line{{Done: true, Exit: 2}}
	h.key("R")
	if f.runs != 0 || !strings.Contains(h.screen(), "reset refused: environment qa is read-only") {
		t.Fatalf("refused action ran or said nothing:\n%s", h.screen())
	}
	h.key("?")
	if s := h.screen(); !strings.Contains(s, "R  reset: environment qa is read-only") || !strings.Contains(s, "Actions (qa)") {
		t.Errorf("help does not show the refused action with its reason:\n%s", s)
	}
	h.key("esc")
	h.key("m")
	if !strings.Contains(h.screen(), "qa is protected. Type its name to run migrate") {
		t.Fatalf("no typed-name question:\n%s", h.screen())
	}
	for _, k := range []string{"p", "r", "o", "d"} {
		h.key(k)
	}
	h.key("enter")
	if f.runs != 0 || !strings.Contains(h.screen(), "name did not match: migrate not run") {
		t.Fatalf("a mistyped name ran it")
	}
	h.key("m")
	h.key("q") // typed into the name, not a quit
	h.key("a")
	if h.quit {
		t.Fatal("q quit while typing the name")
	}
	h.key("enter")
	if f.runs != 1 || f.confirmed[0] != "environment name typed" || !strings.Contains(h.screen(), "✖ exit 2") {
		t.Fatalf("typed name: runs %d %v\n%s", f.runs, f.confirmed, h.screen())
	}
}
