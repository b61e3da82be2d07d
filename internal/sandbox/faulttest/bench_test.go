package faulttest

import (
	"context"
	"sort"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/internal/sandbox/faults"
)

// BenchmarkKeysDuringFaults: how long a key press waits for the console while
// every source cycles through the faults (stalled, slow, reset, black-holed,
// answering 502) at the fastest refresh. Budget (docs/PERFORMANCE.md): every
// press handled within 100 ms.
func BenchmarkKeysDuringFaults(b *testing.B) {
	const refresh, timeout = 250 * time.Millisecond, 200 * time.Millisecond
	s := newStack(b)
	c := startConsole(b, s.config(b, refresh, timeout))
	c.waitFor(b, "first complete frame", 0, healthy)

	ctx, stop := context.WithCancel(context.Background())
	storm := make(chan struct{})
	go func() {
		defer close(storm)
		cycle := []faults.Fault{faults.Stall, faults.Slow, faults.Reset, faults.BlackHole, faults.Serve, faults.Pass}
		for i := 0; ; i++ {
			s.setAll(cycle[i%len(cycle)], 2*timeout)
			select {
			case <-ctx.Done():
				s.setAll(faults.Pass, 0)
				return
			case <-time.After(150 * time.Millisecond):
			}
		}
	}()

	handled := func() int {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.latencies)
	}
	b.ResetTimer()
	for b.Loop() {
		n := handled()
		c.mu.Lock()
		c.pressed = append(c.pressed, press{at: time.Now(), faulty: true})
		c.mu.Unlock()
		c.prog.Send(tea.KeyPressMsg{Code: tea.KeyTab})
		for handled() == n {
			time.Sleep(100 * time.Microsecond)
		}
		time.Sleep(10 * time.Millisecond) // presses spread over the storm
	}
	b.StopTimer()
	stop()
	<-storm

	c.mu.Lock()
	lat := make([]time.Duration, len(c.latencies))
	for i, k := range c.latencies {
		lat[i] = k.d
	}
	c.mu.Unlock()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	worst := lat[len(lat)-1]
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
	b.ReportMetric(0, "ns/op") // the wait per press is the figure, not the loop's time
	if worst > keyBudget {
		b.Errorf("a key press waited %v during faults (budget %v)", worst, keyBudget)
	}
}
