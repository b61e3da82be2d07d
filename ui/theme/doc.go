// Package theme turns a colour palette into the styles every pane uses, once,
// so that rendering a frame only concatenates precomputed escape sequences.
package theme
