// Package jaeger reads traces from Jaeger's HTTP query API
// (/api/traces/{id}): a trace's spans in tree order, bounded, every text
// made safe to show.
package jaeger
