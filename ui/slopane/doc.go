// Package slopane is the SLO pane: how fast is each objective's error
// budget burning? Per objective, most urgent first: the burn rate now, the
// multi-window pair that breaches, the budget left and when it runs out,
// the SLI against its target, and, given room, the burn over every window.
package slopane
