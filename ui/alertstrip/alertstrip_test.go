package alertstrip

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/opsdeck/opsdeck/internal/testenv/wait"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/prometheus"
	"github.com/opsdeck/opsdeck/ui/pane"
	"github.com/opsdeck/opsdeck/ui/theme"
)

var t0 = time.Date(2026, 11, 30, 14, 30, 0, 0, time.UTC)

type alerts struct {
	list []sources.Alert
	err  error
}

func (a *alerts) Read(context.Context, sources.SignalSpec, sources.Window) (sources.Reading, error) {
	return sources.Reading{}, nil
}
func (a *alerts) Alerts(context.Context) ([]sources.Alert, error) { return a.list, a.err }

func strip(src sources.Metrics) *Model { return stripOf(src, nil) }

func stripOf(src sources.Metrics, am sources.Alerting) *Model {
	ctx := &pane.Context{Styles: theme.New(theme.Dark(), true), Now: func() time.Time { return t0 }, Refresh: 2 * time.Second,
		Time: pane.NewTimeline(15 * time.Minute), Base: context.Background(), After: func(time.Duration, tea.Msg) tea.Cmd { return nil }}
	m := New(ctx, src, am, nil)
	m.SetSize(200, 1)
	return m
}

func line(m *Model) string {
	if cmd := m.Start(); cmd != nil {
		m.Update(cmd())
	}
	return strings.TrimSpace(ansi.Strip(m.View(false)[0]))
}

// manager is an Alertmanager's groups (UI test only).
type manager struct {
	sources.Alerting
	groups []sources.AlertGroup
}

func (m *manager) Groups(context.Context) ([]sources.AlertGroup, error) { return m.groups, nil }

// TestStripFromAlertmanager: with an Alertmanager the strip counts its
// silenced alerts apart from those that page, each alert once though two
// groups hold it.
func TestStripFromAlertmanager(t *testing.T) {
	errRate := sources.Alert{Name: "OriginHighErrorRate", State: sources.AlertActive, Severity: "critical", ActiveAt: t0.Add(-2 * time.Minute), Fingerprint: "a1"}
	disk := sources.Alert{Name: "DiskFilling", State: sources.AlertSuppressed, Severity: "warning", Fingerprint: "d1", SilencedBy: []string{"s1"}}
	am := &manager{groups: []sources.AlertGroup{{Alerts: []sources.Alert{errRate, disk}}, {Alerts: []sources.Alert{errRate}}}}
	if got := line(stripOf(&alerts{err: errors.New("Prometheus is not asked")}, am)); got != "● 1 firing: OriginHighErrorRate (critical, 2m) · 1 silenced: DiskFilling" {
		t.Errorf("from Alertmanager: %q", got)
	}
	am.groups = am.groups[:1]
	am.groups[0].Alerts = []sources.Alert{disk}
	if got := line(stripOf(nil, am)); got != "✔ no alerts firing · 1 silenced: DiskFilling" {
		t.Errorf("only silenced: %q", got)
	}
}

func TestStripFields(t *testing.T) {
	src := &alerts{list: []sources.Alert{
		{Name: "OriginHighErrorRate", State: "firing", Severity: "critical", Summary: "High API error rate", ActiveAt: t0.Add(-3 * time.Minute)},
		{Name: "OriginP95LatencyDegraded", State: "pending", Severity: "warning"},
	}}
	if got := line(strip(src)); got != "● 1 firing: OriginHighErrorRate (critical, 3m) High API error rate · 1 pending" {
		t.Errorf("firing: %q", got)
	}
	src.list = src.list[1:]
	if got := line(strip(src)); got != "✔ no alerts firing · 1 pending: OriginP95LatencyDegraded" {
		t.Errorf("pending only: %q", got)
	}
	src.err = errors.New("connection refused")
	m := strip(src)
	if got := line(m); got != "⚠ alerts: connection refused (since 14:30:00)" || !m.Failing() {
		t.Errorf("failing: %q", got)
	}
	// Failing after a good read, on a narrow screen: the error's text gives
	// way to the age of the alerts shown and to the alerts.
	src.err = nil
	m = strip(src)
	m.SetSize(80, 1)
	line(m)
	src.err = errors.New("alertmanager answered 502 Bad Gateway: upstream connect error or disconnect/reset before headers")
	if got := line(m); !strings.HasPrefix(got, "⚠ alerts: alertmanager answered 502") || !strings.Contains(got, "… (last ok 0s ago)") ||
		!strings.Contains(got, "✔ no alerts firing") {
		t.Errorf("failing with last data: %q", got)
	}
	src.err = sources.ErrNoAlerting
	if m = strip(src); !strings.Contains(line(m), "none in direct /metrics mode") || m.Failing() {
		t.Error("direct mode is not a failure")
	}
	if got := line(strip(nil)); got != "alerts: no Prometheus configured" {
		t.Errorf("no source: %q", got)
	}
}

// historied is a Prometheus that also answers the alert history's query
// (UI test only): each alert of names fired the given times in the last
// day, the last firing still on.
type historied struct {
	*alerts
	mu    sync.Mutex
	fired map[string]int
	asked atomic.Int32
}

func (h *historied) setFired(name string, n int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fired[name] = n
}

func (h *historied) Instant(_ context.Context, query string, at time.Time) ([]prometheus.Sample, []string, error) {
	h.asked.Add(1)
	h.mu.Lock()
	defer h.mu.Unlock()
	if !strings.Contains(query, `ALERTS{alertstate="firing"}`) {
		return nil, nil, errors.New("not the history's query: " + query)
	}
	var out []prometheus.Sample
	for name, n := range h.fired {
		edge := func(sign int64, ago time.Duration) {
			out = append(out, prometheus.Sample{Labels: map[string]string{"alertname": name, "opsdeck_at": fmt.Sprint(sign * at.Add(-ago).Unix())}, Value: 1})
		}
		for i := n; i > 1; i-- {
			edge(1, time.Duration(i)*time.Hour)
			edge(-1, time.Duration(i)*time.Hour-5*time.Minute)
		}
		edge(1, 3*time.Minute)
		out = append(out, prometheus.Sample{Labels: map[string]string{"alertname": name}, Value: float64(at.Unix())})
	}
	return out, nil, nil
}

// TestStripShowsHistory: a firing alert that fired before today says how
// often, and flapping from four firings a day; one firing for the first
// time says nothing more. The history is read once while the same alerts
// fire, again when they change.
func TestStripShowsHistory(t *testing.T) {
	src := &historied{alerts: &alerts{list: []sources.Alert{
		{Name: "OriginHighErrorRate", State: "firing", Severity: "critical", ActiveAt: t0.Add(-3 * time.Minute)},
		{Name: "DiskFilling", State: "firing", Severity: "warning", ActiveAt: t0.Add(-3 * time.Minute)},
	}}, fired: map[string]int{"OriginHighErrorRate": 5, "DiskFilling": 1}}
	now := t0
	ctx := &pane.Context{Styles: theme.New(theme.Dark(), true), Now: func() time.Time { return now }, Refresh: 2 * time.Second,
		Time: pane.NewTimeline(15 * time.Minute), Base: context.Background(), After: func(time.Duration, tea.Msg) tea.Cmd { return nil }}
	m := New(ctx, src, nil, nil)
	m.SetSize(200, 1)
	// The history is read beside the polls: a later poll shows it.
	until := func(want string) {
		t.Helper()
		wait.Eventually(t, want, func() error {
			if got := line(m); got != want {
				return fmt.Errorf("the strip says %q", got)
			}
			return nil
		})
	}
	asked := func(want int32) {
		t.Helper()
		wait.Eventually(t, fmt.Sprintf("%d reads of the history", want), func() error {
			if n := src.asked.Load(); n != want {
				return fmt.Errorf("%d reads", n)
			}
			return nil
		})
	}
	until("● 2 firing: OriginHighErrorRate (critical, 3m, 5× in 24 h, flapping) · DiskFilling (warning, 3m)")
	src.setFired("OriginHighErrorRate", 2)
	now = t0.Add(4 * time.Minute)
	if got := line(m); !strings.Contains(got, "5× in 24 h") || src.asked.Load() != 1 {
		t.Errorf("the same alerts firing: asked %d times, %q", src.asked.Load(), got)
	}
	both := src.list
	src.list = both[:1]
	until("● 1 firing: OriginHighErrorRate (critical, 7m, 2× in 24 h)")
	asked(2)
	src.list, now = both, now.Add(30*time.Second)
	if line(m); src.asked.Load() != 2 {
		t.Errorf("alerts changed within a minute of the last read: asked %d times", src.asked.Load())
	}
	now = now.Add(time.Minute)
	line(m)
	asked(3)
}

// TestHostileHistoryIsMadeSafeOnce: a history whose alert names hold
// terminal escapes reaches the strip without them, and the kept answer,
// handed to a second poll, is read beside the UI's copy of the first
// without a race (run with -race).
func TestHostileHistoryIsMadeSafeOnce(t *testing.T) {
	src := &historied{alerts: &alerts{list: []sources.Alert{{Name: "Evil\x1b[31m", State: "firing"}}}, fired: map[string]int{"Evil\x1b[31m": 3}}
	m := strip(src)
	wait.Eventually(t, "the history", func() error {
		if line(m); !m.Poll.Last.HasHistory {
			return errors.New("no history yet")
		}
		return nil
	})
	done := make(chan struct{})
	kept := m.Poll.Last.History // what the UI holds from the last poll
	go func() {
		defer close(done)
		for name, h := range kept.Names {
			_ = name + h.Name
		}
		for _, h := range kept.Series {
			for k, v := range h.Labels {
				_ = k + v
			}
		}
	}()
	line(m)
	<-done
	for name, h := range m.Poll.Last.History.Names {
		if strings.ContainsRune(name, 0x1b) || strings.ContainsRune(h.Labels["alertname"]+h.Name, 0x1b) {
			t.Errorf("an escape kept in %q", name)
		}
	}
	if n := src.asked.Load(); n != 1 {
		t.Errorf("asked %d times", n)
	}
}
