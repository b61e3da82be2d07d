package logsview

import (
	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/ui/binding"
	"github.com/opsdeck/opsdeck/ui/pane"
)

// Bindings are the logs view's own keys. Opening a line's trace leaves the
// view for the trace screen: the console does it.
func Bindings() []pane.Key[*Model] {
	in := []binding.Scope{binding.Logs}
	return []pane.Key[*Model]{
		{Spec: binding.Spec{Name: "logs_follow", Keys: []string{"f"}, Scopes: in, Help: "follow the newest lines (on/off)", Group: "Logs"},
			Do: func(m *Model, _ tea.KeyPressMsg) tea.Cmd { return m.ToggleFollow() }},
		{Spec: binding.Spec{Name: "logs_filter", Keys: []string{"/"}, Scopes: in, Help: "filter (LogsQL)", Group: "Logs"},
			Do: func(m *Model, _ tea.KeyPressMsg) tea.Cmd { return m.StartFilter() }},
		{Spec: binding.Spec{Name: "logs_trace", Keys: []string{"t"}, Scopes: in, Help: "open the line's trace", Group: "Logs"},
			Disabled: func(m *Model) string {
				if m == nil || m.TraceID() == "" {
					return "the selected line has no trace id"
				}
				return ""
			}},
	}
}
