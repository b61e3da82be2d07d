// Package actionpane is the console's side of actions: the key press, the
// guard's question (y/N, or the environment's name typed), and the output of
// the run, streamed line by line with its elapsed time and exit status. The
// actions themselves (processes, the reset, the audit log) are behind the
// Action functions, built outside the UI.
package actionpane
