// Package frame draws boxes and fits text into cells: the few layout
// primitives every pane shares. Everything works on lines of exact width so
// that panes can be placed side by side by joining lines. Lines collects a
// pane's findings by level, so that a short pane keeps the most urgent.
package frame
