// Package promql finds the vector selectors of a PromQL expression and checks
// its shape (balanced brackets, closed strings, well-formed label matchers).
//
// It is not a PromQL parser: opsdeck only needs to know which metrics and
// labels a query asks for (to explain an empty result) and to catch typos in
// configuration early. Full validation is Prometheus's: a query it rejects is
// shown in the pane with its message. (Prometheus's own parser package pulls
// some twenty packages of its TSDB in, a megabyte of resident memory at start;
// see docs/PERFORMANCE.md.)
package promql
