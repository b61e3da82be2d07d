// Command svgcells pins every character of a freeze SVG to its terminal cell.
//
// freeze writes each terminal line as one <text> run, so a glyph the
// monospace font lacks (braille, for the charts) is drawn from a fallback
// font with another advance width and shifts the rest of the line. This
// rewrites each run as one <tspan> per character with an explicit x.
//
//	go run ./tools/svgcells -cell 8.43 < in.svg > out.svg
package main
