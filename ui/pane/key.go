package pane

import (
	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/ui/binding"
)

// Key is a binding a pane or view declares beside its code: its spec (name,
// default keys, scopes, help) and what it does to that pane or view (T)
// while one of those scopes is up. Do is nil where the console acts (an
// action begun, the panes narrowed, the screen left): the console supplies
// that handler by the binding's name. Disabled, when set, says why the key
// does nothing now ("" when it acts).
type Key[T any] struct {
	binding.Spec
	Do       func(T, tea.KeyPressMsg) tea.Cmd
	Disabled func(T) string
}
