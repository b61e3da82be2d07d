package ui

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkView renders the whole screen with every pane populated. Budget
// (docs/PERFORMANCE.md): at most 1 ms per frame at 160x48, few allocations.
//
// "warm" is the common frame: a message changed nothing visible, panes hand
// back cached lines. "cold" is the worst case: every pane has new data and
// redraws (what happens once per poll cycle).
func BenchmarkView(b *testing.B) {
	const viewBudget = time.Millisecond
	for _, sz := range [][2]int{{160, 48}, {80, 24}, {200, 60}} {
		for _, cold := range []bool{false, true} {
			name := fmt.Sprintf("%dx%d/warm", sz[0], sz[1])
			if cold {
				name = fmt.Sprintf("%dx%d/cold", sz[0], sz[1])
			}
			b.Run(name, func(b *testing.B) {
				h := newHarness(&testing.T{}, healthy(), nil, false)
				h.size(sz[0], sz[1])
				h.advance(2 * time.Second)
				if len(h.m.Render()) == 0 {
					b.Fatal("empty frame")
				}
				b.ReportAllocs()
				b.ResetTimer()
				start := time.Now()
				for b.Loop() {
					if cold {
						for _, p := range h.m.panes {
							p.Update(struct{}{}) // marks the pane changed
						}
						h.m.alerts.Update(struct{}{})
					}
					_ = h.m.View()
				}
				if per := time.Since(start) / time.Duration(b.N); per > viewBudget {
					b.Errorf("%s per frame: over the %s budget", per, viewBudget)
				}
			})
		}
	}
}

// BenchmarkViewOverlay renders the screen with a breakdown open over it and
// nothing changed: the frame, the box and the composed overlay frame are
// each handed back from their caches.
func BenchmarkViewOverlay(b *testing.B) {
	h := newHarness(&testing.T{}, healthy(), nil, false)
	h.size(160, 48)
	h.advance(2 * time.Second)
	h.key("b")
	if len(h.m.Render()) == 0 {
		b.Fatal("empty frame")
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = h.m.View()
	}
}
