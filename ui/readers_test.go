package ui

import (
	"strings"
	"testing"

	"github.com/opsdeck/opsdeck/internal/snapshot"
)

// TestEverySourceHasAPaneOrView: every kind of source the readers know
// (internal/snapshot.Sources) is shown by the console, configured: a pane on
// the main screen, the alert strip, the charts' marks, or the view its key
// opens. A source added to the registry without a pane fails here (the
// other readers are held by snapshot.TestEverySourceReachesEveryReader).
func TestEverySourceHasAPaneOrView(t *testing.T) {
	h := newHarness(t, healthy(), nil, false)
	h.celery = &fakeCelery{st: sampleCelery()}
	h.logs = &fakeLogs{lines: sampleLogs()}
	h.slos = &fakeSLOs{slos: sampleSLOs()}
	h.m.openEnv("qa")
	h.size(200, 60)
	h.advance(h.m.deps.Refresh)
	screen := h.screen()
	onScreen := func(texts ...string) func() string {
		return func() string {
			for _, s := range texts {
				if !strings.Contains(screen, s) {
					return "the screen lacks " + s
				}
			}
			return ""
		}
	}
	shown := map[string]func() string{
		"metrics":    onScreen("Requests/s", "Error rate (5xx)", "P95 latency"),
		"alerts":     onScreen("1 firing: OriginHighErrorRate"),
		"postgres":   onScreen("╭─ Postgres"),
		"redis":      onScreen("╭─ Redis"),
		"celery":     onScreen("╭─ Celery"),
		"migrations": onScreen("╭─ Schema drift", "pending"),
		"drift":      onScreen("schema differences"),
		"slo":        onScreen("╭─ SLOs", "burn requests-availability"),
		"changes": func() string {
			if h.m.changes == nil || h.m.changes.ID() == "" {
				return "no changes reader for the charts' marks"
			}
			return ""
		},
		"logs": func() string {
			h.key("L") // the stream's lines
			defer h.key("esc")
			if _, ok := h.m.top().(*logsScreen); !ok {
				return "L does not open the logs view"
			}
			if s := h.screen(); !strings.Contains(s, "pool timeout after 30 s") {
				return "the logs view shows no line"
			}
			return ""
		},
		"traces": func() string {
			h.key("t") // the focused metric pane's traced requests
			defer h.key("esc")
			if _, ok := h.m.top().(*tracesScreen); !ok {
				return "t does not open the trace list"
			}
			return ""
		},
	}
	for _, s := range snapshot.Sources() {
		check, ok := shown[s.Name]
		if !ok {
			t.Errorf("source %s: no pane or view shows it; add one (and its case here)", s.Name)
			continue
		}
		if why := check(); why != "" {
			t.Errorf("source %s: %s\n%s", s.Name, why, screen)
		}
	}
}
