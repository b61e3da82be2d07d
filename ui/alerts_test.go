package ui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/actionpane"
)

// fakeManager is an Alertmanager for UI tests: it records the silences
// made and expired.
type fakeManager struct {
	groups   []sources.AlertGroup
	silences []sources.Silence
	made     []sources.Silence
	expired  []string
}

func (f *fakeManager) String() string { return "http://alertmanager.qa:9093" }
func (f *fakeManager) Groups(context.Context) ([]sources.AlertGroup, error) {
	return f.groups, nil
}
func (f *fakeManager) Silences(context.Context) ([]sources.Silence, error) { return f.silences, nil }
func (f *fakeManager) Matching(_ context.Context, ms []sources.Matcher) ([]sources.Alert, error) {
	var out []sources.Alert
	for _, a := range sources.Flatten(f.groups) {
		if sources.MatchesAll(ms, a.Labels) {
			out = append(out, a)
		}
	}
	return out, nil
}
func (f *fakeManager) CreateSilence(_ context.Context, s sources.Silence) (string, error) {
	f.made = append(f.made, s)
	return "new-id", nil
}
func (f *fakeManager) ExpireSilence(_ context.Context, id string) error {
	f.expired = append(f.expired, id)
	return nil
}
func (f *fakeManager) Silence(_ context.Context, id string) (sources.Silence, error) {
	for _, s := range f.silences {
		if s.ID == id {
			return s, nil
		}
	}
	return sources.Silence{}, errors.New("silence " + id + " not found")
}

// silenceActions stand in for the console's (cli builds the real ones):
// the preview counts the matches, the run makes or expires the silence.
func silenceActions() SilenceActions {
	run := func(do func(context.Context) error) func(context.Context, actionpane.Consent) (<-chan actionpane.Line, func(), error) {
		return func(ctx context.Context, _ actionpane.Consent) (<-chan actionpane.Line, func(), error) {
			ch := make(chan actionpane.Line, 1)
			err := do(ctx)
			ch <- actionpane.Line{Done: true, Err: err}
			close(ch)
			return ch, func() {}, nil
		}
	}
	silence := func(am sources.Alerting, s sources.Silence, group []string) actionpane.Action {
		return actionpane.Action{Name: "silence", Guard: actionpane.Confirm, Preview: func(ctx context.Context) (actionpane.Preview, error) {
			m, _ := am.Matching(ctx, s.Matchers)
			return actionpane.Preview{Head: []string{"matches " + string(rune('0'+len(m))) + " alerts"},
				Run: run(func(ctx context.Context) error { _, err := am.CreateSilence(ctx, s); return err })}, nil
		}}
	}
	return SilenceActions{Who: "oncall@laptop", Make: silence, Ack: silence,
		Expire: func(am sources.Alerting, s sources.Silence) actionpane.Action {
			return actionpane.Action{Name: "expire-silence", Guard: actionpane.Confirm, Preview: func(ctx context.Context) (actionpane.Preview, error) {
				return actionpane.Preview{Head: []string{"expire " + s.ID}, Run: run(func(ctx context.Context) error { return am.ExpireSilence(ctx, s.ID) })}, nil
			}}
		}}
}

func alertsHarness(t *testing.T) (*harness, *fakeManager) {
	h := newHarness(t, healthy(), nil, false)
	am := &fakeManager{
		groups: []sources.AlertGroup{
			{Labels: map[string]string{"alertname": "DiskFilling"}, Receiver: "pager", Alerts: []sources.Alert{
				{Name: "DiskFilling", State: sources.AlertActive, Severity: "warning", Fingerprint: "d1", ActiveAt: t0.Add(-5 * time.Minute),
					Labels: map[string]string{"alertname": "DiskFilling", "volume": "v1"}, RunbookURL: "https://runbooks.example.com/disk",
					Raw: sources.NewRawLabels(map[string]string{"alertname": "DiskFilling", "volume": "v1"})},
				{Name: "DiskFilling", State: sources.AlertSuppressed, Severity: "warning", Fingerprint: "d2", SilencedBy: []string{"s1"},
					Labels: map[string]string{"alertname": "DiskFilling", "volume": "v2"}, Raw: sources.NewRawLabels(map[string]string{"alertname": "DiskFilling", "volume": "v2"})},
			}},
		},
		silences: []sources.Silence{{ID: "s1", State: "active", CreatedBy: "alice@desk", Comment: "resizing v2", EndsAt: t0.Add(90 * time.Minute),
			Matchers: []sources.Matcher{{Name: "volume", Value: "v2", IsEqual: true}}}},
	}
	h.m.env.Alerting.Source = am
	h.m.silences = silenceActions()
	h.m.buildPanes()
	h.size(160, 48)
	return h, am
}

// TestAlertsView: A shows Alertmanager's alerts by group and who silenced
// what; s opens the form on the selected alert, which refuses an empty
// comment without sending anything, then makes the silence with the
// alert's labels as matchers once confirmed; u expires a silence.
func TestAlertsView(t *testing.T) {
	h, am := alertsHarness(t)
	h.key("?") // help asks every key why it is off: none may fail with the view closed
	if s := h.screen(); !strings.Contains(s, "silence the alert") {
		t.Fatalf("help:\n%s", s)
	}
	h.key("z")
	h.key("A")
	s := h.screen()
	flat := strings.Join(strings.Fields(s), " ")
	for _, want := range []string{"Alerts · http://alertmanager.qa:9093", "▸ alertname=\"DiskFilling\" → pager", "● warning DiskFilling {volume=v1} 5m",
		"◌ warning DiskFilling {volume=v2}", "silenced by alice@desk until 16:00", "runbook: https://runbooks.example.com/disk", "1 active, 1 silenced or inhibited · 1 silences"} {
		if !strings.Contains(flat, want) {
			t.Errorf("%q missing:\n%s", want, s)
		}
	}
	h.key("s")
	if s := h.screen(); !strings.Contains(s, "New silence") || !strings.Contains(s, `alertname="DiskFilling", volume="v1"`) {
		t.Fatalf("the form:\n%s", s)
	}
	h.key("enter")
	if s := h.screen(); !strings.Contains(s, "⚠ comment: say why") || len(am.made) != 0 {
		t.Fatalf("an empty comment must be refused in the form, nothing sent (%d made):\n%s", len(am.made), s)
	}
	for _, r := range "disk-swap" {
		h.key(string(r))
	}
	h.key("enter")
	if s := h.screen(); !strings.Contains(s, "matches 1 alerts") || !strings.Contains(s, "[y/N]") {
		t.Fatalf("the confirmation:\n%s", s)
	}
	h.key("y")
	if len(am.made) != 1 || am.made[0].Comment != "disk-swap" || am.made[0].CreatedBy != "oncall@laptop" || len(am.made[0].Matchers) != 2 ||
		!am.made[0].EndsAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("made %+v", am.made)
	}
	h.key("esc") // the output; the view is under it
	if !h.alertsOpen() {
		t.Fatal("the view closed with the action's output")
	}
	h.key("tab")
	if s := h.screen(); !strings.Contains(s, "alerts [silences]") || !strings.Contains(s, "resizing v2") || !strings.Contains(s, "1h30m left") {
		t.Fatalf("the silences tab:\n%s", s)
	}
	h.key("s")
	if s := h.screen(); !strings.Contains(s, "select an alert") {
		t.Errorf("s on the silences tab must say why it does nothing:\n%s", s)
	}
	h.key("u")
	h.key("y")
	if len(am.expired) != 1 || am.expired[0] != "s1" {
		t.Fatalf("expired %v", am.expired)
	}
	h.key("esc")
	h.key("esc")
	if h.alertsOpen() {
		t.Error("esc did not close the view")
	}
	// a: the acknowledgement, confirmed like any silence.
	h.m.env.AckDuration = 20 * time.Minute
	h.key("A")
	h.key("a")
	h.key("y")
	if len(am.made) != 2 || am.made[1].Comment != "ack" || !am.made[1].EndsAt.Equal(t0.Add(20*time.Minute)) {
		t.Fatalf("the acknowledgement: %+v", am.made)
	}
}

// TestNoAlertsViewWithoutAlertmanager: A says what to configure.
func TestNoAlertsViewWithoutAlertmanager(t *testing.T) {
	h := newHarness(t, healthy(), nil, false)
	h.size(160, 48)
	h.key("A")
	if s := h.screen(); h.alertsOpen() || !strings.Contains(s, "alertmanager.url (or ALERTMANAGER_URL)") {
		t.Errorf("A without Alertmanager:\n%s", s)
	}
}
