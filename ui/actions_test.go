package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/ui/actionpane"
)

// fakeAction records runs and plays back the lines the test queued.
type fakeAction struct {
	runs      int
	previews  int
	confirmed []string
	ranPlan   []int // the preview each run acted on
	queue     []actionpane.Line
}

func (f *fakeAction) action(name, key string, guard actionpane.Guard) actionpane.Action {
	return actionpane.Action{Name: name, Key: key, Guard: guard, Reason: "environment qa is read-only", Refreshes: true,
		Preview: func(context.Context) (actionpane.Preview, error) {
			f.previews++
			plan := f.previews
			return actionpane.Preview{Head: []string{name + " in qa: run `alembic upgrade head` against db.qa:6432/origin_db"},
				Run: func(_ context.Context, c actionpane.Consent) (<-chan actionpane.Line, func(), error) {
					f.runs++
					f.ranPlan = append(f.ranPlan, plan)
					f.confirmed = append(f.confirmed, c.How)
					ch := make(chan actionpane.Line, len(f.queue))
					for _, l := range f.queue {
						ch <- l
					}
					close(ch)
					return ch, func() {}, nil
				}}, nil
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
	if h.m.action.Active() || h.db.polls() == before {
		t.Error("esc did not close the output, or the panes were not refreshed")
	}
}

func TestActionGuards(t *testing.T) {
	h, f := actionHarness(t, func(f *fakeAction) []actionpane.Action {
		return []actionpane.Action{f.action("reset", "R", actionpane.Refused), f.action("migrate", "m", actionpane.TypeName), f.action("tests", "t", actionpane.Confirm)}
	})
	f.queue = []actionpane.Line{{Done: true, Exit: 2}}
	h.key("R")
	if f.runs != 0 || !strings.Contains(h.screen(), "reset refused: environment qa is read-only") {
		t.Fatalf("refused action ran or said nothing:\n%s", h.screen())
	}
	h.key("?")
	if s := h.screen(); !strings.Contains(s, "R  reset (reset refused: environment qa is read-only)") || !strings.Contains(s, "Commands (qa)") ||
		!strings.Contains(s, "t  tests") || strings.Count(s, "m  migrate") != 1 {
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

// TestSwitchingEnvironmentDropsThePendingPreview: a preview asked for in one
// environment and answered after a switch is never shown, confirmed or run
// as the next environment's, even though both overlays count from 1.
func TestSwitchingEnvironmentDropsThePendingPreview(t *testing.T) {
	envs := []EnvChoice{{Name: "qa"}, {Name: "production"}}
	h := newHarness(t, healthy(), envs, false)
	var ran []string
	h.m.deps.Actions = func(env string) []actionpane.Action {
		return []actionpane.Action{{Name: "reset", Key: "R", Guard: actionpane.Confirm,
			Preview: func(context.Context) (actionpane.Preview, error) {
				return actionpane.Preview{Head: []string{"Reset environment " + env + ": plan of " + env},
					Run: func(context.Context, actionpane.Consent) (<-chan actionpane.Line, func(), error) {
						ran = append(ran, "plan of "+env)
						ch := make(chan actionpane.Line, 1)
						ch <- actionpane.Line{Done: true}
						close(ch)
						return ch, func() {}, nil
					}}, nil
			}}}
	}
	h.m.openEnv("qa")
	h.size(160, 48)
	// R in qa: the preview is asked for, and has not answered yet.
	_, pending := h.m.Update(tea.KeyPressMsg{Code: 'R', Text: "R"})
	h.key("esc")
	h.key("e")
	h.key("down")
	h.key("enter")
	if h.m.Environment().Name != "production" {
		t.Fatalf("switched to %s", h.m.Environment().Name)
	}
	h.run(pending) // qa's preview answers now
	if s := h.screen(); strings.Contains(s, "plan of qa") || h.m.action.Active() {
		t.Fatalf("qa's preview was shown in production:\n%s", s)
	}
	h.key("R")
	h.run(pending) // and once more, while production's own question is up
	s := h.screen()
	if !strings.Contains(s, "plan of production") || strings.Contains(s, "plan of qa") {
		t.Fatalf("confirmation:\n%s", s)
	}
	h.key("y")
	if len(ran) != 1 || ran[0] != "plan of production" {
		t.Fatalf("ran %v", ran)
	}
}

// TestLongPreviewKeepsTargetCountsAndQuestionInView: 5,000 tables do not push
// the target, the counts or the question off the overlay; the list scrolls
// and scrolling does not answer the question.
func TestLongPreviewKeepsTargetCountsAndQuestionInView(t *testing.T) {
	items := make([]string, 5000)
	for i := range items {
		items[i] = fmt.Sprintf("public.t%04d (~%d rows)", i, i)
	}
	runs := 0
	h, _ := actionHarness(t, func(*fakeAction) []actionpane.Action {
		return []actionpane.Action{{Name: "reset", Key: "R", Guard: actionpane.Confirm,
			Preview: func(context.Context) (actionpane.Preview, error) {
				return actionpane.Preview{Head: []string{"Reset environment qa: empty 5000 table(s), ~12497500 rows, in db.qa:6432/origin_db"}, Items: items,
					Run: func(context.Context, actionpane.Consent) (<-chan actionpane.Line, func(), error) {
						runs++
						ch := make(chan actionpane.Line, 1)
						ch <- actionpane.Line{Done: true}
						close(ch)
						return ch, func() {}, nil
					}}, nil
			}}}
	})
	h.key("R")
	s := h.screen()
	checkGeometry(t, s, 160, 48)
	for _, want := range []string{"empty 5000 table(s), ~12497500 rows, in db.qa:6432/origin_db", "public.t0000 (~0 rows)", "of 5000", "[y/N]"} {
		if !strings.Contains(s, want) {
			t.Fatalf("%q not in view:\n%s", want, s)
		}
	}
	for range 3 {
		h.key("down")
	}
	s = h.screen()
	if strings.Contains(s, "public.t0000 ") || !strings.Contains(s, "public.t0003 (~3 rows)") || !strings.Contains(s, "[y/N]") || !h.m.action.Active() {
		t.Fatalf("after scrolling:\n%s", s)
	}
	h.key("y")
	if runs != 1 {
		t.Fatal("y after scrolling did not run it")
	}
}

// TestCtrlCWhileAnActionRunsAsksFirst: the first ctrl+c asks, another key
// keeps the action running, a second ctrl+c stops it and the console quits
// when it has ended (its end audited); a third would quit at once.
func TestCtrlCWhileAnActionRunsAsksFirst(t *testing.T) {
	cancelled := 0
	lines := make(chan actionpane.Line, 1)
	h, next := running(t, lines, func() { cancelled++ })
	quits := func(cmd tea.Cmd) bool {
		if cmd == nil {
			return false
		}
		_, quit := cmd().(tea.QuitMsg)
		return quit
	}
	ctrlC := func() bool {
		_, cmd := h.m.Update(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
		return quits(cmd)
	}
	if ctrlC() || cancelled != 0 || !strings.Contains(h.screen(), "migrate is running: ctrl+c again stops it and quits") {
		t.Fatalf("first ctrl+c: cancelled %d\n%s", cancelled, h.screen())
	}
	h.m.Update(tea.KeyPressMsg{Code: 'a', Text: "a"})
	if ctrlC() || cancelled != 0 {
		t.Fatal("the question was not asked again after the answer no")
	}
	if ctrlC() || cancelled != 1 || !strings.Contains(h.screen(), "stopping migrate, then quitting") {
		t.Fatalf("second ctrl+c: cancelled %d\n%s", cancelled, h.screen())
	}
	lines <- actionpane.Line{Done: true, Exit: -1, Err: errors.New("cancelled")}
	if _, cmd := h.m.Update(next()); !quits(cmd) {
		t.Fatal("the stopped action ended and the console did not quit")
	}
}

// TestHeaderNamesTheConfigurationFile: which file is in force decides what
// is protected, so the header says it, keeping the file's name when short of room.
func TestHeaderNamesTheConfigurationFile(t *testing.T) {
	h := newHarness(t, healthy(), nil, false)
	h.m.deps.ConfigSource = "/home/oncall/.config/opsdeck/config.yaml"
	h.size(160, 48)
	if head := strings.SplitN(h.screen(), "\n", 2)[0]; !strings.Contains(head, "config /home/oncall/.config/opsdeck/config.yaml") {
		t.Fatalf("header: %s", head)
	}
	h.m.deps.ConfigSource = "/tmp/a/very/long/path/that/does/not/fit/in/a/quarter/of/the/screen/opsdeck.yaml"
	if head := strings.SplitN(h.screen(), "\n", 2)[0]; !strings.Contains(head, "…") || !strings.Contains(head, "/screen/opsdeck.yaml") {
		t.Fatalf("header: %s", head)
	}
}

// TestLongPreviewScrollStopsAtTheLastPage: scrolling past the end keeps the
// last page in view, and one press up moves it at once.
func TestLongPreviewScrollStopsAtTheLastPage(t *testing.T) {
	items := make([]string, 50)
	for i := range items {
		items[i] = fmt.Sprintf("public.t%02d", i)
	}
	h, _ := actionHarness(t, func(*fakeAction) []actionpane.Action {
		return []actionpane.Action{{Name: "reset", Key: "R", Guard: actionpane.Confirm,
			Preview: func(context.Context) (actionpane.Preview, error) {
				return actionpane.Preview{Head: []string{"Reset environment qa"}, Items: items}, nil
			}}}
	})
	h.key("R")
	for range 200 {
		h.key("down")
	}
	if s := h.screen(); !strings.Contains(s, "public.t49") || !strings.Contains(s, "of 50") {
		t.Fatalf("after scrolling past the end:\n%s", s)
	}
	before := h.screen()
	h.key("up")
	if h.screen() == before {
		t.Fatal("up after the end did not move the list")
	}
}

// TestNoticesAtStart: a run an earlier opsdeck left unfinished is said in
// the footer when the console opens.
func TestNoticesAtStart(t *testing.T) {
	h := newHarness(t, healthy(), nil, false)
	h.m.deps.Notices = []string{"audit log: reset in qa, started 2026-11-29 10:00:00 by alice, never finished"}
	h.run(h.m.Init())
	h.size(160, 48)
	if s := h.screen(); !strings.Contains(s, "⚠ audit log: reset in qa, started 2026-11-29 10:00:00 by alice, never finished") {
		t.Fatalf("footer:\n%s", s)
	}
}

// TestOverlayKeysActOrSayWhy: with an action's output open, another
// action's key starts that action; any other key says what the overlay
// takes, while it runs and after.
func TestOverlayKeysActOrSayWhy(t *testing.T) {
	h, f := actionHarness(t, func(f *fakeAction) []actionpane.Action {
		return []actionpane.Action{f.action("migrate", "m", actionpane.None), f.action("reset", "R", actionpane.Confirm)}
	})
	f.queue = []actionpane.Line{{Text: "done"}, {Done: true}}
	h.key("m")
	if s := h.screen(); !strings.Contains(s, "✔ done in") {
		t.Fatalf("migrate did not finish:\n%s", s)
	}
	h.key("z")
	if s := h.screen(); !strings.Contains(s, "esc closes migrate's output") {
		t.Fatalf("z with the output open:\n%s", s)
	}
	h.key("R")
	if s := h.screen(); !strings.Contains(s, "reset in qa: run") || !strings.Contains(s, "[y/N]") {
		t.Fatalf("R with migrate's output open:\n%s", s)
	}
}

// TestKeysWhileRunningSayWhy: a key an action's run does not take says so.
func TestKeysWhileRunningSayWhy(t *testing.T) {
	h, _ := running(t, make(chan actionpane.Line), func() {})
	h.m.Update(tea.KeyPressMsg{Code: 'z', Text: "z"})
	if s := h.screen(); !strings.Contains(s, "migrate is running: x cancels it; one action at a time") {
		t.Fatalf("z while running:\n%s", s)
	}
}

// TestThirdCtrlCQuitsAtOnce: when a stopped action does not end, a third
// ctrl+c quits without waiting for it.
func TestThirdCtrlCQuitsAtOnce(t *testing.T) {
	h, _ := running(t, make(chan actionpane.Line), func() {})
	var cmd tea.Cmd
	for range 3 {
		_, cmd = h.m.Update(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	}
	if cmd == nil {
		t.Fatal("the third ctrl+c did not quit")
	}
	if _, quit := cmd().(tea.QuitMsg); !quit {
		t.Fatal("the third ctrl+c did not quit")
	}
}

// running is a console whose migrate is running and never ends by itself:
// lines feeds it; next is the held Cmd that waits for its next line.
func running(t *testing.T, lines chan actionpane.Line, cancel func()) (h *harness, next tea.Cmd) {
	h, _ = actionHarness(t, func(*fakeAction) []actionpane.Action {
		return []actionpane.Action{{Name: "migrate", Key: "m", Guard: actionpane.None,
			Preview: func(context.Context) (actionpane.Preview, error) {
				return actionpane.Preview{Run: func(context.Context, actionpane.Consent) (<-chan actionpane.Line, func(), error) {
					return lines, cancel, nil
				}}, nil
			}}}
	})
	_, preview := h.m.Update(tea.KeyPressMsg{Code: 'm', Text: "m"})
	_, next = h.m.Update(preview())
	if !h.m.action.Running() {
		t.Fatal("not running")
	}
	return h, next
}
