package breakdown

import (
	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/ui/binding"
	"github.com/opsdeck/opsdeck/ui/pane"
)

// Bindings are the breakdown's own keys. (Moving, refreshing, choosing and
// closing are the console's, common to its lists.)
func Bindings() []pane.Key[*Model] {
	in := []binding.Scope{binding.Breakdown}
	return []pane.Key[*Model]{
		{Spec: binding.Spec{Name: "sort", Keys: []string{"s"}, Scopes: in, Help: "sort by next column", Group: "Postgres zoomed"},
			Do: func(m *Model, _ tea.KeyPressMsg) tea.Cmd { m.NextOrder(); return nil }},
		{Spec: binding.Spec{Name: "next_label", Keys: []string{"tab"}, Scopes: in, Help: "split by the next label", Group: "Breakdown"},
			Do: func(m *Model, _ tea.KeyPressMsg) tea.Cmd { return m.NextLabel(+1) }},
		{Spec: binding.Spec{Name: "previous_label", Keys: []string{"shift+tab"}, Scopes: in, Help: "previous label", Group: "Breakdown"},
			Do: func(m *Model, _ tea.KeyPressMsg) tea.Cmd { return m.NextLabel(-1) }},
	}
}
