// Package panetest holds what the panes' view tests share: a pane's lines
// checked to fill its size exactly, and its golden views in every state at
// every size. Tests only: nothing the console links imports it.
package panetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/opsdeck/opsdeck/ui/pane"
	"github.com/opsdeck/opsdeck/ui/theme"
)

// Size is a pane's size in a view test; Zoomed draws it zoomed.
type Size struct {
	W, H   int
	Zoomed bool
}

// Sizes are the sizes the root gives a state pane: a 2x2 grid at 80x24 and
// 100x30, a row at 160x48, and zoomed.
var Sizes = []Size{{40, 5, false}, {50, 6, false}, {40, 15, false}, {160, 45, true}}

// Screen is lines without colour, checked to be exactly w x h.
func Screen(t *testing.T, lines []string, w, h int) string {
	t.Helper()
	if len(lines) != h {
		t.Fatalf("%d lines, want %d", len(lines), h)
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = ansi.Strip(l)
		if n := ansi.StringWidth(out[i]); n != w {
			t.Errorf("line %d is %d cells, want %d: %q", i, n, w, out[i])
		}
	}
	return strings.Join(out, "\n") + "\n"
}

// Views compares draw's lines in every state at every size with the golden
// files state_WxH[_zoomed] (-update writes them).
func Views(t *testing.T, states []string, sizes []Size, draw func(state string, s Size) []string) {
	for _, state := range states {
		for _, s := range sizes {
			name := fmt.Sprintf("%s_%dx%d", state, s.W, s.H)
			if s.Zoomed {
				name += "_zoomed"
			}
			t.Run(name, func(t *testing.T) {
				golden.RequireEqual(t, Screen(t, draw(state, s), s.W, s.H))
			})
		}
	}
}

// Context is the pane context of the views' goldens: the dark theme, a 2 s
// refresh, a 15 m window, the clock now, and no timers.
func Context(now func() time.Time) *pane.Context {
	return &pane.Context{Styles: theme.New(theme.Dark(), true), Now: now, Refresh: 2 * time.Second,
		Time: pane.NewTimeline(15 * time.Minute), Base: context.Background(), After: func(time.Duration, tea.Msg) tea.Cmd { return nil }}
}
