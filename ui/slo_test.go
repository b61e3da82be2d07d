package ui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/opsdeck/opsdeck/sources"
)

// fakeSLOs answers the objectives the test sets.
type fakeSLOs struct{ slos []sources.SLO }

func (f *fakeSLOs) Objectives(context.Context) ([]sources.SLO, error) { return f.slos, nil }
func (f *fakeSLOs) String() string                                    { return "http://prometheus.qa:9090" }

// sampleSLOs are Origin's objectives during an error incident: availability
// burns 24x (the paging pairs breach), latency is calm.
func sampleSLOs() []sources.SLO {
	month := 30 * 24 * time.Hour
	by := func(r ...float64) map[time.Duration]float64 {
		out := map[time.Duration]float64{}
		for i, w := range append(append([]time.Duration{}, sources.SLOWindows...), month) {
			out[w] = r[i]
		}
		return out
	}
	return []sources.SLO{
		{Name: "origin-api/requests-availability", Origin: "sloth", Objective: 0.995, Window: month, At: t0,
			ErrorRatios: by(0.12, 0.1, 0.09, 0.05, 0.032, 0.01, 0.004, 0.003)},
		{Name: "origin-api/requests-latency", Origin: "sloth", Objective: 0.99, Window: month, At: t0,
			ErrorRatios: by(0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001)},
	}
}

// TestSLOPaneInTheConsole: with objectives, the console has an SLO pane
// among the state panes, at 80x24 and 160x48, the burning objective first.
func TestSLOPaneInTheConsole(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {160, 48}} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			h := newHarness(t, healthy(), nil, false)
			h.slos = &fakeSLOs{slos: sampleSLOs()}
			h.m.openEnv("qa")
			h.size(sz[0], sz[1])
			h.advance(0)
			s := h.screen()
			checkGeometry(t, s, sz[0], sz[1])
			golden.RequireEqual(t, s)
			if !strings.Contains(s, "╭─ SLOs") || !strings.Contains(s, "⚠ 24.0× burn") {
				t.Errorf("no SLO pane with the burning objective:\n%s", s)
			}
		})
	}
}
