// Package safetext keeps what a source sends from acting on the terminal.
// Labels, annotations, error bodies, query texts, application names, key
// names and command output are text to show, never instructions: an ESC
// could move the cursor, rewrite the screen or (OSC 52) set the clipboard,
// and a bidirectional override or a zero-width character could make a
// label read as something it is not. Control and such format characters
// become visible stand-ins; the rest of the text stays.
package safetext
