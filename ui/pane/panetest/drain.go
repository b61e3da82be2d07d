package panetest

import tea "charm.land/bubbletea/v2"

// Drain runs cmd and everything it leads to, as Bubble Tea would but at
// once: a batch's commands each in turn, every other message handed to
// handle, whose command joins the queue. A test's timers and quits are
// handle's to keep.
func Drain(cmd tea.Cmd, handle func(tea.Msg) tea.Cmd) {
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		switch msg := c().(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		default:
			queue = append(queue, handle(msg))
		}
	}
}
