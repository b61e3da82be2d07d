package ui

import (
	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/alertsview"
)

// noAlertmanager says why there is no alerts view.
func (m *Model) noAlertmanager() string {
	if m.env.Alerting.Source == nil {
		return "the alerts view reads Alertmanager: set alertmanager.url (or ALERTMANAGER_URL)"
	}
	return ""
}

// openAlerts opens the alerts view: the strip's groups, the silences read
// while it is open.
func (m *Model) openAlerts() tea.Cmd {
	strip := m.alerts
	groups := func() ([]sources.AlertGroup, bool, error) {
		gs, has := strip.Groups()
		return gs, has, strip.Poll.Err
	}
	km := m.keys
	a := alertsview.New(m.paneContext, m.env.Alerting.Source, m.env.Scrubber, groups,
		km.hint("up", "down", "silence", "acknowledge", "alerts_tab", "refresh", "close"),
		km.hint("up", "down", "expire", "alerts_tab", "refresh", "close"))
	m.push(&alertsScreen{model: a})
	m.layout()
	return a.Fetch()
}

// noSilence says why the selected alert cannot be silenced here.
func (m *Model) noSilence() string {
	return m.noSilenceKey(m.silences.Make != nil, alertsview.AlertsTab, "select an alert", "no alert selected",
		func(a *alertsview.Model) bool { _, _, ok := a.Selected(); return ok })
}

// noAck says why the selected alert cannot be acknowledged here.
func (m *Model) noAck() string {
	return m.noSilenceKey(m.silences.Ack != nil, alertsview.AlertsTab, "select an alert", "no alert selected",
		func(a *alertsview.Model) bool { _, _, ok := a.Selected(); return ok })
}

// noExpire says why no silence can be expired here.
func (m *Model) noExpire() string {
	return m.noSilenceKey(m.silences.Expire != nil, alertsview.SilencesTab, "select a silence", "no silence selected",
		func(a *alertsview.Model) bool { _, ok := a.SelectedSilence(); return ok })
}

// noSilenceKey says why a key of the alerts view that acts on what is
// selected in tab does nothing now; pick and none say what to select.
func (m *Model) noSilenceKey(available bool, tab int, pick, none string, selected func(*alertsview.Model) bool) string {
	view, open := find[*alertsScreen](m)
	switch {
	case !available:
		return "silences are not available here"
	case m.silences.Refused != "":
		return "refused: " + m.silences.Refused
	case !open:
		return "open the alerts view (" + m.keys.key("alerts") + ")"
	case view.model.Tab() != tab:
		return pick + " (" + m.keys.key("alerts_tab") + " switches alerts and silences)"
	case !selected(view.model):
		return none
	}
	return ""
}

// submitSilence reads the form: a silence that cannot be made says why in
// the form and nothing is sent; one that can goes to its confirmation.
func (m *Model) submitSilence(view *alertsview.Model) tea.Cmd {
	f := view.Form()
	s, err := f.Silence(m.deps.Now(), m.silences.Who)
	if err != nil {
		f.Refuse(err)
		return nil
	}
	view.CloseForm()
	return m.action.Begin(m.silences.Make(m.env.Alerting.Source, s, f.Group()))
}

// acknowledge silences the selected alert for the environment's ack
// duration, the comment "ack": the form skipped, the confirmation not.
func (m *Model) acknowledge(tea.KeyPressMsg) tea.Cmd {
	a, group, _ := m.alertsView().Selected()
	f := alertsview.NewForm(a, group, m.env.AckDuration, "ack")
	s, err := f.Silence(m.deps.Now(), m.silences.Who)
	if err != nil {
		m.flash = "acknowledge: " + err.Error()
		return nil
	}
	return m.action.Begin(m.silences.Ack(m.env.Alerting.Source, s, group))
}

// expireSilence ends the selected silence, once confirmed.
func (m *Model) expireSilence(tea.KeyPressMsg) tea.Cmd {
	s, _ := m.alertsView().SelectedSilence()
	return m.action.Begin(m.silences.Expire(m.env.Alerting.Source, s))
}

// alertsView is the open alerts view (its keys act only while it is on top).
func (m *Model) alertsView() *alertsview.Model {
	if a, ok := find[*alertsScreen](m); ok {
		return a.model
	}
	return nil
}
