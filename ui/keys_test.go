package ui

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/ui/actionpane"
	"github.com/opsdeck/opsdeck/ui/binding"
	"github.com/opsdeck/opsdeck/ui/logsview"
)

// namedKeys are the keys the configuration names (binding.Valid).
var namedKeys = map[string]rune{"tab": tea.KeyTab, "enter": tea.KeyEnter, "esc": tea.KeyEscape, "space": tea.KeySpace,
	"backspace": tea.KeyBackspace, "delete": tea.KeyDelete, "insert": tea.KeyInsert, "home": tea.KeyHome, "end": tea.KeyEnd,
	"pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown, "up": tea.KeyUp, "down": tea.KeyDown, "left": tea.KeyLeft, "right": tea.KeyRight,
	"f1": tea.KeyF1, "f2": tea.KeyF2, "f3": tea.KeyF3, "f4": tea.KeyF4, "f5": tea.KeyF5, "f6": tea.KeyF6, "f7": tea.KeyF7,
	"f8": tea.KeyF8, "f9": tea.KeyF9, "f10": tea.KeyF10, "f11": tea.KeyF11, "f12": tea.KeyF12}

// keyMsg is the key press that Bubble Tea names k; ok is false when no
// press is named so (the name does not round-trip).
func keyMsg(k string) (msg tea.KeyPressMsg, ok bool) {
	rest := k
	for _, m := range []struct {
		prefix string
		mod    tea.KeyMod
	}{{"ctrl+", tea.ModCtrl}, {"alt+", tea.ModAlt}, {"shift+", tea.ModShift}} {
		if r, cut := strings.CutPrefix(rest, m.prefix); cut {
			msg.Mod |= m.mod
			rest = r
		}
	}
	if code, named := namedKeys[rest]; named {
		msg.Code = code
	} else if r, size := utf8.DecodeRuneInString(rest); size == len(rest) && r != utf8.RuneError {
		msg.Code = r
		if msg.Mod == 0 {
			msg.Text = rest
		}
	} else {
		return msg, false
	}
	return msg, msg.String() == k
}

// allKeys is every key the configuration accepts and a key press is named
// by: each printable rune of Latin-1 and Latin Extended-A and each named
// key, alone and with ctrl, alt and shift.
func allKeys() []string {
	var bases []string
	for r := rune(0x21); r < 0x180; r++ {
		if unicode.IsGraphic(r) && !unicode.IsSpace(r) {
			bases = append(bases, string(r))
		}
	}
	for name := range namedKeys {
		bases = append(bases, name)
	}
	slices.Sort(bases)
	var out []string
	for _, mods := range []string{"", "ctrl+", "alt+", "shift+", "ctrl+alt+", "ctrl+shift+", "alt+shift+"} {
		for _, b := range bases {
			k := mods + b
			if _, ok := keyMsg(k); ok && binding.Valid(k) == nil {
				out = append(out, k)
			}
		}
	}
	return out
}

// freeKeys are the keys of allKeys no binding uses by default.
func freeKeys() []string {
	used := map[string]bool{}
	for _, s := range Specs() {
		for _, k := range s.Keys {
			used[k] = true
		}
	}
	var out []string
	for _, k := range allKeys() {
		if !used[k] {
			out = append(out, k)
		}
	}
	return out
}

// every scope a binding can have, each with how to bring a console there.
var scenes = map[binding.Scope]func(h *harness){
	binding.Main:     func(*harness) {},
	binding.Postgres: func(h *harness) { h.focusOn(h.m.dbPane); h.run(h.m.setZoom(true)) },
	binding.Drift:    func(h *harness) { h.focusOn(h.m.driftPane); h.run(h.m.setZoom(true)) },
	binding.Celery:   func(h *harness) { h.focusOn(h.m.celeryPane); h.run(h.m.setZoom(true)) },
	binding.Typing: func(h *harness) {
		h.focusOn(h.m.dbPane)
		h.run(h.m.setZoom(true))
		h.run(h.m.dbPane.StartFilter())
	},
	binding.Picker:    func(h *harness) { h.m.push(&pickerScreen{}) },
	binding.Overlay:   func(h *harness) { cmd, _ := h.m.action.PressName("migrate"); h.run(cmd) },
	binding.Breakdown: func(h *harness) { h.run(h.m.openBreakdown()) },
	binding.Traces:    func(h *harness) { h.run(h.m.openTraces()) },
	binding.Alerts:    func(h *harness) { h.run(h.m.openAlerts()) },
	binding.Overview:  func(h *harness) { h.run(h.m.openOverview()) },
	binding.Logs: func(h *harness) {
		h.m.push(&logsScreen{model: logsview.New(h.m.paneContext, logsview.Options{}, logsview.Jump{})})
	},
}

func (h *harness) focusOn(p interface{ ID() string }) {
	for i, q := range h.m.panes {
		if q.ID() == p.ID() {
			h.m.focus = i
		}
	}
	h.run(h.m.layout())
}

// dispatcher holds a console in each scope, built once: its bindings'
// handlers only record which binding a key reached.
type dispatcher struct {
	t       *testing.T
	scenes  map[binding.Scope]*harness
	reached string
}

func newDispatcher(t *testing.T) *dispatcher {
	return &dispatcher{t: t, scenes: map[binding.Scope]*harness{}}
}

// scene is the console in scope s (built again when a key typed or
// answered there moved it out of s).
func (d *dispatcher) scene(s binding.Scope) *harness {
	if h := d.scenes[s]; h != nil && h.m.scope() == s {
		return h
	}
	t := d.t
	t.Helper()
	h, am := alertsHarness(t)
	h.celery = &fakeCelery{st: sampleCelery()}
	f := &fakeAction{}
	h.m.deps.Actions = func(string) []actionpane.Action {
		return []actionpane.Action{f.action("migrate", "", actionpane.Confirm)}
	}
	h.m.openEnv("qa")
	h.m.env.Alerting.Source = am
	h.m.silences = silenceActions()
	h.m.buildPanes()
	h.size(160, 48)
	h.advance(0)
	scenes[s](h)
	if got := h.m.scope(); got != s {
		t.Fatalf("scene %v: the console is in scope %v", s, got)
	}
	for i := range h.m.bindings {
		name := h.m.bindings[i].Name
		h.m.bindings[i].Handler = func(*Model, tea.KeyPressMsg) tea.Cmd { d.reached = name; return nil }
		h.m.bindings[i].Disabled = nil
	}
	d.scenes[s] = h
	return h
}

// press sends k in scope s with keys resolved, and says which binding it
// reached ("" none).
func (d *dispatcher) press(s binding.Scope, resolved map[string][]string, k string) string {
	h := d.scene(s)
	h.m.keys = newKeymap(resolved)
	msg, _ := keyMsg(k)
	d.reached = ""
	h.m.Update(msg)
	return d.reached
}

// check presses, in each scope of each binding (of only, when set), its
// resolved keys (each must reach it) and its default keys (none may).
func (d *dispatcher) check(resolved map[string][]string, only string) {
	t := d.t
	t.Helper()
	for _, b := range Bindings() {
		if only != "" && b.Name != only {
			continue
		}
		for _, s := range b.Scopes {
			for _, k := range resolved[b.Name] {
				if got := d.press(s, resolved, k); got != b.Name {
					t.Errorf("%v: %s bound to %q: the key reached %q", s, b.Name, k, got)
				}
			}
			for _, k := range b.Keys {
				if slices.Contains(resolved[b.Name], k) {
					continue
				}
				if got := d.press(s, resolved, k); got == b.Name {
					t.Errorf("%v: %s moved to %v: its old key %q still reaches it", s, b.Name, resolved[b.Name], k)
				}
			}
		}
	}
}

// TestEachBindingOnAFreeKey moves each binding in turn to a key no binding
// uses, drawn across every key there is: in each of its scopes the new key
// reaches it and the old keys do not.
func TestEachBindingOnAFreeKey(t *testing.T) {
	free := freeKeys()
	specs := Specs()
	d := newDispatcher(t)
	if len(free) < 2*len(specs) {
		t.Fatalf("only %d free keys for %d bindings", len(free), len(specs))
	}
	for i, s := range specs {
		k := free[i*len(free)/len(specs)]
		for j := 1; s.Single && binding.Answer(k); j++ {
			k = free[(i*len(free)/len(specs)+j)%len(free)]
		}
		resolved, probs := binding.Resolve(specs, map[string][]string{s.Name: {k}})
		if len(probs) > 0 {
			t.Fatalf("%s on %q: %v", s.Name, k, probs)
		}
		d.check(resolved, s.Name)
	}
}

// TestShuffledBindings gives every binding at once new keys drawn at random
// from the free keys (one or two each), a few times over.
func TestShuffledBindings(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed>>1))
	d := newDispatcher(t)
	for round := range 3 {
		free := freeKeys()
		rng.Shuffle(len(free), func(i, j int) { free[i], free[j] = free[j], free[i] })
		remap := map[string][]string{}
		for _, s := range Specs() {
			n := 1 + rng.IntN(2)
			if s.Single {
				n = 1
			}
			for len(remap[s.Name]) < n {
				k := free[0]
				free = free[1:]
				if s.Single && binding.Answer(k) {
					continue
				}
				remap[s.Name] = append(remap[s.Name], k)
			}
		}
		resolved, probs := binding.Resolve(Specs(), remap)
		if len(probs) > 0 {
			t.Fatalf("round %d: %v", round, probs)
		}
		d.t = t
		t.Run(fmt.Sprint(round), func(t *testing.T) { d.t = t; d.check(resolved, "") })
	}
}

// TestEveryBindingHasAHandler: a key a pane or view declares without a
// handler of its own gets the console's (consoleKeys).
func TestEveryBindingHasAHandler(t *testing.T) {
	for _, b := range Bindings() {
		if b.Handler == nil {
			t.Errorf("%s has no handler: declare Do in its package or add it to consoleKeys", b.Name)
		}
	}
}
