package celerypane

import (
	"github.com/opsdeck/opsdeck/ui/binding"
	"github.com/opsdeck/opsdeck/ui/pane"
)

// Bindings are the zoomed Celery pane's own keys: each a confirmed action of
// the console on what is selected here.
func Bindings() []pane.Key[*Model] {
	in := []binding.Scope{binding.Celery}
	const group = "Celery zoomed"
	return []pane.Key[*Model]{
		{Spec: binding.Spec{Name: "celery_purge", Keys: []string{"P"}, Scopes: in, Help: "purge the queue", Group: group}},
		{Spec: binding.Spec{Name: "celery_revoke", Keys: []string{"X"}, Scopes: in, Help: "revoke the task", Group: group}},
		{Spec: binding.Spec{Name: "celery_terminate", Keys: []string{"T"}, Scopes: in, Help: "revoke and terminate the running task", Group: group}},
		{Spec: binding.Spec{Name: "celery_retry", Keys: []string{"E"}, Scopes: in, Help: "retry the failed task", Group: group}},
	}
}
