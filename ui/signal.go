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

// noCelery says why a Celery key does nothing now: no console action, or
// nothing of its kind under the cursor.
func (m *Model) noCelery(kind string) string {
	if m.deps.Celery == nil || m.celeryPane == nil {
		return "not available here"
	}
	switch kind {
	case "purge":
		if _, ok := m.celeryPane.SelectedQueue(); !ok {
			return "select a queue"
		}
	case "revoke", "terminate":
		if _, running, ok := m.celeryPane.SelectedTask(); !ok || !running {
			return "select a running task"
		}
	case "retry":
		if _, running, ok := m.celeryPane.SelectedTask(); !ok || running {
			return "select a failed task"
		}
	}
	return ""
}

// celery runs a Celery action on what is selected, once confirmed.
func (m *Model) celery(kind, arg string) tea.Cmd {
	return m.act.Begin(m.deps.Celery(m.env.Name, kind, arg))
}
