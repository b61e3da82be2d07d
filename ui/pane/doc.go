// Package pane defines what every pane of the console shares: the read-only
// Context passed to each pane at construction (no globals) and the Pane
// interface the root model lays out and routes messages to.
package pane
