package cli

import (
	"runtime"
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
