package alertsview

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/pane"
	"github.com/opsdeck/opsdeck/ui/theme"
)

// firings is a history of firings, each (ago, length) before t0; open: the
// last is still firing.
func firings(open bool, spans ...time.Duration) *sources.AlertHistory {
	h := &sources.AlertHistory{Name: "X"}
	for i := 0; i+1 < len(spans); i += 2 {
		h.Firings = append(h.Firings, sources.Firing{Start: t0.Add(-spans[i]), End: t0.Add(-spans[i] + spans[i+1])})
	}
	if open {
		h.Firings[len(h.Firings)-1].Open = true
	}
	return h
}

var (
	// flapper fired 4 times in the last day (the last still on), 6 in the week.
	flapper = firings(true, 5*24*time.Hour, 10*time.Minute, 3*24*time.Hour, 20*time.Minute,
		20*time.Hour, 4*time.Minute, 8*time.Hour, 2*time.Minute, 2*time.Hour, 6*time.Minute, 3*time.Minute, 3*time.Minute)
	// twice fired once two days ago and once today.
	twice = firings(false, 2*24*time.Hour, 30*time.Minute, 90*time.Minute, 5*time.Minute)
)

func TestAlertFieldsHistory(t *testing.T) {
	a := sources.Alert{Name: "X", State: sources.AlertActive}
	for _, c := range []struct {
		h    *sources.AlertHistory
		want string
	}{
		{nil, ""},
		{flapper, "4× flap"},
		{twice, "1×"},
		{firings(false, 3*24*time.Hour, time.Minute), ""}, // not in the last day
	} {
		if got := AlertFields(a, nil, t0, nil, c.h)[4]; got != c.want {
			t.Errorf("%+v: %q, want %q", c.h, got, c.want)
		}
	}
}

func TestHistoryText(t *testing.T) {
	for _, c := range []struct {
		h    *sources.AlertHistory
		read bool
		note string
		want string
	}{
		{nil, false, "", ""},
		{nil, true, "", "history: did not fire in 7 days"},
		{nil, true, "VictoriaMetrics keeps no alert history unless vmalert writes", "history: VictoriaMetrics keeps no alert history unless vmalert writes"},
		{twice, true, "", "history: once in 24 h (5m), 2 times in 7 days (35m), median 5m; last resolved 13:05 (1h25m ago)"},
		{flapper, true, "", "history: 4 times in 24 h (15m), 6 times in 7 days (45m), median 4m; last resolved 12:36 (1h54m ago)\n" +
			"flapping: it fired 4 times or more in 24 h; its threshold or its for: may want a look"},
	} {
		if got := strings.Join(HistoryText(c.h, c.read, c.note, t0), "\n"); got != c.want {
			t.Errorf("got  %q\nwant %q", got, c.want)
		}
	}
}

// TestViewShowsHistory: the alerts view of a flapping alert and another:
// the list's column counts the day's firings, the selected alert's details
// its day and week in words (golden, ANSI stripped).
func TestViewShowsHistory(t *testing.T) {
	st := theme.New(theme.Dark(), true)
	ctx := &pane.Context{Styles: st, Now: func() time.Time { return t0 }, Refresh: time.Second, Base: context.Background(),
		After: func(time.Duration, tea.Msg) tea.Cmd { return nil }}
	errRate := sources.Alert{Name: "OriginHighErrorRate", State: sources.AlertActive, Severity: "critical", ActiveAt: t0.Add(-3 * time.Minute),
		Summary: "High API error rate", Labels: map[string]string{"alertname": "OriginHighErrorRate", "severity": "critical"}}
	disk := sources.Alert{Name: "DiskFilling", State: sources.AlertActive, Severity: "warning", ActiveAt: t0.Add(-20 * time.Minute),
		Labels: map[string]string{"alertname": "DiskFilling", "severity": "warning"}}
	gs := []sources.AlertGroup{{Labels: map[string]string{"team": "api"}, Receiver: "pager", Alerts: []sources.Alert{errRate, disk},
		History: []*sources.AlertHistory{flapper, twice}}}
	m := New(ctx, nil, redact.NewScrubber(), func() ([]sources.AlertGroup, bool, error) { return gs, true, nil }, "keys", "keys")
	m.SetSize(120, 20)
	view := func() string {
		var b strings.Builder
		for _, l := range m.View(st) {
			b.WriteString(strings.TrimRight(ansi.Strip(l), " ") + "\n")
		}
		return b.String()
	}
	s := view()
	for _, want := range []string{"4× flap", "1×", "history: 4 times in 24 h", "flapping: it fired 4 times"} {
		if !strings.Contains(s, want) {
			t.Errorf("no %q in\n%s", want, s)
		}
	}
	golden.RequireEqual(t, s)
	m.Move(1)
	if s := view(); !strings.Contains(s, "history: once in 24 h (5m), 2 times in 7 days") || strings.Contains(s, "flapping:") {
		t.Errorf("the second alert's details:\n%s", s)
	}
}
