package alertsview

import (
	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/ui/binding"
	"github.com/opsdeck/opsdeck/ui/pane"
)

// Bindings are the alerts view's own keys. Silencing, acknowledging and
// expiring go through the console's guarded, confirmed and audited actions,
// which also say when they are refused.
func Bindings() []pane.Key[*Model] {
	in := []binding.Scope{binding.Alerts}
	return []pane.Key[*Model]{
		{Spec: binding.Spec{Name: "alerts_tab", Keys: []string{"tab"}, Scopes: in, Help: "alerts / silences", Group: "Alerts"},
			Do: func(m *Model, _ tea.KeyPressMsg) tea.Cmd { m.NextTab(); return nil }},
		{Spec: binding.Spec{Name: "silence", Keys: []string{"s"}, Scopes: in, Help: "silence the alert", Group: "Alerts"},
			Do: func(m *Model, _ tea.KeyPressMsg) tea.Cmd { cmd, _ := m.OpenForm(0, ""); return cmd }},
		{Spec: binding.Spec{Name: "acknowledge", Keys: []string{"a"}, Scopes: in, Help: "acknowledge (a short silence)", Group: "Alerts"}},
		{Spec: binding.Spec{Name: "expire", Keys: []string{"u"}, Scopes: in, Help: "expire the silence", Group: "Alerts"}},
	}
}
