package alertmanager

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/faults"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/httpapi"
)

// hostileLabels are label values a silence must match exactly: an escape
// sequence, a line break, a bidi override, quotes and backslashes, and a
// value of 10 kB (all of which the shown labels make safe or shorten).
func hostileLabels(name string, big bool) map[string]string {
	l := map[string]string{
		"alertname": name,
		"esc":       "red \x1b[31mtext\x1b[0m",
		"nl":        "two\nlines",
		"bidi":      "abc\u202edef",
		"quote":     `say "hi" \ back`,
	}
	if big {
		l["big"] = strings.Repeat("0123456789", 1000)
	}
	return l
}

// postAlert fires an alert with labels in the Alertmanager at url, as
// Prometheus would, and waits until its groups show it.
func postAlert(t *testing.T, c *Client, am *servers.Alertmanager, labels map[string]string) sources.Alert {
	t.Helper()
	if err := am.Post(context.Background(), labels, false); err != nil {
		t.Fatal(err)
	}
	gs := waitGroups(t, c, "the posted alert in its group", func(gs []sources.AlertGroup) bool {
		_, ok := alertNamed(gs, labels["alertname"])
		return ok
	})
	a, _ := alertNamed(gs, labels["alertname"])
	return a
}

func newClient(t *testing.T, am *servers.Alertmanager) *Client {
	t.Helper()
	c, err := New(httpapi.APIOptions{URL: am.URL(), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// TestLabelsKeptAsTheyAre: an alert whose labels hold control characters,
// a bidi override and 10 kB is shown safe and short, but its raw labels are
// Alertmanager's to the byte; the matchers built from them match it in
// Alertmanager's own matching, the silence made of them is read back with
// the same matchers and silences it.
func TestLabelsKeptAsTheyAre(t *testing.T) {
	t.Parallel()
	am := sandboxtest.NewAlertmanager(t)
	c := newClient(t, am)
	ctx := context.Background()
	want := hostileLabels("HostileLabels", true)
	a := postAlert(t, c, am, want)

	if got := a.Raw.Map(); len(got) != len(want) {
		t.Fatalf("raw labels %q, want %q", got, want)
	}
	for k, v := range want {
		if got, _ := a.Raw.Get(k); got != v {
			t.Errorf("raw %s = %q, want %q", k, got, v)
		}
		if faults.HasControl(a.Labels[k]) || len(a.Labels[k]) > maxTextLength+40 {
			t.Errorf("shown %s = %q: not made safe and short", k, a.Labels[k])
		}
	}

	ms := a.Raw.Matchers()
	matched, err := c.Matching(ctx, ms)
	if err != nil || len(matched) != 1 || matched[0].Fingerprint != a.Fingerprint {
		t.Fatalf("the alert's own labels match %d alerts (%v), want it alone", len(matched), err)
	}
	now := time.Now()
	id, err := c.CreateSilence(ctx, sources.Silence{Matchers: ms, StartsAt: now, EndsAt: now.Add(time.Hour), CreatedBy: "oncall@host", Comment: "hostile"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Silence(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if s.ID != id || s.State != "active" || !sources.SameMatchers(s.Matchers, ms) || s.EndsAt.Sub(now.Add(time.Hour)).Abs() > time.Second ||
		s.StartsAt.IsZero() || s.UpdatedAt.IsZero() || s.Comment != "hostile" {
		t.Fatalf("read back %+v", s)
	}
	if !a.Raw.MatchedBy(s.Matchers) {
		t.Error("the silence read back does not match the alert's raw labels")
	}
	waitGroups(t, c, "the alert silenced by the silence", func(gs []sources.AlertGroup) bool {
		got, ok := alertNamed(gs, "HostileLabels")
		return ok && got.State == sources.AlertSuppressed && slices.Contains(got.SilencedBy, id)
	})

	// An alert of more labels than are kept: its silence, of the first
	// maxLabels, reads back whole and silences it.
	many := map[string]string{"alertname": "ManyLabels"}
	for i := range maxLabels + 6 {
		many[fmt.Sprintf("l%02d", i)] = "v"
	}
	a = postAlert(t, c, am, many)
	if a.Raw.Len() != maxLabels {
		t.Fatalf("%d raw labels kept", a.Raw.Len())
	}
	ms = a.Raw.Matchers()
	id, err = c.CreateSilence(ctx, sources.Silence{Matchers: ms, StartsAt: now, EndsAt: now.Add(time.Hour), CreatedBy: "oncall@host", Comment: "many"})
	if err != nil {
		t.Fatal(err)
	}
	if s, err := c.Silence(ctx, id); err != nil || !sources.SameMatchers(s.Matchers, ms) {
		t.Fatalf("read back %d matchers of %d (%v)", len(s.Matchers), len(ms), err)
	}
	waitGroups(t, c, "the alert of many labels silenced", func(gs []sources.AlertGroup) bool {
		got, ok := alertNamed(gs, "ManyLabels")
		return ok && slices.Contains(got.SilencedBy, id)
	})

	if _, err := c.Silence(ctx, "0f0f0f0f-0000-0000-0000-000000000000"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("an unknown silence: %v", err)
	}
	if _, err := c.Silence(ctx, "../status"); err == nil || !strings.Contains(err.Error(), "not a silence ID") {
		t.Errorf("a path for a silence ID: %v", err)
	}
}

// TestMatchingTakesValuesAsTheyAre: Alertmanager reads a filter in its own
// syntax, not Go's quoting: a value with an escape sequence or a bidi
// override is matched as it is.
func TestMatchingTakesValuesAsTheyAre(t *testing.T) {
	t.Parallel()
	am := sandboxtest.NewAlertmanager(t)
	c := newClient(t, am)
	labels := hostileLabels("HostileFilter", true)
	postAlert(t, c, am, labels)
	for k, v := range labels {
		got, err := c.Matching(context.Background(), []sources.Matcher{{Name: k, Value: v, IsEqual: true}})
		if err != nil || len(got) != 1 {
			t.Errorf("%s=%q matches %d alerts (%v), want 1", k, v[:min(len(v), 40)], len(got), err)
		}
	}
}

// TestSilenceLengthBounded: a silence longer than sources.MaxSilence is
// refused in words before anything is sent.
func TestSilenceLengthBounded(t *testing.T) {
	now := time.Now()
	s := sources.Silence{Matchers: []sources.Matcher{{Name: "alertname", Value: "X", IsEqual: true}}, StartsAt: now, CreatedBy: "me", Comment: "why"}
	for _, c := range []struct {
		start, end time.Time
		ok         bool
	}{
		{now, now.Add(sources.MaxSilence), true},
		{now.Add(-time.Hour), now.Add(sources.MaxSilence), true}, // a start in the past counts from now
		{now, now.Add(sources.MaxSilence + time.Minute), false},
		{now, now.AddDate(100, 0, 0), false},
		{now.Add(24 * time.Hour), now.Add(24*time.Hour + sources.MaxSilence + time.Minute), false},
	} {
		s.StartsAt, s.EndsAt = c.start, c.end
		err := Check(s, now)
		if c.ok != (err == nil) || (err != nil && !strings.Contains(err.Error(), "at most 90 days")) {
			t.Errorf("%s from %s: %v", c.end.Sub(c.start), c.start.Sub(now), err)
		}
	}
}
