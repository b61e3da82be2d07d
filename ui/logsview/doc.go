// Package logsview is the logs view: the lines of the environment's log
// backend, newest last, levels coloured, following the newest lines by
// polling, filtered by a query in the backend's language with the match
// highlighted, one line expanded (every field, the whole message and its
// traceback), and the way from a line to its trace. What it holds is
// bounded: a ring of lines and bytes, each line cut when it is kept.
package logsview
