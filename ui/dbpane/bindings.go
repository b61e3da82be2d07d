package dbpane

import (
	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/ui/binding"
	"github.com/opsdeck/opsdeck/ui/pane"
)

// Bindings are the zoomed Postgres pane's own keys; cancelling and
// terminating a session go through the console's confirmed actions.
func Bindings() []pane.Key[*Model] {
	in := []binding.Scope{binding.Postgres}
	const group = "Postgres zoomed"
	return []pane.Key[*Model]{
		{Spec: binding.Spec{Name: "filter", Keys: []string{"/"}, Scopes: in, Help: "filter sessions", Group: group},
			Do: func(m *Model, _ tea.KeyPressMsg) tea.Cmd { return m.StartFilter() }},
		{Spec: binding.Spec{Name: "db_view", Keys: []string{"v"}, Scopes: in, Help: "sessions/locks/statements", Group: group},
			Do: func(m *Model, _ tea.KeyPressMsg) tea.Cmd { return m.NextView() }},
		{Spec: binding.Spec{Name: "cancel_query", Keys: []string{"c"}, Scopes: in, Help: "cancel its query", Group: group}},
		{Spec: binding.Spec{Name: "terminate_session", Keys: []string{"K"}, Scopes: in, Help: "terminate its session", Group: group}},
		{Spec: binding.Spec{Name: "sort", Keys: []string{"s"}, Scopes: in, Help: "sort by next column", Group: group},
			Do: func(m *Model, _ tea.KeyPressMsg) tea.Cmd { m.NextSort(); return nil }},
		{Spec: binding.Spec{Name: "reverse", Keys: []string{"S"}, Scopes: in, Help: "reverse order", Group: group},
			Do: func(m *Model, _ tea.KeyPressMsg) tea.Cmd { m.Reverse(); return nil }},
	}
}
