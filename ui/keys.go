package ui

import "charm.land/bubbles/v2/key"

// KeyMap is every binding of the console, as data: the footer and the help
// overlay are generated from it, so they cannot drift from what keys do.
type KeyMap struct {
	NextPane  key.Binding
	PrevPane  key.Binding
	Zoom      key.Binding
	Refresh   key.Binding
	SwitchEnv key.Binding
	Help      key.Binding
	Quit      key.Binding
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
	return KeyMap{
		NextPane:  key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "focus")),
		PrevPane:  key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "focus back")),
		Zoom:      key.NewBinding(key.WithKeys("enter", "z"), key.WithHelp("enter", "zoom")),
		Refresh:   key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh")),
		SwitchEnv: key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "environment")),
		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:      key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
		Filter:    key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter sessions")),
		Sort:      key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort by next column")),
		Reverse:   key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "reverse order")),
		RunCheck:  key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "run alembic check")),
		Up:        key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:      key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Select:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "choose")),
		Close:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "unzoom / close")),
	}
}

// ShortHelp is the footer.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.NextPane, k.Zoom, k.Refresh, k.SwitchEnv, k.Help, k.Quit}
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
		{"Data", []key.Binding{k.Refresh, k.SwitchEnv}},
		{"Console", []key.Binding{k.Help, k.Quit}},
		{"In lists", []key.Binding{k.Up, k.Down, k.Select}},
		{"Postgres zoomed", []key.Binding{k.Filter, k.Sort, k.Reverse}},
		{"Drift zoomed", []key.Binding{k.RunCheck}},
	}
}
