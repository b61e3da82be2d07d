// Package promqlfuzz holds a differential fuzz of internal/promql against
// Prometheus's own parser. It is a module of its own so that the parser (and
// the part of the TSDB it pulls in) is never in the console's module graph.
package promqlfuzz
