// Package keys is the console's key table as data: every binding's name (as
// written under keys: in the config), default keys, help text and scope. The
// configuration validates overrides against it and the UI builds its key map
// and help screen from it, so the two cannot disagree.
package keys

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"
)

// Scope says when a binding is live. A zoomed pane takes its keys before the
// global ones, so a zoomed key equal to a global key would hide the global.
type Scope int

const (
	Global Scope = iota // the main screen
	Zoomed              // a zoomed pane's drill-down
	Lists               // overlays: the environment picker, action questions
)

// Def is one remappable binding.
type Def struct {
	Name   string
	Scopes []Scope
	Keys   []string
	// Help is the help screen's text; the first key is shown with it.
	Help string
	// Single bindings take exactly one key (action keys, matched as typed).
	Single bool
}

// Table is every binding, in help order.
func Table() []Def {
	g, z, l := []Scope{Global}, []Scope{Zoomed}, []Scope{Lists}
	return []Def{
		{Name: "focus", Scopes: g, Keys: []string{"tab"}, Help: "focus"},
		{Name: "focus_back", Scopes: g, Keys: []string{"shift+tab"}, Help: "focus back"},
		{Name: "zoom", Scopes: g, Keys: []string{"enter", "z"}, Help: "zoom"},
		{Name: "close", Scopes: []Scope{Global, Lists}, Keys: []string{"esc"}, Help: "unzoom / close"},
		{Name: "refresh", Scopes: g, Keys: []string{"r"}, Help: "refresh"},
		{Name: "environment", Scopes: g, Keys: []string{"e"}, Help: "environment"},
		{Name: "report", Scopes: g, Keys: []string{"w"}, Help: "write report"},
		{Name: "pause", Scopes: g, Keys: []string{"p", "space"}, Help: "pause"},
		{Name: "window_shorter", Scopes: g, Keys: []string{"+", "="}, Help: "shorter chart window"},
		{Name: "window_longer", Scopes: g, Keys: []string{"-"}, Help: "longer chart window"},
		{Name: "cursor_left", Scopes: g, Keys: []string{"left", "h"}, Help: "cursor back in time"},
		{Name: "cursor_right", Scopes: g, Keys: []string{"right", "l"}, Help: "cursor forward"},
		{Name: "help", Scopes: g, Keys: []string{"?"}, Help: "help"},
		{Name: "quit", Scopes: g, Keys: []string{"q", "ctrl+c"}, Help: "quit"},
		{Name: "migrate", Scopes: g, Keys: []string{"m"}, Help: "migrate", Single: true},
		{Name: "reset", Scopes: g, Keys: []string{"R"}, Help: "reset", Single: true},
		{Name: "filter", Scopes: z, Keys: []string{"/"}, Help: "filter sessions"},
		{Name: "sort", Scopes: z, Keys: []string{"s"}, Help: "sort by next column"},
		{Name: "reverse", Scopes: z, Keys: []string{"S"}, Help: "reverse order"},
		{Name: "run_check", Scopes: z, Keys: []string{"c"}, Help: "run alembic check"},
		{Name: "up", Scopes: []Scope{Zoomed, Lists}, Keys: []string{"up", "k"}, Help: "up"},
		{Name: "down", Scopes: []Scope{Zoomed, Lists}, Keys: []string{"down", "j"}, Help: "down"},
		{Name: "select", Scopes: l, Keys: []string{"enter"}, Help: "choose"},
		{Name: "cancel", Scopes: l, Keys: []string{"x"}, Help: "cancel a running action"},
	}
}

// Names lists the binding names, for "did you mean".
func Names() []string {
	var out []string
	for _, d := range Table() {
		out = append(out, d.Name)
	}
	return out
}

// Problem is a finding about overrides; Name is the binding it belongs to
// ("" for a custom command's key, whose owner the caller knows).
type Problem struct {
	Name string
	Msg  string
}

// Resolve applies overrides (binding name -> keys) to the table and reports
// unknown names, malformed keys and conflicts. The result maps every name to
// its keys.
func Resolve(overrides map[string][]string) (map[string][]string, []Problem) {
	var probs []Problem
	table := Table()
	out := map[string][]string{}
	known := map[string]Def{}
	for _, d := range table {
		out[d.Name] = d.Keys
		known[d.Name] = d
	}
	names := make([]string, 0, len(overrides))
	for n := range overrides {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		ks := overrides[name]
		d, ok := known[name]
		switch {
		case !ok:
			probs = append(probs, Problem{Name: name, Msg: fmt.Sprintf("no binding named %q (bindings: %s)", name, strings.Join(Names(), ", "))})
			continue
		case len(ks) == 0:
			probs = append(probs, Problem{Name: name, Msg: "needs at least one key"})
			continue
		case d.Single && len(ks) != 1:
			probs = append(probs, Problem{Name: name, Msg: "an action takes exactly one key"})
			continue
		case d.Single && Answer(ks[0]):
			probs = append(probs, Problem{Name: name, Msg: fmt.Sprintf("%q answers the y/N question: an action on it would confirm itself on a second press", ks[0])})
			continue
		}
		bad := false
		for _, k := range ks {
			if err := Valid(k); err != nil {
				probs = append(probs, Problem{Name: name, Msg: err.Error()})
				bad = true
			}
		}
		if !bad {
			out[name] = ks
		}
	}
	// Conflicts, reported once per pair at the later binding in table order.
	for i, a := range table {
		for _, b := range table[:i] {
			if !clash(a.Scopes, b.Scopes) {
				continue
			}
			for _, k := range out[a.Name] {
				if slices.Contains(out[b.Name], k) {
					probs = append(probs, Problem{Name: blame(a.Name, b.Name, overrides), Msg: fmt.Sprintf("%q is bound to both %s and %s", k, b.Name, a.Name)})
				}
			}
		}
	}
	return out, probs
}

// blame picks the overridden binding of a conflicting pair (the one the user wrote).
func blame(a, b string, overrides map[string][]string) string {
	if _, ok := overrides[a]; ok {
		return a
	}
	return b
}

func clash(a, b []Scope) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y || (x == Global && y == Zoomed) || (x == Zoomed && y == Global) {
				return true
			}
		}
	}
	return false
}

// Taken maps each key of the main screen (global and zoomed bindings) to its
// binding, for checking the keys of custom commands.
func Taken(resolved map[string][]string) map[string]string {
	out := map[string]string{}
	for _, d := range Table() {
		if !clash(d.Scopes, []Scope{Global}) {
			continue
		}
		for _, k := range resolved[d.Name] {
			out[k] = d.Name
		}
	}
	return out
}

var named = regexp.MustCompile(`^((ctrl|alt|shift)\+)*(tab|enter|esc|space|backspace|delete|insert|home|end|pgup|pgdown|up|down|left|right|f([1-9]|1[0-2])|.)$`)

// Answer reports whether k answers a y/N question: an action bound to it
// would confirm itself when pressed twice.
func Answer(k string) bool { return k == "y" || k == "Y" }

// Valid checks that k is a key as Bubble Tea names it: one printable
// character, or a named key with modifiers ("ctrl+r", "shift+tab", "f5").
// A space, a tab or a control character written as itself is refused: no
// terminal sends it under that name (write space, tab).
func Valid(k string) error {
	if k == "" {
		return fmt.Errorf("an empty key")
	}
	if r := []rune(k); len(r) == 1 && !unicode.IsGraphic(r[0]) || k == " " {
		return fmt.Errorf("%q is not a key a terminal sends as itself: write space, tab or enter, or pick a printable character", k)
	}
	if !named.MatchString(k) {
		return fmt.Errorf("%q is not a key: use one character or a name like tab, esc, space, left, f5, ctrl+r", k)
	}
	return nil
}
