package driftpane

import (
	"github.com/opsdeck/opsdeck/ui/binding"
	"github.com/opsdeck/opsdeck/ui/pane"
)

// Bindings are the zoomed drift pane's own keys: the migration check runs as
// the console's action.
func Bindings() []pane.Key[*Model] {
	return []pane.Key[*Model]{
		{Spec: binding.Spec{Name: "run_check", Keys: []string{"c"}, Scopes: []binding.Scope{binding.Drift}, Help: "run the migration check", Group: "Drift zoomed"}},
	}
}
