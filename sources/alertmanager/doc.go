// Package alertmanager speaks Alertmanager's API v2: alert groups with each
// alert's state (active, silenced, inhibited), silences, and making and
// expiring silences. Answers are bounded and every text is made safe to
// show; the transport (credentials, headers, TLS) is package httpapi's.
package alertmanager
