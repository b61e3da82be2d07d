package ui

import (
	"slices"
	"strconv"
	"time"
)

// routeLabels and instanceLabels are the labels whose value a runbook
// command reads as $ROUTE or $INSTANCE.
var (
	routeLabels    = []string{"handler", "route", "path", "endpoint", "http_route"}
	instanceLabels = []string{"instance", "pod", "host"}
)

// selection is what the console has selected now, as the runbook
// commands' variables ($PID, $TRACE_ID…): read when a command's key is
// pressed, and only then. A variable with nothing selected is absent.
func (m *Model) selection() map[string]string {
	v := map[string]string{"ENV": m.env.Name}
	end := m.timeline.End(m.deps.Now()).UTC()
	v["END"] = end.Format(time.RFC3339)
	v["START"] = end.Add(-m.timeline.Window).Format(time.RFC3339)
	m.labelVar(v, m.narrow.Label, m.narrow.Value)
	if m.zoomed() && m.focused(m.dbPane) {
		if s, ok := m.dbPane.Selected(); ok {
			v["PID"] = strconv.Itoa(s.PID)
		}
		if s, ok := m.dbPane.SelectedStatement(); ok && s.QueryID != 0 {
			v["QUERY_ID"] = strconv.FormatInt(s.QueryID, 10)
		}
	}
	if m.zoomed() && m.celeryPane != nil && m.focused(m.celeryPane) {
		if q, ok := m.celeryPane.SelectedQueue(); ok {
			v["QUEUE"] = q
		}
		if id, _, ok := m.celeryPane.SelectedTask(); ok {
			v["TASK_ID"] = id
		}
	}
	switch t := m.top().(type) {
	case *tracesScreen:
		if id, _, _ := t.model.Trace(); id != "" {
			v["TRACE_ID"] = id
		}
	case *logsScreen:
		if l, ok := t.model.Selected(); ok && l.TraceID != "" {
			v["TRACE_ID"] = l.TraceID
		}
	case *breakdownScreen:
		if label, row, ok := t.model.Selected(); ok {
			m.labelVar(v, label, row.Value)
		}
	}
	return v
}

// labelVar sets $ROUTE or $INSTANCE from a label's value.
func (m *Model) labelVar(v map[string]string, label, value string) {
	switch {
	case value == "":
	case slices.Contains(routeLabels, label):
		v["ROUTE"] = value
	case slices.Contains(instanceLabels, label):
		v["INSTANCE"] = value
	}
}
