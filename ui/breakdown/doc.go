// Package breakdown is the overlay that splits a metric pane's signal by one
// label: which route, status or instance the value comes from, the ten
// largest with their share, range and sparkline over the window.
package breakdown
