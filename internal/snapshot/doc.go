// Package snapshot polls every source of an environment once and renders the
// result as JSON (documented in the README) or text: `opsdeck snapshot`.
package snapshot
