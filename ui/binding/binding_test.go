package binding_test

import (
	"strings"
	"testing"

	"github.com/opsdeck/opsdeck/ui"
	"github.com/opsdeck/opsdeck/ui/binding"
)

func TestDefaultsHaveNoConflicts(t *testing.T) {
	resolved, probs := binding.Resolve(ui.Specs(), nil)
	if len(probs) > 0 {
		t.Fatalf("the console's bindings conflict with each other: %v", probs)
	}
	if len(resolved) != len(ui.Specs()) {
		t.Errorf("%d bindings resolved, the list has %d", len(resolved), len(ui.Specs()))
	}
}

func TestConflictsAndShadowing(t *testing.T) {
	cases := []struct {
		overrides map[string][]string
		want      string // "" for no problem
	}{
		{map[string][]string{"refresh": {"f5"}}, ""},
		{map[string][]string{"pause": {"r"}}, `"r" is bound to both refresh and pause`},
		// A zoomed pane takes its keys first: "q" there would hide quit.
		{map[string][]string{"filter": {"q"}}, `"q" is bound to both quit and filter`},
		// The lists are different scopes from the main screen: no clash.
		{map[string][]string{"select": {"p"}}, ""},
		// quit is the overview's too, a list where select acts.
		{map[string][]string{"select": {"q"}}, `"q" is bound to both quit and select`},
		{map[string][]string{"select": {"esc"}}, `"esc" is bound to both close and select`},
		// ctrl+c works everywhere, typing included: nothing may take it.
		{map[string][]string{"cancel": {"ctrl+c"}}, `"ctrl+c" is bound to both interrupt and cancel`},
		{map[string][]string{"quit": {}}, "needs at least one key"},
		{map[string][]string{"nope": {"x"}}, `no binding named "nope"`},
		{map[string][]string{"reset": {"X", "Z"}}, "exactly one key"},
		{map[string][]string{"reset": {"y"}}, "answers the y/N question"},
	}
	for _, c := range cases {
		_, probs := binding.Resolve(ui.Specs(), c.overrides)
		var msgs []string
		for _, p := range probs {
			msgs = append(msgs, p.Name+": "+p.Msg)
		}
		got := strings.Join(msgs, "; ")
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%v: problems %q, want %q", c.overrides, got, c.want)
		}
	}
}

func TestTakenIncludesRemaps(t *testing.T) {
	specs := ui.Specs()
	resolved, _ := binding.Resolve(specs, map[string][]string{"pause": {"x"}})
	taken := binding.Taken(specs, resolved)
	if taken["x"] != "pause" || taken["p"] != "" || taken["s"] != "sort" || taken["enter"] != "zoom" || taken["c"] != "run_check" {
		t.Errorf("taken: x=%q p=%q s=%q enter=%q c=%q", taken["x"], taken["p"], taken["s"], taken["enter"], taken["c"])
	}
}

func TestValid(t *testing.T) {
	for _, k := range []string{"q", "?", "ctrl+r", "shift+tab", "f5", "f12", "space", "alt+enter", "+"} {
		if err := binding.Valid(k); err != nil {
			t.Errorf("%q: %v", k, err)
		}
	}
	for _, k := range []string{"", "banana", "ctrl+", "f13", "qq", " ", "\t"} {
		if binding.Valid(k) == nil {
			t.Errorf("%q accepted", k)
		}
	}
}

func TestDisplay(t *testing.T) {
	for ks, want := range map[string]string{"up k": "↑/k", "esc": "esc", "left": "←", "enter z": "enter"} {
		if got := binding.Display(strings.Fields(ks)); got != want {
			t.Errorf("Display(%q) = %q, want %q", ks, got, want)
		}
	}
}

// TestEveryScopeHasAName: the help and the README name each scope a binding
// lives in.
func TestEveryScopeHasAName(t *testing.T) {
	for _, b := range ui.Specs() {
		for _, s := range b.Scopes {
			if s.String() == "" {
				t.Errorf("%s: scope %d has no name", b.Name, s)
			}
		}
	}
}
