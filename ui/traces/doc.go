// Package traces is the overlay that lists a metric pane's exemplars: the
// requests the application singled out on the signal (a slow one, a failed
// one), each with its trace id, largest first.
package traces
