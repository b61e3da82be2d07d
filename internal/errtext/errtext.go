package errtext

import "strings"

// Cause is the text after the last ": ", or s when it has none.
func Cause(s string) string {
	if i := strings.LastIndex(s, ": "); i >= 0 && i < len(s)-2 {
		return s[i+2:]
	}
	return s
}
