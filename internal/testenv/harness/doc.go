// Package harness starts real PostgreSQL, Redis and Prometheus servers on free
// loopback ports in temporary directories, waits until they answer, and stops
// them again leaving no process or directory behind. Integration tests use it
// through the New* helpers; the demo sandbox uses the Start* functions.
//
// Servers never touch default ports: every port comes from the kernel's free
// list, and every data directory is a fresh temporary one.
package harness
