package ui

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/ui/binding"
)

// What is open on the stack, for tests.

func (h *harness) alertsOpen() bool {
	_, ok := find[*alertsScreen](h.m)
	return ok
}

func (h *harness) breakdownOpen() bool {
	_, ok := find[*breakdownScreen](h.m)
	return ok
}

func (h *harness) tracesOpen() bool {
	_, ok := find[*tracesScreen](h.m)
	return ok
}

// overviewOpen: the overview is shown (not dormant under a console).
func (h *harness) overviewOpen() bool { return h.m.overviewUp() }

func (h *harness) helpOpen() bool {
	_, ok := h.m.top().(helpScreen)
	return ok
}

func (h *harness) pickerOpen() bool {
	_, ok := h.m.top().(*pickerScreen)
	return ok
}

// kinds names the screens on the stack, bottom first.
func (h *harness) kinds() []string {
	out := make([]string, len(h.m.stack))
	for i, s := range h.m.stack {
		out[i] = strings.TrimPrefix(fmt.Sprintf("%T", s), "*ui.")
		out[i] = strings.TrimPrefix(out[i], "ui.")
	}
	return out
}

func (h *harness) wantStack(step string, want ...string) {
	h.t.Helper()
	if got := h.kinds(); !slices.Equal(got, want) {
		h.t.Fatalf("%s: stack %v, want %v", step, got, want)
	}
}

// TestStackOrder: screens open over each other in the order asked, esc
// closes exactly the top one, and the scope is the top screen's.
func TestStackOrder(t *testing.T) {
	h := newHarness(t, healthy(), nil, false)
	h.size(160, 48)
	h.wantStack("start", "consoleScreen")
	h.key("enter") // zoom the first metric pane
	h.wantStack("zoom", "consoleScreen", "zoomScreen")
	if s := h.m.scope(); s != binding.Main {
		t.Errorf("a zoomed metric pane: scope %v", s)
	}
	h.key("b")
	h.wantStack("breakdown", "consoleScreen", "zoomScreen", "breakdownScreen")
	if s := h.m.scope(); s != binding.Breakdown {
		t.Errorf("breakdown on top: scope %v", s)
	}
	h.key("esc")
	h.wantStack("esc over the breakdown", "consoleScreen", "zoomScreen")
	if s := h.m.scope(); s != binding.Main || !h.m.zoomed() {
		t.Errorf("after esc: scope %v, zoomed %v", s, h.m.zoomed())
	}
	h.key("esc")
	h.wantStack("esc over the zoom", "consoleScreen")
	h.key("esc") // nothing over the console: it stays
	h.wantStack("esc on the console", "consoleScreen")

	// The Postgres pane zoomed: a filter goes before the zoom.
	for !h.m.focused(h.m.dbPane) {
		h.key("tab")
	}
	h.key("enter")
	if s := h.m.scope(); s != binding.Postgres {
		t.Errorf("Postgres zoomed: scope %v", s)
	}
	h.key("/")
	if s := h.m.scope(); s != binding.Typing {
		t.Errorf("Postgres filter: scope %v", s)
	}
	h.key("x")
	h.key("enter")
	h.key("esc")
	h.wantStack("esc clears the filter", "consoleScreen", "zoomScreen")
	if strings.Contains(h.screen(), "filter: x") {
		t.Error("esc did not clear the filter")
	}
	h.key("esc")
	h.wantStack("esc unzooms", "consoleScreen")

	// The time cursor is cleared before the narrowed label; neither pops.
	for h.m.focus != 0 {
		h.key("tab")
	}
	h.key("b")
	h.key("enter")
	h.key("h")
	h.key("esc")
	if !h.m.timeline.Cursor.IsZero() || h.m.narrow.Label == "" {
		t.Errorf("first esc: cursor %v, narrow %q", h.m.timeline.Cursor, h.m.narrow.Label)
	}
	h.key("esc")
	if h.m.narrow.Label != "" {
		t.Error("second esc did not clear the narrowed label")
	}
	h.wantStack("after clearing", "consoleScreen")
}

// TestLateResultOfAClosedScreen: a fetch answered after its screen closed,
// or after another screen of its kind replaced it, changes nothing.
func TestLateResultOfAClosedScreen(t *testing.T) {
	src := healthy()
	h := newHarness(t, src, nil, false)
	h.size(160, 48)
	_, pending := h.m.Update(tea.KeyPressMsg{Code: 'b', Text: "b"}) // its fetch not run
	h.key("esc")
	h.run(pending)
	h.wantStack("closed breakdown", "consoleScreen")

	// Replaced: the first breakdown's answer does not reach the second.
	_, first := h.m.Update(tea.KeyPressMsg{Code: 'b', Text: "b"})
	h.key("esc")
	h.key("tab")
	_, second := h.m.Update(tea.KeyPressMsg{Code: 'b', Text: "b"})
	h.run(first)
	if rows := h.m.breakdownView().Rows(); len(rows) != 0 {
		t.Fatalf("the closed breakdown's answer reached its successor: %d rows", len(rows))
	}
	h.run(second)
	if rows := h.m.breakdownView().Rows(); len(rows) == 0 {
		t.Fatal("the open breakdown's own answer was dropped")
	}

	// The overview closed before its reads came.
	h.key("esc")
	_, reads := h.m.Update(tea.KeyPressMsg{Code: 'o', Text: "o"})
	h.key("esc")
	before := h.screen()
	h.run(reads)
	h.wantStack("closed overview", "consoleScreen")
	if h.screen() != before {
		t.Error("the closed overview's reads changed the screen")
	}
}

// TestEnvironmentSwitchEmptiesTheStack: choosing another environment
// closes every screen over the console; the overview stays under it when
// it was the base.
func TestEnvironmentSwitchEmptiesTheStack(t *testing.T) {
	envs := []EnvChoice{{Name: "qa"}, {Name: "production", Protected: true}}
	h := newHarness(t, healthy(), envs, false)
	h.size(160, 48)
	h.key("enter") // zoom
	h.key("e")
	h.wantStack("picker", "consoleScreen", "zoomScreen", "pickerScreen")
	h.key("down")
	h.key("enter")
	h.wantStack("switched", "consoleScreen")
	if h.m.Environment().Name != "production" || h.m.zoomed() {
		t.Fatalf("env %s, zoomed %v", h.m.Environment().Name, h.m.zoomed())
	}

	// The overview as the base: it stays, dormant, under the new console.
	h.key("o")
	h.key("enter") // production's console, over the overview
	h.wantStack("from the overview", "overviewScreen", "consoleScreen")
	h.key("enter")
	h.key("e")
	h.key("down")
	h.key("enter")
	h.wantStack("switched over the overview", "overviewScreen", "consoleScreen")
	if h.m.Environment().Name != "qa" || h.overviewOpen() {
		t.Fatalf("env %s, overview shown %v", h.m.Environment().Name, h.overviewOpen())
	}
	h.key("esc")
	if !h.overviewOpen() {
		t.Fatal("esc did not go back to the overview")
	}
}

// TestOverviewAtStart: with Deps.Overview the overview is the base; enter
// replaces it with the chosen console, the overview dormant under it.
func TestOverviewAtStart(t *testing.T) {
	h := newHarness(t, healthy(), []EnvChoice{{Name: "qa"}, {Name: "production"}}, false)
	deps := h.m.deps
	deps.Overview, deps.Initial = true, "qa"
	h.m = New(deps)
	h.run(h.m.Init())
	h.size(160, 48)
	h.wantStack("start", "overviewScreen")
	if s := h.m.scope(); s != binding.Overview || h.m.started {
		t.Fatalf("scope %v, panes started %v", s, h.m.started)
	}
	h.key("down")
	h.key("enter")
	h.wantStack("enter", "overviewScreen", "consoleScreen")
	if h.overviewOpen() || h.m.Environment().Name != "production" || !h.m.started {
		t.Fatalf("overview %v, env %s, started %v", h.overviewOpen(), h.m.Environment().Name, h.m.started)
	}
	h.key("esc")
	h.wantStack("esc", "overviewScreen")
	h.key("esc") // the overview at the base: its console
	h.wantStack("esc on the base overview", "consoleScreen")
}
