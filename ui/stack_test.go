package ui

// What is open on the stack, for tests.

func (h *harness) alertsOpen() bool {
	_, ok := find[*alertsScreen](h.m)
	return ok
}

func (h *harness) breakdownOpen() bool {
	_, ok := find[*breakdownScreen](h.m)
	return ok
}

func (h *harness) tracesOpen() bool {
	_, ok := find[*tracesScreen](h.m)
	return ok
}

// overviewOpen: the overview is shown (not dormant under a console).
func (h *harness) overviewOpen() bool { return h.m.overviewUp() }

func (h *harness) helpOpen() bool {
	_, ok := h.m.top().(helpScreen)
	return ok
}

func (h *harness) pickerOpen() bool {
	_, ok := h.m.top().(*pickerScreen)
	return ok
}
