// Package otellogs sends log records through the OpenTelemetry Go SDK (its
// OTLP/HTTP log exporter), as an instrumented service's SDK would: each
// record with a level, attributes and the trace and span it belongs to.
// The tests of the log source, and the sandbox's API, send through it, so
// that opsdeck's log reading is held against what a real SDK sends.
package otellogs
