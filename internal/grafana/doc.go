// Package grafana reads a Grafana dashboard's JSON and returns its Prometheus
// queries with their titles, units and thresholds, so that a team's existing
// dashboard becomes extra panes and its queries can be linted against the
// live metrics. It reads both the current schema (panels, rows nested in
// panels) and the old one (rows[].panels, graph yaxes).
package grafana
