// Command serverbuild builds the servers the tests, the demo and the
// benchmarks run that Debian does not package at the version wanted (each
// pinned by its module under tools/) into the user's cache, once: `make
// jaeger` (before `make test` and `make demo`), `make victoriametrics`
// (before `make bench`) and their neighbours call it, so that no test waits
// minutes for a build.
//
// Usage: serverbuild jaeger|prometheus|sloth|thanos|victorialogs|victoriametrics
package main
