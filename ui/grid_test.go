package ui

import "testing"

// TestStateGrid: the state panes stay in one row while each gets
// minStateW cells; narrower, they go into two rows (a 2x2 grid for four),
// every cell of the width and every line of the height given out.
func TestStateGrid(t *testing.T) {
	for _, c := range []struct {
		w, n, cols, rows int
	}{
		{160, 5, 5, 1}, {160, 4, 4, 1}, {80, 3, 3, 1}, {80, 4, 2, 2}, {100, 5, 3, 2}, {80, 5, 3, 2}, {40, 1, 1, 1},
	} {
		cols, rows := stateGrid(c.w, c.n)
		if cols != c.cols || rows != c.rows {
			t.Errorf("%d panes in %d cells: %dx%d, want %dx%d", c.n, c.w, cols, rows, c.cols, c.rows)
			continue
		}
		got := stateRowsOf(4, c.n, cols, rows, c.w, 9)
		panes, lines := 0, 0
		for i, r := range got {
			width := 0
			for _, cl := range r.cells {
				if cl.pane != 4+panes {
					t.Errorf("%d panes in %d cells: pane %d out of order", c.n, c.w, cl.pane)
				}
				panes++
				width += cl.w
			}
			if width != c.w {
				t.Errorf("%d panes in %d cells: row %d spans %d cells", c.n, c.w, i, width)
			}
			lines += r.h
		}
		if panes != c.n || lines != 9 {
			t.Errorf("%d panes in %d cells: %d panes in %d lines, want %d in 9", c.n, c.w, panes, lines, c.n)
		}
	}
}
