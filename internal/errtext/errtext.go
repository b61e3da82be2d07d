// Package errtext turns a driver's or the standard library's error text into
// what a person on call needs to read: its innermost cause, without the
// "failed to connect to `…`:" or "Get \"url\":" prefixes (which may also
// carry a URL with its password).
package errtext

import "strings"

// Cause is the text after the last ": ", or s when it has none.
func Cause(s string) string {
	if i := strings.LastIndex(s, ": "); i >= 0 && i < len(s)-2 {
		return s[i+2:]
	}
	return s
}
