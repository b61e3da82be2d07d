package keys

import (
	"strings"
	"testing"
)

func TestDefaultsHaveNoConflicts(t *testing.T) {
	resolved, probs := Resolve(nil)
	if len(probs) > 0 {
		t.Fatalf("the default table conflicts with itself: %v", probs)
	}
	if len(resolved) != len(Table()) {
		t.Errorf("%d bindings resolved, table has %d", len(resolved), len(Table()))
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
		// The picker is a different scope from the main screen: no clash.
		{map[string][]string{"select": {"r"}}, ""},
		{map[string][]string{"select": {"esc"}}, `"esc" is bound to both close and select`},
		{map[string][]string{"quit": {}}, "needs at least one key"},
		{map[string][]string{"nope": {"x"}}, `no binding named "nope"`},
		{map[string][]string{"reset": {"X", "Y"}}, "exactly one key"},
	}
	for _, c := range cases {
		_, probs := Resolve(c.overrides)
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
	resolved, _ := Resolve(map[string][]string{"pause": {"x"}})
	taken := Taken(resolved)
	if taken["x"] != "pause" || taken["p"] != "" || taken["s"] != "sort" || taken["enter"] != "zoom" {
		t.Errorf("taken: x=%q p=%q s=%q enter=%q", taken["x"], taken["p"], taken["s"], taken["enter"])
	}
}

func TestValid(t *testing.T) {
	for _, k := range []string{"q", "?", "ctrl+r", "shift+tab", "f5", "f12", "space", "alt+enter", "+"} {
		if err := Valid(k); err != nil {
			t.Errorf("%q: %v", k, err)
		}
	}
	for _, k := range []string{"", "banana", "ctrl+", "f13", "qq"} {
		if Valid(k) == nil {
			t.Errorf("%q accepted", k)
		}
	}
}
