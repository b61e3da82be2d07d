package ui

import (
	"cmp"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/ui/frame"
	"github.com/opsdeck/opsdeck/ui/overview"
)

// newOverview builds the overview of every configured environment, the
// console's own selected.
func (m *Model) newOverview() *overview.Model {
	envs := make([]overview.Env, len(m.deps.Environments))
	for i, e := range m.deps.Environments {
		envs[i] = overview.Env{Name: e.Name, Protected: e.Protected, Readonly: e.Readonly, Disposable: e.Disposable}
	}
	ov := overview.New(overview.Options{Styles: m.deps.Styles, Now: m.deps.Now, After: m.deps.After,
		Refresh: cmp.Or(m.deps.OverviewRefresh, 10*time.Second), Window: m.timeline.Window, Open: m.deps.Open,
		Hints: m.keys.hint("up", "down", "select", "refresh", "close", "quit")}, envs)
	ov.Select(m.env.Name)
	ov.SetSize(m.w, max(m.h-2, 1))
	return ov
}

// openOverview shows every environment; the console's panes stop polling
// until it closes. Over a console opened from the overview, it goes back to
// that overview.
func (m *Model) openOverview() tea.Cmd {
	if _, ok := m.stack[0].(*overviewScreen); ok {
		for len(m.stack) > 1 {
			m.stack[len(m.stack)-1].close(m)
			m.stack = m.stack[:len(m.stack)-1]
		}
		return m.uncovered(consoleScreen{})
	}
	o := &overviewScreen{model: m.newOverview()}
	m.push(o)
	m.modeChanged()
	return o.model.Start()
}

// modeChanged tells the program which screen is up (Deps.Mode).
func (m *Model) modeChanged() {
	if m.deps.Mode != nil {
		m.deps.Mode(m.overviewUp())
	}
}

// leaveOverview goes to the console of env (the one the overview showed
// when env is ""): the overview closes; chosen by enter, it stays dormant
// under that console, for esc to come back to it. The panes read their
// sources at once.
func (m *Model) leaveOverview(env string) tea.Cmd {
	m.top().close(m)
	if env == "" {
		m.stack = []screen{consoleScreen{}}
	} else {
		m.stack = []screen{&overviewScreen{}, consoleScreen{}}
	}
	m.modeChanged()
	switch {
	case env != "" && env != m.env.Name:
		m.openEnv(env)
		m.layout()
		return m.start()
	case !m.started:
		return m.start()
	}
	return m.broadcastRefresh()
}

// overviewFrame is the overview on the whole screen between the header and
// the footer.
func (m *Model) overviewFrame(ov *overview.Model) string {
	var b strings.Builder
	b.WriteString(m.header())
	lines := ov.View()
	for i := 0; i < m.h-2; i++ {
		b.WriteByte('\n')
		if i < len(lines) {
			b.WriteString(lines[i])
		} else {
			b.WriteString(strings.Repeat(" ", m.w))
		}
	}
	b.WriteByte('\n')
	// The overview's own keys: the console's would do nothing here.
	b.WriteString(frame.Fit(m.deps.Styles.Muted.Render(" "+ov.Hints()), m.w))
	return b.String()
}
