package alertsview

import (
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/sources"
)

var t0 = time.Date(2026, 11, 30, 14, 30, 0, 0, time.UTC)

func TestAlertFields(t *testing.T) {
	sil := map[string]sources.Silence{"s1": {ID: "s1", CreatedBy: "alice", EndsAt: t0.Add(time.Hour)}, "s2": {ID: "s2", CreatedBy: "bob", EndsAt: t0.Add(24 * time.Hour)}}
	group := map[string]string{"alertname": "DiskFilling"}
	for _, c := range []struct {
		a    sources.Alert
		want string
	}{
		{sources.Alert{Name: "DiskFilling", State: sources.AlertActive, Severity: "warning", ActiveAt: t0.Add(-3 * time.Minute), Summary: "disk 90 %",
			Labels: map[string]string{"alertname": "DiskFilling", "severity": "warning", "volume": "v1"}}, "●|warning|DiskFilling {volume=v1}|3m||disk 90 %"},
		{sources.Alert{Name: "DiskFilling", State: sources.AlertSuppressed, SilencedBy: []string{"s1"}}, "◌||DiskFilling|||silenced by alice until 15:30"},
		{sources.Alert{Name: "DiskFilling", State: sources.AlertSuppressed, SilencedBy: []string{"s2"}}, "◌||DiskFilling|||silenced by bob until 12-01 14:30"},
		{sources.Alert{Name: "DiskFilling", State: sources.AlertSuppressed, SilencedBy: []string{"gone"}}, "◌||DiskFilling|||silenced"},
		{sources.Alert{Name: "X", State: sources.AlertSuppressed, InhibitedBy: []string{"f"}}, "◌||X|||inhibited by another alert"},
		{sources.Alert{Name: "Y", State: sources.AlertUnprocessed}, "…||Y|||"},
	} {
		if got := strings.Join(AlertFields(c.a, group, t0, sil, nil), "|"); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
}

func TestSilenceFields(t *testing.T) {
	alert := func(team string) sources.Alert {
		return sources.Alert{Labels: map[string]string{"team": team}, Raw: sources.NewRawLabels(map[string]string{"team": team})}
	}
	alerts := []sources.Alert{alert("storage"), alert("storage"), alert("api")}
	s := sources.Silence{State: "active", EndsAt: t0.Add(90 * time.Minute), CreatedBy: "bob", Comment: "maintenance",
		Matchers: []sources.Matcher{{Name: "team", Value: "storage", IsEqual: true}}}
	if got := strings.Join(SilenceFields(s, t0, alerts), "|"); got != `active|11-30 16:00|1h30m left|bob|team="storage"|2|maintenance` {
		t.Errorf("got %q", got)
	}
	s.State, s.StartsAt = "pending", t0.Add(10*time.Minute)
	if got := SilenceFields(s, t0, nil)[2]; got != "starts in 10m" {
		t.Errorf("pending: %q", got)
	}
}

func TestParseEnd(t *testing.T) {
	for in, want := range map[string]time.Time{
		"1h":       t0.Add(time.Hour),
		" 90m ":    t0.Add(90 * time.Minute),
		"2d":       t0.Add(48 * time.Hour),
		"tomorrow": time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC),
	} {
		if got, err := ParseEnd(in, t0); err != nil || !got.Equal(want) {
			t.Errorf("ParseEnd(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if got, err := ParseEnd("90d", t0); err != nil || !got.Equal(t0.Add(sources.MaxSilence)) {
		t.Errorf("90d: %v, %v", got, err)
	}
	// A silence lasts at most sources.MaxSilence, however it is written.
	for in, want := range map[string]string{"-1h": "in the past", "10s": "shorter than a minute", "soon": "not a duration", "400d": "1d to 90d",
		"91d": "1d to 90d", "2161h": "at most 90d", "876000h": "at most 90d", "129601m": "at most 90d"} {
		if _, err := ParseEnd(in, t0); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseEnd(%q): %v, want %q", in, err, want)
		}
	}
}

func TestParseMatchers(t *testing.T) {
	ms, err := ParseMatchers(`alertname="Disk, Filling", team=~"stor.*" ,, volume!="v9"`)
	if err != nil || len(ms) != 3 || ms[0].Value != "Disk, Filling" || !ms[1].IsRegex || ms[2].IsEqual {
		t.Fatalf("%+v %v", ms, err)
	}
	if _, err := ParseMatchers(" , "); err == nil || !strings.Contains(err.Error(), "no matcher") {
		t.Errorf("empty: %v", err)
	}
}

// TestFormRefusesBeforeSending: what Alertmanager should not get is
// refused by the form with its reason.
func TestFormRefusesBeforeSending(t *testing.T) {
	a := sources.Alert{Name: "X", Labels: map[string]string{"alertname": "X"}, Raw: sources.NewRawLabels(map[string]string{"alertname": "X"})}
	for _, c := range []struct {
		field int
		value string
		want  string
	}{
		{fieldComment, "", "comment: say why"},
		{fieldDuration, "-5m", "duration:"},
		{fieldMatchers, `team=~".*"`, "matches an empty value"},
		{fieldMatchers, `team`, "is not a matcher"},
	} {
		f := NewForm(a, nil, 0, "why")
		f.inputs[c.field].SetValue(c.value)
		if _, err := f.Silence(t0, "me@host"); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s=%q: %v, want %q", fieldNames[c.field], c.value, err, c.want)
		}
	}
	s, err := NewForm(a, nil, 0, "why").Silence(t0, "me@host")
	if err != nil || s.Matchers[0].String() != `alertname="X"` || !s.EndsAt.Equal(t0.Add(DefaultDuration)) {
		t.Errorf("%+v %v", s, err)
	}
}
