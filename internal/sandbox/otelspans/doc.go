// Package otelspans sends the synthetic API's traces through the
// OpenTelemetry Go SDK (its OTLP/HTTP exporter), as an instrumented Python
// service's SDK would: the tests hold opsdeck's trace reading against what
// a real SDK sends. Test-only: the opsdeck binary does not link the SDK.
package otelspans
