package sources

import "time"

// QueueGrowth remembers queues' lengths over Span, to say how much each
// grew: the Redis pane's queues and the Celery pane's. Not safe for
// concurrent use: its owner's lock guards it.
type QueueGrowth struct {
	Span    time.Duration
	history map[string][]queueSample // by queue, oldest first
}

type queueSample struct {
	at time.Time
	n  int64
}

// Add records queue's length n at now and returns the change since the
// oldest sample within the span, and over how long; nil until two polls.
func (g *QueueGrowth) Add(queue string, n int64, now time.Time) (growth *int64, over time.Duration) {
	if g.history == nil {
		g.history = map[string][]queueSample{}
	}
	h := append(g.history[queue], queueSample{now, n})
	for len(h) > 1 && now.Sub(h[0].at) > g.Span {
		h = h[1:]
	}
	g.history[queue] = h
	if len(h) < 2 {
		return nil, 0
	}
	d := n - h[0].n
	return &d, now.Sub(h[0].at)
}
