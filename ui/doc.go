// Package ui is the console: the root model lays panes out, moves focus and
// routes messages; each pane (in its own package) polls and renders itself.
// The ui packages never import a database, Redis or Prometheus client: they
// see sources only through the interfaces of package sources.
package ui
