// Package safefile reads files a user or a project supplies without letting
// them hang or exhaust the process: only regular files (a FIFO would block
// the read, a link to /dev/zero never end it), and at most a bound.
package safefile
