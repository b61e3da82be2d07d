package ui

import (
	"charm.land/bubbles/v2/key"

	"github.com/opsdeck/opsdeck/internal/keys"
)

// KeyMap is every binding of the console, as data built from the key table
// (internal/keys) and the configuration's remapping: the footer and the help
// overlay are generated from it, so they cannot drift from what keys do.
type KeyMap struct {
	NextPane  key.Binding
	PrevPane  key.Binding
	Zoom      key.Binding
	Refresh   key.Binding
	SwitchEnv key.Binding
	Report    key.Binding
	Help      key.Binding
	Quit      key.Binding
	// Time navigation over the metric panes.
	Pause         key.Binding
	WindowShorter key.Binding
	WindowLonger  key.Binding
	CursorLeft    key.Binding
	CursorRight   key.Binding
	// Action keys (the actions themselves come from the environment), and
	// the key that cancels a running one.
	Migrate key.Binding
	Reset   key.Binding
	Cancel  key.Binding
	// In the Postgres sessions drill-down (Postgres pane zoomed).
	Filter  key.Binding
	Sort    key.Binding
	Reverse key.Binding
	// In the drift pane, zoomed.
	RunCheck key.Binding
	// Inside overlays and lists.
	Up     key.Binding
	Down   key.Binding
	Select key.Binding
	Close  key.Binding
}

// DefaultKeyMap is the out-of-the-box binding set.
func DefaultKeyMap() KeyMap {
	resolved, _ := keys.Resolve(nil)
	return KeyMapFrom(resolved)
}

// KeyMapFrom builds the key map from resolved bindings (binding name ->
// keys), as config.Config.Bindings holds them; a name missing from bindings
// keeps its default.
func KeyMapFrom(bindings map[string][]string) KeyMap {
	defs := map[string]keys.Def{}
	for _, d := range keys.Table() {
		defs[d.Name] = d
	}
	b := func(name string) key.Binding {
		d := defs[name]
		ks := bindings[name]
		if len(ks) == 0 {
			ks = d.Keys
		}
		return key.NewBinding(key.WithKeys(ks...), key.WithHelp(display(ks), d.Help))
	}
	return KeyMap{
		NextPane: b("focus"), PrevPane: b("focus_back"), Zoom: b("zoom"), Refresh: b("refresh"),
		SwitchEnv: b("environment"), Report: b("report"), Help: b("help"), Quit: b("quit"),
		Pause: b("pause"), WindowShorter: b("window_shorter"), WindowLonger: b("window_longer"),
		CursorLeft: b("cursor_left"), CursorRight: b("cursor_right"),
		Migrate: b("migrate"), Reset: b("reset"), Cancel: b("cancel"),
		Filter: b("filter"), Sort: b("sort"), Reverse: b("reverse"), RunCheck: b("run_check"),
		Up: b("up"), Down: b("down"), Select: b("select"), Close: b("close"),
	}
}

// display is a binding's keys as the help shows them: the first, with arrows
// drawn as arrows and a second key when it is a letter alias (↑/k).
func display(ks []string) string {
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

// ShortHelp is the footer.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.NextPane, k.Zoom, k.Refresh, k.SwitchEnv, k.Pause, k.Report, k.Help, k.Quit}
}

// HelpGroup is a titled column of the help overlay.
type HelpGroup struct {
	Title    string
	Bindings []key.Binding
}

// FullHelp is the help overlay, grouped.
func (k KeyMap) FullHelp() []HelpGroup {
	return []HelpGroup{
		{"Navigate", []key.Binding{k.NextPane, k.PrevPane, k.Zoom, k.Close}},
		{"Data", []key.Binding{k.Refresh, k.SwitchEnv, k.Report}},
		{"Time", []key.Binding{k.Pause, k.WindowShorter, k.WindowLonger, k.CursorLeft, k.CursorRight}},
		{"Console", []key.Binding{k.Help, k.Quit}},
		{"In lists", []key.Binding{k.Up, k.Down, k.Select, k.Cancel}},
		{"Postgres zoomed", []key.Binding{k.Filter, k.Sort, k.Reverse}},
		{"Drift zoomed", []key.Binding{k.RunCheck}},
	}
}
