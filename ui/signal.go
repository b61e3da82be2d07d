package ui

import tea "charm.land/bubbletea/v2"

// noSignal says why the selected session cannot be cancelled or terminated.
func (m *Model) noSignal() string {
	if m.deps.Signal == nil {
		return "not available here"
	}
	if _, ok := m.dbPane.Selected(); !ok {
		return "select a session in the session list or the lock tree"
	}
	return ""
}

// signal cancels (or terminates) the selected session, once confirmed.
func (m *Model) signal(terminate bool) tea.Cmd {
	s, _ := m.dbPane.Selected()
	return m.act.Begin(m.deps.Signal(m.env.Name, s.PID, terminate))
}
