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
	var own []int
	if db, ok := m.env.Database.Source.(interface{ OwnPIDs() []int }); ok {
		own = db.OwnPIDs()
	}
	return m.action.Begin(m.deps.Signal(m.env.Name, s.PID, terminate, own))
}

// celeryTarget is what a Celery action of kind acts on (the queue or the
// task under the cursor), or why there is none: no console action, or
// nothing of its kind selected.
func (m *Model) celeryTarget(kind string) (arg, why string) {
	if m.deps.Celery == nil || m.celeryPane == nil {
		return "", "not available here"
	}
	if kind == "purge" {
		q, ok := m.celeryPane.SelectedQueue()
		if !ok {
			return "", "select a queue"
		}
		return q, ""
	}
	id, running, ok := m.celeryPane.SelectedTask()
	switch {
	case kind == "retry" && (!ok || running):
		return "", "select a failed task"
	case kind != "retry" && (!ok || !running): // revoke, terminate
		return "", "select a running task"
	}
	return id, ""
}

// noCelery says why a Celery key does nothing now.
func (m *Model) noCelery(kind string) string {
	_, why := m.celeryTarget(kind)
	return why
}

// celery runs a Celery action on what is selected, once confirmed.
func (m *Model) celery(kind string) tea.Cmd {
	arg, _ := m.celeryTarget(kind)
	return m.action.Begin(m.deps.Celery(m.env.Name, kind, arg))
}
