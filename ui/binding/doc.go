// Package binding is what a key binding is, apart from what it does: its
// name (as written under keys: in the configuration), default keys, the
// scopes where it is live and its help text; and the rules a remapping must
// keep (a valid key, no two bindings on one key in one scope). The console's
// one list of bindings (ui.Bindings) is made of these, with handlers; the
// configuration checks overrides against the same list.
package binding
