// Package logsview is the logs view: the lines of the environment's log
// backend, newest last, levels coloured, following the newest lines, filtered
// by a query in the backend's language with the match highlighted, one line
// expanded (every field, the whole message and its traceback), and the way
// from a line to its trace. What it holds is bounded: a ring of lines and
// bytes, each line cut when it is kept.
//
// Following reads the lines since the newest one kept at every refresh, as
// every pane polls, rather than holding the backend's tail open: one bounded
// read per refresh whatever the rate of lines (a flood costs one read of
// Limit lines, and the list says where lines were skipped, where a tail
// would hand every line to the console), a backend restarted or a proxy
// that cuts long requests needs no reconnection, a failure is said and
// retried like any other source's, and tests drive it with a clock. A line
// shows within the backend's own ingestion delay plus one refresh, about
// what VictoriaLogs' tail gives (it holds lines back a few seconds too).
package logsview
