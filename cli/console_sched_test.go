package cli

import (
	"runtime"
	"runtime/debug"
	"testing"
)

// TestConsoleRunsOnOneProcessor: the console takes one processor unless
// GOMAXPROCS is set, which wins.
func TestConsoleRunsOnOneProcessor(t *testing.T) {
	prev := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(prev)
	runtime.GOMAXPROCS(2)
	oneP(func(string) (string, bool) { return "", false })
	if got := runtime.GOMAXPROCS(0); got != 1 {
		t.Errorf("GOMAXPROCS unset: the console runs on %d processors, want 1", got)
	}
	runtime.GOMAXPROCS(2)
	oneP(func(k string) (string, bool) { return "2", k == "GOMAXPROCS" })
	if got := runtime.GOMAXPROCS(0); got != 2 {
		t.Errorf("GOMAXPROCS=2: the console runs on %d processors", got)
	}
}

// TestCollectorGrowth: each screen sets its growth unless GOGC is set,
// which wins (the runtime reads it).
func TestCollectorGrowth(t *testing.T) {
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)
	if gcFor(func(k string) (string, bool) { return "80", k == "GOGC" }) != nil {
		t.Error("GOGC set: the console still tunes the collector")
	}
	mode := gcFor(func(string) (string, bool) { return "", false })
	for _, c := range []struct {
		overview bool
		want     int
	}{{false, consoleGC}, {true, overviewGC}} {
		mode(c.overview)
		if got := debug.SetGCPercent(100); got != c.want {
			t.Errorf("overview %v: GOGC %d, want %d", c.overview, got, c.want)
		}
	}
}
