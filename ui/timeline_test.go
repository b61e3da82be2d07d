package ui

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
)

func metricReads(f *fakeMetrics) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads
}

func lastWindow(f *fakeMetrics) sources.Window {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.windows) - 1; i >= 0; i-- {
		if f.windows[i].Step > 0 {
			return f.windows[i]
		}
	}
	return sources.Window{}
}

func TestPauseFreezesMetricPanesAndResumes(t *testing.T) {
	src := healthy()
	h := newHarness(t, src, nil, false)
	h.size(160, 48)
	h.key("p")
	if s := h.screen(); !strings.Contains(s, "PAUSED at 14:30:00") || !strings.Contains(s, "‖ 14:30:00") {
		t.Fatalf("paused screen must say so in the header and the panes:\n%s", s)
	}
	before := metricReads(src)
	for range 5 {
		h.advance(2 * time.Second)
	}
	if n := metricReads(src); n != before {
		t.Fatalf("paused metric panes fetched %d times", n-before)
	}
	if s := h.screen(); strings.Count(s, "‖ 14:30:00 ╮") != 4 {
		t.Errorf("paused metric panes must keep showing the paused instant, not an age:\n%s", s)
	}
	h.key("p")
	if n := metricReads(src); n != before+4 {
		t.Errorf("resuming must fetch each metric pane at once: %d reads, want 4", n-before)
	}
	if s := h.screen(); strings.Contains(s, "PAUSED") {
		t.Errorf("still paused after resuming")
	}
	h.advance(2 * time.Second)
	if n := metricReads(src); n <= before+4 {
		t.Errorf("live polling did not restart")
	}
}

func TestWindowZoomSteps(t *testing.T) {
	src := healthy()
	h := newHarness(t, src, nil, false)
	h.size(160, 48)
	for _, c := range []struct {
		key  string
		want time.Duration
	}{{"+", 5 * time.Minute}, {"+", 5 * time.Minute}, {"-", 15 * time.Minute}, {"-", time.Hour}, {"-", 6 * time.Hour}, {"-", 24 * time.Hour}, {"-", 24 * time.Hour}, {"=", 6 * time.Hour}} {
		h.key(c.key)
		if s := h.screen(); !strings.Contains(s, "window "+units.ShortDuration(c.want)+" ") {
			t.Fatalf("after %q the header must say window %s:\n%s", c.key, units.ShortDuration(c.want), strings.SplitN(s, "\n", 2)[0])
		}
		w := lastWindow(src)
		if w.Length < c.want || w.Length > c.want+c.want/10 {
			t.Errorf("after %q the charts asked for %s, want about %s", c.key, w.Length, c.want)
		}
	}
}

func TestCursorReadsEveryMetricPaneAtOneInstant(t *testing.T) {
	src := healthy()
	h := newHarness(t, src, nil, false)
	h.size(160, 48)
	for range 10 {
		h.key("h")
	}
	s := h.screen()
	if !strings.Contains(s, "PAUSED") || !strings.Contains(s, "cursor ") {
		t.Fatalf("the cursor must pause and show its time:\n%s", s)
	}
	w := lastWindow(src)
	at := h.m.timeline.Cursor
	idx := int(math.Round(float64(at.Sub(w.Start())) / float64(w.Step)))
	stamp := "▏" + w.Start().Add(time.Duration(idx)*w.Step).Format("15:04:05")
	if !strings.Contains(s, "cursor "+strings.TrimPrefix(stamp, "▏")) {
		t.Errorf("the header's cursor time must be the time of the point read (%s):\n%s", stamp, strings.SplitN(s, "\n", 2)[0])
	}
	if n := strings.Count(s, stamp); n != 4 {
		t.Fatalf("every metric pane must read at %s, %d do:\n%s", stamp, n, s)
	}
	// The fake's wave gives the exact value each pane must show there.
	x := float64(idx) / float64(w.Points()-1)
	want := units.Format(42.7*(0.6+0.4*x+0.15*math.Sin(x*17)), units.ReqPerSec)
	if !strings.Contains(s, stamp+" "+want) {
		t.Errorf("the RPS pane must read %s at the cursor:\n%s", want, s)
	}
	h.key("l")
	if h.m.timeline.Cursor.Sub(at) != w.Step {
		t.Errorf("→ moves one chart point: %s", h.m.timeline.Cursor.Sub(at))
	}
	h.key("esc")
	if s := h.screen(); strings.Contains(s, "▏") || !strings.Contains(s, "PAUSED") {
		t.Errorf("esc removes the cursor and stays paused:\n%s", s)
	}
}

func TestReportKey(t *testing.T) {
	h := newHarness(t, healthy(), nil, false)
	var got string
	h.m.deps.Report = func(_ context.Context, env *sources.Environment) (string, error) {
		got = env.Name
		return "/tmp/opsdeck-report-qa.md", nil
	}
	h.size(160, 48)
	h.key("w")
	if got != "qa" || !strings.Contains(h.screen(), "report written to /tmp/opsdeck-report-qa.md") {
		t.Fatalf("report of %q; footer:\n%s", got, h.screen())
	}
	h.advance(20 * time.Second)
	if strings.Contains(h.screen(), "report written") {
		t.Error("the notice must go away")
	}
	h.m.deps.Report = func(context.Context, *sources.Environment) (string, error) {
		return "", errors.New("open ./x.md: permission denied")
	}
	h.key("w")
	if !strings.Contains(h.screen(), "⚠ report: open ./x.md: permission denied") {
		t.Errorf("a failed report must say why:\n%s", h.screen())
	}
}

func TestExtraMetricPanesLayout(t *testing.T) {
	h := newHarness(t, healthy(), nil, false)
	env := h.m.env
	for i := range 4 {
		env.Signals = append(env.Signals, sources.SignalSpec{Key: "grafana:" + string(rune('1'+i)), Title: "Dashboard panel " + string(rune('A'+i)), Query: "up", Unit: units.None})
	}
	h.m.buildPanes()
	for _, sz := range [][2]int{{160, 48}, {100, 30}, {80, 24}, {50, 20}} {
		h.size(sz[0], sz[1])
		s := h.screen()
		checkGeometry(t, s, sz[0], sz[1])
		if sz[0] == 160 {
			for _, title := range []string{"Requests/s", "Dashboard panel D", "Postgres"} {
				if !strings.Contains(s, title) {
					t.Errorf("%dx%d: %q missing:\n%s", sz[0], sz[1], title, s)
				}
			}
		}
	}
}

// samplerFake is a direct-mode source: a fake that samples.
type samplerFake struct{ *fakeMetrics }

func (samplerFake) Scrape(context.Context) error { return nil }

func TestDirectModeNamesItsSource(t *testing.T) {
	src := healthy()
	src.err = errors.New("cannot reach http://api:8000/metrics: connection refused")
	h := newHarness(t, src, nil, false)
	h.m.env.Metrics.Source = samplerFake{src}
	h.m.buildPanes()
	h.size(160, 48)
	if s := h.screen(); !strings.Contains(s, "⚠ /metrics: cannot reach") || strings.Contains(s, "⚠ prometheus:") {
		t.Errorf("direct mode's errors must name /metrics, not Prometheus:\n%s", s)
	}
}
