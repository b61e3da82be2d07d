// Package driftpane is the Schema drift pane: is this database where the
// code thinks it is? Revision status (current -> heads, what is pending),
// the revision graph's problems and the schema against its reference, the
// most severe first.
package driftpane
