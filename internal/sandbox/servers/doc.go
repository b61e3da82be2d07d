// Package servers starts real PostgreSQL, Redis, Prometheus and the other
// servers of the sandbox on free loopback ports in temporary directories,
// waits until they answer, and stops them again leaving no process or
// directory behind. The demo sandbox calls the Start* functions; tests start
// them through sandboxtest's New* helpers, which stop them when the test ends.
//
// Servers never touch default ports: every port comes from the kernel's free
// list, and every data directory is a fresh temporary one.
package servers
