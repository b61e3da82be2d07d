package alertsview

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/pane"
	"github.com/opsdeck/opsdeck/ui/theme"
)

// hugeAlert is an alert at the bounds of what the client keeps: 64 labels
// of 2,000 bytes shown, one of them 1 MB raw, and a description of 2,000
// bytes without a space.
func hugeAlert() sources.Alert {
	shown, raw := map[string]string{"alertname": "Huge"}, map[string]string{"alertname": "Huge"}
	for i := range 63 {
		k := fmt.Sprintf("label_%02d", i)
		shown[k], raw[k] = strings.Repeat("v", 2000), strings.Repeat("v", 2000)
	}
	raw["label_00"] = strings.Repeat("w", 1<<20)
	return sources.Alert{Name: "Huge", State: sources.AlertActive, Severity: "critical", Labels: shown, Raw: sources.NewRawLabels(raw),
		Description: strings.Repeat("d", 2000), Fingerprint: "f1", ActiveAt: t0.Add(-time.Minute)}
}

func hugeView(w, h int) *Model {
	st := theme.New(theme.Dark(), true)
	ctx := &pane.Context{Styles: st, Now: func() time.Time { return t0 }, Refresh: time.Second, Base: context.Background(),
		After: func(time.Duration, tea.Msg) tea.Cmd { return nil }}
	gs := []sources.AlertGroup{{Labels: hugeAlert().Labels, Receiver: "pager", Alerts: []sources.Alert{hugeAlert()}}}
	m := New(ctx, nil, redact.NewScrubber(), func() ([]sources.AlertGroup, bool, error) { return gs, true, nil }, "keys", "keys")
	m.SetSize(w, h)
	return m
}

// TestViewsOfHugeLabels: the alerts view and the silence form of an alert
// with kilobytes of labels fit their size and width, and take a bounded
// time to draw (the form's matchers hold the 1 MB value whole).
func TestViewsOfHugeLabels(t *testing.T) {
	m := hugeView(120, 40)
	st := theme.New(theme.Dark(), true)
	check := func(what string, lines []string, iw int) {
		t.Helper()
		if len(lines) > 40 {
			t.Errorf("%s: %d lines", what, len(lines))
		}
		for _, l := range lines {
			if w := ansi.StringWidth(l); w > iw {
				t.Fatalf("%s: a line %d wide: %q", what, w, ansi.Strip(l))
			}
		}
	}
	check("the alerts view", m.View(st), 116)
	if _, ok := m.OpenForm(0, "why"); !ok {
		t.Fatal("no form")
	}
	check("the form", m.View(st), 116)
	for range 3 {
		m.Form().Type(tea.KeyPressMsg{Code: tea.KeyTab}) // through every field, the matchers focused on the way
		check("the form, focus moved", m.View(st), 116)
	}
	s, err := m.Form().Silence(t0, "me@host")
	if err != nil || !sources.SameMatchers(s.Matchers, hugeAlert().Raw.Matchers()) {
		t.Fatalf("the silence is not the alert's raw labels: %v", err)
	}
}
