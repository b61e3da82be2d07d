// Package poll is the polling state machine every live pane embeds.
//
// The rules: a fetch runs in a tea.Cmd with a
// timeout; the next one is scheduled only after the previous result arrived,
// so fetches never overlap; every fetch and tick carries a generation number,
// so that a refresh or an environment switch discards stale results; on error
// the last good data is kept and the source is retried at the next interval.
package poll
