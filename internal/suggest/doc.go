// Package suggest finds the name a user probably meant: the closest metric
// to a misspelt one, the label to a wrong label, the key to an unknown key.
package suggest
