// Command jaegerbuild builds the Jaeger the tests and the demo run (pinned
// in tools/jaeger) into the user's cache, once: `make test` and `make demo`
// call it first, so that no test waits minutes for the build.
package main
