// Package logstrip is the log-volume strip: one row under the metric
// panes, on their time axis, counting the stream's lines by level in each
// cell of the charts' width, errors in the error colour, so that an error
// burst lines up with the error-rate spike above it.
package logstrip
