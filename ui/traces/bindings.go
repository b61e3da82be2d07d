package traces

import (
	"github.com/opsdeck/opsdeck/ui/binding"
	"github.com/opsdeck/opsdeck/ui/pane"
)

// Bindings are the trace list's own keys; both act through the console (the
// clipboard and its notice, the Postgres pane zoomed and filtered).
func Bindings() []pane.Key[*Model] {
	in := []binding.Scope{binding.Traces}
	return []pane.Key[*Model]{
		{Spec: binding.Spec{Name: "copy_trace", Keys: []string{"y"}, Scopes: in, Help: "copy the trace's link (OSC 52)", Group: "Traces"}},
		{Spec: binding.Spec{Name: "find_statement", Keys: []string{"f"}, Scopes: in, Help: "find its query in Postgres", Group: "Traces"},
			Disabled: func(m *Model) string {
				if _, ok := m.Statement(); !ok {
					return "open a trace and select a database span"
				}
				return ""
			}},
	}
}
