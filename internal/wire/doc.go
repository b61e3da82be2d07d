// Package wire turns configuration into opened sources: the one place that
// knows both the config types and the concrete backends. The console and the
// snapshot both start here, so they read exactly the same things.
package wire
