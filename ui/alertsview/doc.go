// Package alertsview is the alerts view: Alertmanager's alerts by group,
// each with its state (active, silenced, inhibited), severity, age, texts
// and runbook, and who silenced it, until when and why; its silences with
// their creator, matchers, matched alerts and time left; and the form that
// makes a silence. The silence itself is an action (ui/actionpane): guarded,
// confirmed and audited like every other.
package alertsview
