// Package ui is the console: the root model lays panes out, moves focus and
// routes messages; each pane (in its own package) polls and renders itself.
// The ui packages never import a database, Redis or Prometheus client: they
// see sources only through the interfaces of package sources.
//
// # Screens
//
// The root holds a stack of screens (screens.go). At the bottom is the
// console, one environment's panes, or the overview of every environment;
// over it, whatever was opened since: a zoomed pane, a breakdown, the trace
// list, the alerts view, the help, the environment picker. A screen has a
// scope (which bindings act while it is on top), an escape (esc handled
// inside it: an open trace back to its list, a filter or the time cursor
// cleared), an update for the results of its own fetches, a draw over the
// console's frame, a resize and a close. Esc asks the top screen, then pops
// it; a result whose screen is no longer on the stack is dropped. Enter on
// the overview opens a console over it (the overview dormant, reading
// nothing), and esc there goes back to it. Switching environment closes
// every screen over the console.
//
// The action overlay (an action's question, then its output) is not a
// screen: it is a layer over whichever screen is up, as an action outlives
// the screen that started it (a silence begun in the alerts view).
//
// # Keys
//
// Bindings is the one list of keys, in help order: the footer, the help,
// the README's key table, the configuration's check of keys (Specs) and the
// dispatch of every key press read it. The console declares the keys common
// to every screen (navigation, data, time, lists); each pane or view
// declares its own beside its code (dbpane.Bindings, breakdown.Bindings, …:
// pane.Key values), and Bindings gathers them. A key a pane or view
// declares without a handler acts through the console (an action begun,
// the panes narrowed), which supplies that handler by name.
package ui
