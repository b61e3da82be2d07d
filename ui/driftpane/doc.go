// Package driftpane is the Schema drift pane: is this database where the
// code thinks it is? Revision status first (current -> heads, what is
// pending), then the revision graph's problems by severity.
package driftpane
