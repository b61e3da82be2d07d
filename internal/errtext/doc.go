// Package errtext turns a driver's or the standard library's error text into
// what a person on call needs to read: its innermost cause, without the
// "failed to connect to `…`:" or "Get \"url\":" prefixes (which may also
// carry a URL with its password).
package errtext
