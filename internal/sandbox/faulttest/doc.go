// Package faulttest holds the fault-injection tests: the whole console, as
// main builds it, against real Prometheus, PostgreSQL and Redis servers, each
// behind a harness proxy that stalls, slows, resets, black-holes or answers
// garbage, and servers that are killed and restarted. It has no code of its
// own outside its tests.
package faulttest
