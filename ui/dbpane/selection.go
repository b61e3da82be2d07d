package dbpane

import "github.com/opsdeck/opsdeck/sources"

// SelectedStatement is the statement under the cursor of the zoomed top
// statements (a runbook command's $QUERY_ID).
func (m *Model) SelectedStatement() (sources.DBStatement, bool) {
	if !m.zoomed || !m.Poll.HasLast || m.view != viewStatements || m.Poll.Last.Statements == nil {
		return sources.DBStatement{}, false
	}
	top := m.Poll.Last.Statements.Top
	if m.stmtCursor < len(top) {
		return top[m.stmtCursor], true
	}
	return sources.DBStatement{}, false
}
