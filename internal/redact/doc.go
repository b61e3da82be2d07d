// Package redact keeps passwords and tokens off the screen, out of snapshots,
// logs, the audit log and error messages.
//
// Two layers: URL/DSN redaction for values we print on purpose, and a Scrubber
// that removes every known secret from any text we did not write ourselves
// (driver errors, server replies) before it is shown.
package redact
