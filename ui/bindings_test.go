package ui

import (
	"context"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/ui/actionpane"
	"github.com/opsdeck/opsdeck/ui/binding"
)

// TestEveryBindingRemapped moves every binding to a new key: each still does
// its job on the new key, the old keys do nothing, and no screen (footer,
// help, drill-down hints, overlays, picker) names an old key.
//
// The new keys are drawn at random (the seed is logged) from every key no
// binding uses (freeKeys), the answer to the y/N question apart: a key
// pressed over the question would answer it.
func TestEveryBindingRemapped(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	var free []string
	for _, k := range freeKeys() {
		if !binding.Answer(k) {
			free = append(free, k)
		}
	}
	rand.New(rand.NewPCG(seed, 1)).Shuffle(len(free), func(i, j int) { free[i], free[j] = free[j], free[i] })
	remap := map[string][]string{}
	for i, b := range Bindings() {
		remap[b.Name] = []string{free[i]}
	}
	resolved, probs := binding.Resolve(Specs(), remap)
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	K := func(name string) string { return resolved[name][0] }

	src := healthy()
	h := newHarness(t, src, []EnvChoice{{Name: "qa"}, {Name: "production", Protected: true}}, false)
	f := &fakeAction{}
	lines := make(chan actionpane.Line)
	cancelled := false
	h.m.deps.Actions = func(string) []actionpane.Action {
		long := f.action("reset", "", actionpane.Confirm)
		preview := long.Preview
		long.Preview = func(ctx context.Context) (actionpane.Preview, error) {
			p, err := preview(ctx)
			p.Items = strings.Split(strings.Repeat("public.t\n", 40), "\n")
			return p, err
		}
		return []actionpane.Action{f.action("migrate", "", actionpane.Confirm), long, f.action(CheckAction, "", actionpane.Confirm),
			{Name: "tests", Key: "t", Guard: actionpane.None, Preview: func(context.Context) (actionpane.Preview, error) {
				return actionpane.Preview{Run: func(context.Context, actionpane.Consent) (<-chan actionpane.Line, func(), error) {
					return lines, func() { cancelled = true; close(lines) }, nil
				}}, nil
			}}}
	}
	h.m.deps.Bindings = resolved
	h.m.keys = newKeymap(resolved)
	h.m.openEnv("qa")
	h.size(160, 48)
	h.advance(0)

	var screens []string
	look := func() string { s := h.screen(); screens = append(screens, s); return s }
	look()

	// The old keys do nothing on the main screen.
	for _, k := range []string{"q", "tab", "?", "r", "p", "enter"} {
		reads := metricReads(src)
		h.key(k)
		if h.quit || h.m.focus != 0 || len(h.m.stack) != 1 || h.m.timeline.Paused || h.m.zoomed() || metricReads(src) != reads {
			t.Fatalf("old key %q still acts", k)
		}
	}
	h.key(K("focus"))
	if h.m.focus != 1 {
		t.Error("focus")
	}
	h.key(K("focus_back"))
	if h.m.focus != 0 {
		t.Error("focus_back")
	}
	h.key(K("help"))
	if s := look(); !h.helpOpen() || !regexp.MustCompile(regexp.QuoteMeta(binding.Display([]string{K("focus")}))+`\s+focus`).MatchString(s) {
		t.Errorf("help:\n%s", s)
	}
	h.key("z") // any key closes help (z: an old key, bound to nothing now)
	before := metricReads(src)
	h.key(K("refresh"))
	if metricReads(src) == before {
		t.Error("refresh fetched nothing")
	}
	h.key(K("pause"))
	if !h.m.timeline.Paused {
		t.Error("pause")
	}
	h.key(K("pause"))
	w := h.m.timeline.Window
	h.key(K("window_shorter"))
	if h.m.timeline.Window >= w {
		t.Error("window_shorter")
	}
	h.key(K("window_longer"))
	if h.m.timeline.Window != w {
		t.Error("window_longer")
	}
	h.key(K("cursor_left"))
	at := h.m.timeline.Cursor
	h.key(K("cursor_left"))
	h.key(K("cursor_right"))
	if at.IsZero() || !h.m.timeline.Cursor.Equal(at) {
		t.Error("cursor_left/right")
	}
	h.key(K("close"))
	h.key(K("pause"))
	if !h.m.timeline.Cursor.IsZero() || h.m.timeline.Paused {
		t.Error("close did not clear the cursor")
	}
	// The breakdown of the focused metric pane.
	h.key(K("breakdown"))
	if s := look(); !h.breakdownOpen() || !strings.Contains(s, "Requests/s by handler") || !strings.Contains(s, "/api/chat") {
		t.Fatalf("breakdown:\n%s", s)
	}
	h.key(K("next_label"))
	h.key(K("previous_label"))
	h.key(K("next_label"))
	if s := look(); !strings.Contains(s, "Requests/s by instance") {
		t.Errorf("next_label:\n%s", s)
	}
	h.key(K("sort"))
	if !strings.Contains(h.screen(), "sorted by change over the window") {
		t.Error("sort in the breakdown")
	}
	asked := len(src.splits)
	h.key(K("refresh"))
	h.key(K("down"))
	if len(src.splits) != asked+1 || !strings.Contains(look(), "api-2:8000") {
		t.Error("refresh in the breakdown")
	}
	h.key(K("close"))
	if h.breakdownOpen() {
		t.Error("close did not close the breakdown")
	}
	h.key(K("zoom"))
	if look(); !h.m.zoomed() {
		t.Error("zoom")
	}
	h.key(K("close"))
	if h.m.zoomed() {
		t.Error("close did not unzoom")
	}

	// The Postgres drill-down.
	for !h.m.focused(h.m.dbPane) {
		h.key(K("focus"))
	}
	h.key(K("zoom"))
	look()
	h.key(K("filter"))
	h.key("x")
	look()
	h.key(K("select"))
	if h.m.dbPane.Capturing() || !strings.Contains(h.screen(), "filter: x") {
		t.Error("select did not keep the filter")
	}
	h.key(K("close"))
	if !h.m.zoomed() || strings.Contains(h.screen(), "filter: x") {
		t.Error("the first close clears the filter and stays zoomed")
	}
	was := h.m.dbPane.Sessions()
	h.key(K("sort"))
	sorted := h.m.dbPane.Sessions()
	h.key(K("reverse"))
	if now := h.m.dbPane.Sessions(); sorted.Sort == was.Sort || now.Desc == sorted.Desc {
		t.Errorf("sort/reverse: %+v, %+v, %+v", was, sorted, now)
	}
	h.key(K("down"))
	h.key(K("down"))
	h.key(K("up"))
	if c := h.m.dbPane.Sessions().Cursor; c != 1 {
		t.Errorf("up/down: cursor %d", c)
	}
	h.key(K("close"))

	// The drift pane's check goes through the overlay.
	for !h.m.focused(h.m.driftPane) {
		h.key(K("focus"))
	}
	h.key(K("zoom"))
	look()
	h.key(K("run_check"))
	if look(); !h.m.action.Active() {
		t.Fatal("run_check did not start the check")
	}
	h.key(K("close"))
	h.key(K("close"))

	// Actions: the question, scrolling, the output, cancel.
	h.key(K("reset"))
	first := look()
	h.key(K("page_down"))
	h.key(K("down"))
	h.key(K("up"))
	if !h.m.action.Active() || h.screen() == first {
		t.Error("page_down/down/up did not scroll the reset's list")
	}
	h.key(K("close"))
	h.key(K("migrate"))
	h.key("y")
	look()
	h.key(K("select"))
	if h.m.action.Active() || f.runs != 1 {
		t.Errorf("migrate ran %d times; select closes its output", f.runs)
	}
	// The run's next line is held, not awaited: nothing is sent until cancel.
	_, preview := h.m.Update(tea.KeyPressMsg{Code: 't', Text: "t"})
	_, next := h.m.Update(preview())
	look()
	h.key(K("cancel"))
	if !cancelled {
		t.Error("cancel")
	}
	h.run(next)
	h.key(K("close"))

	// The picker.
	h.key(K("environment"))
	look()
	h.key(K("down"))
	h.key(K("up"))
	h.key(K("environment"))
	h.key(K("select"))
	if h.m.Environment().Name != "production" {
		t.Errorf("picker chose %s", h.m.Environment().Name)
	}
	look()
	h.key(K("interrupt"))
	if !h.quit {
		t.Error("interrupt")
	}
	h.quit = false
	h.key(K("quit"))
	if !h.quit {
		t.Error("quit")
	}

	old := regexp.MustCompile(`(^|[\s·(/,])(esc|enter|ctrl\+c|tab|shift\+tab|pgup|pgdown|↑/k|↓/j|x cancels|/ filter|s sort|c: run)([\s:·)/,]|$)`)
	for _, s := range screens {
		if m := old.FindString(s); m != "" {
			t.Errorf("a screen names the old key %q after every binding was remapped:\n%s", m, s)
		}
	}
}
