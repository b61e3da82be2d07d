package ui

import (
	"fmt"
	"slices"

	tea "charm.land/bubbletea/v2"
)

// page is a set of metric panes shown together, when they do not all fit.
type page struct {
	title  string
	charts []int // indices into m.charts
}

// Smallest metric pane: its value, three chart lines and the time axis
// inside the border, at a width that holds the value and its range.
const (
	minChartH = 7
	minChartW = 30
)

// paginate puts the metric panes on pages of at most capacity panes: one
// page when they all fit, else the golden signals (group "") first and
// each group (a dashboard's row) on pages of its own.
func paginate(groups []string, capacity int) []page {
	all := make([]int, len(groups))
	for i := range all {
		all[i] = i
	}
	if len(groups) <= capacity || capacity < 1 {
		return []page{{charts: all}}
	}
	var order []string
	byGroup := map[string][]int{}
	for i, g := range groups {
		if _, ok := byGroup[g]; !ok {
			order = append(order, g)
		}
		byGroup[g] = append(byGroup[g], i)
	}
	if i := slices.Index(order, ""); i > 0 { // the golden signals lead
		order = slices.Insert(slices.Delete(order, i, i+1), 0, "")
	}
	var pages []page
	for _, g := range order {
		members := byGroup[g]
		title := g
		if g == "" {
			title = "golden signals"
		}
		n := (len(members) + capacity - 1) / capacity
		for k := 0; k < n; k++ {
			p := page{title: title, charts: members[k*capacity : min((k+1)*capacity, len(members))]}
			if n > 1 {
				p.title = fmt.Sprintf("%s (%d/%d)", title, k+1, n)
			}
			pages = append(pages, p)
		}
	}
	return pages
}

// chartCols is how many metric panes a row holds for n panes on a screen
// w cells wide.
func chartCols(w, n int) int {
	switch {
	case w < 2*minChartW:
		return 1
	case n > 4 && w >= 5*minChartW:
		return 3 // a dashboard's extra panes
	}
	return 2
}

// pageOf is the page holding chart i.
func pageOf(pages []page, i int) int {
	for p, pg := range pages {
		if slices.Contains(pg.charts, i) {
			return p
		}
	}
	return 0
}

// turnPage shows the page delta pages on (wrapping), focused on its first pane.
func (m *Model) turnPage(delta int) tea.Cmd {
	n := len(m.pages)
	if n < 2 {
		return nil
	}
	m.page = ((m.page+delta)%n + n) % n
	return m.moveFocus(m.pages[m.page].charts[0] - m.focus + len(m.panes))
}

// onePage says why the page keys do nothing: every pane fits.
func (m *Model) onePage() string {
	if len(m.pages) < 2 {
		return "every metric pane fits on one page"
	}
	return ""
}
