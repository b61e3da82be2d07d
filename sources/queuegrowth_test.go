package sources

import (
	"testing"
	"time"
)

func TestQueueGrowth(t *testing.T) {
	g := QueueGrowth{Span: time.Minute}
	t0 := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	if d, _ := g.Add("q", 5, t0); d != nil {
		t.Fatalf("one sample gives no growth: %d", *d)
	}
	if d, over := g.Add("q", 9, t0.Add(30*time.Second)); d == nil || *d != 4 || over != 30*time.Second {
		t.Errorf("after 30s: %v over %s", d, over)
	}
	// The first sample falls out of the span: growth since the second.
	if d, over := g.Add("q", 7, t0.Add(90*time.Second)); d == nil || *d != -2 || over != time.Minute {
		t.Errorf("after 90s: %v over %s", d, over)
	}
	if d, _ := g.Add("other", 1, t0.Add(90*time.Second)); d != nil {
		t.Error("queues are apart")
	}
}
