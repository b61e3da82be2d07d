package alertmanager

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/originapi"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/httpapi"
)

// alertingStack is a real Alertmanager fed by a real Prometheus whose
// rules fire from the synthetic API's errors.
func alertingStack(t *testing.T) (*servers.Alertmanager, *Client) {
	t.Helper()
	am := sandboxtest.NewAlertmanager(t)
	api := originapi.Start(t, originapi.Schedule{Start: time.Now(), Period: time.Hour, Always: "errors"}, 3)
	sandboxtest.NewPrometheus(t, servers.PrometheusOptions{Targets: []string{api}, Rules: originapi.AlertRules, Alertmanager: am.Addr()})
	c, err := New(httpapi.APIOptions{URL: am.URL(), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return am, c
}

// waitGroups reads the groups until cond holds and returns them.
func waitGroups(t *testing.T, c *Client, what string, cond func([]sources.AlertGroup) bool) []sources.AlertGroup {
	t.Helper()
	var gs []sources.AlertGroup
	wait.Eventually(t, what, func() error {
		var err error
		if gs, err = c.Groups(context.Background()); err == nil && !cond(gs) {
			err = fmt.Errorf("the groups are %+v", gs)
		}
		return err
	})
	return gs
}

func alertNamed(gs []sources.AlertGroup, name string) (sources.Alert, bool) {
	for _, g := range gs {
		for _, a := range g.Alerts {
			if a.Name == name {
				return a, true
			}
		}
	}
	return sources.Alert{}, false
}

func count(gs []sources.AlertGroup, name string) int {
	n := 0
	for _, g := range gs {
		for _, a := range g.Alerts {
			if a.Name == name {
				n++
			}
		}
	}
	return n
}

// TestSilenceLifecycle: the alerts Prometheus sends arrive in their groups
// with their annotations; a matcher matching three alerts counts three; a
// silence made through the client is listed with its matchers and
// suppresses its alert; expiring it makes the alert active again. Silences
// Alertmanager should not get are refused before anything is sent.
func TestSilenceLifecycle(t *testing.T) {
	t.Parallel()
	_, c := alertingStack(t)
	ctx := context.Background()
	gs := waitGroups(t, c, "every alert in Alertmanager", func(gs []sources.AlertGroup) bool {
		return count(gs, "DiskFilling") == 3 && count(gs, "BackupLate") == 1 && count(gs, "OriginHighErrorRate") == 1
	})
	a, _ := alertNamed(gs, "OriginHighErrorRate")
	if a.State != sources.AlertActive || a.Severity != "critical" || a.Summary != "High API error rate" ||
		a.RunbookURL != "https://runbooks.example.com/high-error-rate" || !strings.Contains(a.Description, "5 %") || a.Fingerprint == "" || a.ActiveAt.IsZero() {
		t.Errorf("the error-rate alert: %+v", a)
	}
	for _, g := range gs {
		if g.Labels["alertname"] == "" || g.Receiver != "nobody" {
			t.Errorf("group %+v", g)
		}
	}

	disk, err := c.Matching(ctx, []sources.Matcher{{Name: "alertname", Value: "DiskFilling", IsEqual: true}})
	if err != nil || len(disk) != 3 {
		t.Fatalf("alertname=DiskFilling matches %d alerts (%v), want 3", len(disk), err)
	}
	team, err := c.Matching(ctx, []sources.Matcher{{Name: "team", Value: "stor.*", IsRegex: true, IsEqual: true}})
	if err != nil || len(team) != 4 {
		t.Fatalf("team=~stor.* matches %d alerts (%v), want 4 in two groups", len(team), err)
	}

	before, err := c.Silences(ctx)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ok := sources.Silence{Matchers: []sources.Matcher{{Name: "alertname", Value: "OriginHighErrorRate", IsEqual: true}},
		StartsAt: now, EndsAt: now.Add(time.Hour), CreatedBy: "oncall@host", Comment: "deploy rollback in progress"}
	for _, bad := range []struct {
		s    func(sources.Silence) sources.Silence
		want string
	}{
		{func(s sources.Silence) sources.Silence { s.Comment = " "; return s }, "needs a comment"},
		{func(s sources.Silence) sources.Silence { s.EndsAt = now.Add(-time.Minute); return s }, "end in the past"},
		{func(s sources.Silence) sources.Silence { s.Matchers = nil; return s }, "at least one matcher"},
		{func(s sources.Silence) sources.Silence {
			s.Matchers = []sources.Matcher{{Name: "team", Value: ".*", IsRegex: true, IsEqual: true}}
			return s
		}, "every alert"},
	} {
		if _, err := c.CreateSilence(ctx, bad.s(ok)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("refused with %q? %v", bad.want, err)
		}
	}
	if after, _ := c.Silences(ctx); len(after) != len(before) {
		t.Fatalf("refused silences reached Alertmanager: %d -> %d", len(before), len(after))
	}

	id, err := c.CreateSilence(ctx, ok)
	if err != nil {
		t.Fatal(err)
	}
	sils, err := c.Silences(ctx)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(sils, func(s sources.Silence) bool { return s.ID == id })
	if i < 0 || sils[i].State != "active" || len(sils[i].Matchers) != 1 || sils[i].Matchers[0] != ok.Matchers[0] ||
		sils[i].CreatedBy != "oncall@host" || sils[i].Comment != ok.Comment || sils[i].EndsAt.Sub(ok.EndsAt).Abs() > time.Second {
		t.Fatalf("the silence made: %+v", sils)
	}
	waitGroups(t, c, "the alert suppressed by the silence", func(gs []sources.AlertGroup) bool {
		a, ok := alertNamed(gs, "OriginHighErrorRate")
		return ok && a.State == sources.AlertSuppressed && slices.Contains(a.SilencedBy, id)
	})
	if gs, _ := c.Groups(ctx); gs != nil {
		if a, _ := alertNamed(gs, "BackupLate"); a.State != sources.AlertActive {
			t.Errorf("an alert the silence does not match is %s", a.State)
		}
	}

	if err := c.ExpireSilence(ctx, id); err != nil {
		t.Fatal(err)
	}
	sils, _ = c.Silences(ctx)
	if i := slices.IndexFunc(sils, func(s sources.Silence) bool { return s.ID == id }); i < 0 || sils[i].State != "expired" {
		t.Errorf("the expired silence: %+v", sils)
	}
	waitGroups(t, c, "the alert active again", func(gs []sources.AlertGroup) bool {
		a, ok := alertNamed(gs, "OriginHighErrorRate")
		return ok && a.State == sources.AlertActive
	})
	if err := c.ExpireSilence(ctx, "../../status"); err == nil || !strings.Contains(err.Error(), "not a silence ID") {
		t.Errorf("a path for a silence ID: %v", err)
	}
}
