package binding

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"
)

// Scope says where a binding is live.
type Scope int

const (
	Main      Scope = iota // the main screen, a pane zoomed or not
	Postgres               // the Postgres pane zoomed: its sessions
	Drift                  // the drift pane zoomed
	Picker                 // the environment picker
	Overlay                // an action's question or output
	Typing                 // a filter or an environment name being typed
	Breakdown              // a metric pane split by a label
	Traces                 // a metric pane's exemplars: its traced requests
	Alerts                 // Alertmanager's alerts and silences
	Overview               // every environment at a glance
	Celery                 // the Celery pane zoomed: its queues, tasks and failures
	Logs                   // the logs view
)

var scopeNames = [...]string{Main: "main screen", Postgres: "Postgres zoomed", Drift: "drift zoomed", Picker: "environment picker",
	Overlay: "action overlay", Typing: "typing", Breakdown: "breakdown", Traces: "trace list", Alerts: "alerts view", Overview: "overview", Celery: "Celery zoomed", Logs: "logs view"}

// String names the scope as the help and the README do.
func (s Scope) String() string { return scopeNames[s] }

// zoomed scopes are entered from the main screen and take their keys before
// it: a key of theirs equal to a main-screen key would hide that one.
func (s Scope) zoomed() bool { return s == Postgres || s == Drift || s == Celery }

// Spec is one remappable binding.
type Spec struct {
	Name   string
	Keys   []string
	Scopes []Scope
	// Help is the help screen's and the footer's text; Group its column.
	Help  string
	Group string
	// Footer puts the binding in the main screen's footer.
	Footer bool
	// Single bindings take exactly one key (actions, matched as typed).
	Single bool
}

// Names lists the binding names of specs, for "did you mean".
func Names(specs []Spec) []string {
	out := make([]string, 0, len(specs))
	for _, d := range specs {
		out = append(out, d.Name)
	}
	return out
}

// Problem is a finding about overrides; Name is the binding it belongs to.
type Problem struct {
	Name string
	Msg  string
}

// Resolve applies overrides (binding name -> keys) to specs and reports
// unknown names, malformed keys and conflicts. The result maps every name to
// its keys.
func Resolve(specs []Spec, overrides map[string][]string) (map[string][]string, []Problem) {
	var probs []Problem
	out := map[string][]string{}
	known := map[string]Spec{}
	for _, d := range specs {
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
			probs = append(probs, Problem{Name: name, Msg: fmt.Sprintf("no binding named %q (bindings: %s)", name, strings.Join(Names(specs), ", "))})
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
	// Conflicts, reported once per pair at the later binding in list order.
	for i, a := range specs {
		for _, b := range specs[:i] {
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
			if x == y || (x == Main && y.zoomed()) || (x.zoomed() && y == Main) {
				return true
			}
		}
	}
	return false
}

// Taken maps each key of the main screen (its bindings and the zoomed
// panes') to its binding, for checking the keys of custom commands.
func Taken(specs []Spec, resolved map[string][]string) map[string]string {
	out := map[string]string{}
	for _, d := range specs {
		if !clash(d.Scopes, []Scope{Main}) {
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

// Display is how a binding's keys are shown: the first, arrows drawn as
// arrows, with a letter alias after an arrow (↑/k).
func Display(ks []string) string {
	if len(ks) == 0 {
		return ""
	}
	arrow := map[string]string{"up": "↑", "down": "↓", "left": "←", "right": "→"}
	first := ks[0]
	if a, ok := arrow[first]; ok {
		first = a
		if len(ks) > 1 {
			first += "/" + ks[1]
		}
	}
	return first
}
