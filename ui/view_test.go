package ui

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

// TestFrameAllocatesItsOwnSize: a frame composed again from the panes'
// cached lines (here for a new footer) allocates about the frame's own
// size (the frame, the header and the footer), not a buffer grown for the
// worst case of every cell at four bytes.
func TestFrameAllocatesItsOwnSize(t *testing.T) {
	h := newHarness(t, healthy(), nil, false)
	h.size(160, 48)
	h.advance(2 * time.Second)
	size := len(h.m.Render())
	const frames = 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range frames {
		h.m.flash = fmt.Sprint("flash ", i) // a new footer: the frame is composed anew
		h.m.Render()
	}
	runtime.ReadMemStats(&after)
	per := int(after.TotalAlloc-before.TotalAlloc) / frames
	// The header and the footer are some hundreds of bytes each, drawn
	// through a few styles: a quarter of the frame covers them.
	if limit := size + size/4; per > limit {
		t.Errorf("%d bytes allocated per frame of %d bytes, want at most %d", per, size, limit)
	}
	t.Logf("%d bytes allocated per frame of %d bytes", per, size)
}
