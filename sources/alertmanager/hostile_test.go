package alertmanager

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/internal/sandbox/faults"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/httpapi"
)

func alertTexts(a sources.Alert) []string {
	out := []string{a.Name, a.State, a.Severity, a.Summary, a.Description, a.RunbookURL, a.Fingerprint}
	out = append(out, a.SilencedBy...)
	out = append(out, a.InhibitedBy...)
	for k, v := range a.Labels {
		out = append(out, k, v)
	}
	return out
}

// FuzzDecode: whatever Alertmanager answers, decoding its groups and
// silences neither panics nor lets a control character through, and what
// is kept stays bounded.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`[{"labels":{"alertname":"X\u001b[2J"},"receiver":{"name":"r"},"alerts":[{"labels":{"alertname":"X","severity":"critical\u0007"},"annotations":{"summary":"s\u009b31m"},"fingerprint":"f","status":{"state":"suppressed","silencedBy":["a\u001b]0;x"]}}]}]`), 200)
	f.Add([]byte(`[{"id":"1","status":{"state":"active"},"matchers":[{"name":"a","value":"b\u0000","isRegex":false}],"createdBy":"\u001b[31m","comment":"c"}]`), 200)
	f.Add([]byte(`"silence not found \u001b[2J"`), 404)
	f.Add([]byte(`<html>login</html>`), 200)
	f.Fuzz(func(t *testing.T, body []byte, code int) {
		var groups []apiGroup
		if err := decode(body, code, "status", &groups); err != nil {
			if faults.HasControl(err.Error()) {
				t.Fatalf("control character in %q", err.Error())
			}
		} else {
			gs := groupsOf(groups)
			n := 0
			for _, g := range gs {
				for _, a := range g.Alerts {
					n++
					if !rawKept(a, groups) {
						t.Fatalf("the raw labels of %q are not any alert's labels as sent", a.Name)
					}
					for _, s := range alertTexts(a) {
						if faults.HasControl(s) {
							t.Fatalf("control character in %q", s)
						}
					}
				}
			}
			if len(gs) > maxGroups || n > maxAlerts {
				t.Fatalf("%d groups, %d alerts kept", len(gs), n)
			}
		}
		var sils []apiSilence
		if decode(body, code, "status", &sils) == nil {
			for _, s := range silencesOf(sils) {
				for _, x := range append([]string{s.ID, s.State, s.CreatedBy, s.Comment}, matcherTexts(s.Matchers)...) {
					if faults.HasControl(x) {
						t.Fatalf("control character in %q", x)
					}
				}
			}
			for _, raw := range sils {
				// Matchers are kept as they are, to match on; what shows
				// them reads back to them.
				for j, m := range silenceOf(raw).Matchers {
					if raw := raw.Matchers[j]; m.Name != raw.Name || m.Value != raw.Value {
						t.Fatalf("matcher %q=%q kept as %q=%q", raw.Name, raw.Value, m.Name, m.Value)
					}
					if back, err := sources.ParseMatcher(m.String()); err == nil && back != m {
						t.Fatalf("%s reads back as %+v, was %+v", m, back, m)
					}
				}
			}
		}
	})
}

// rawKept reports whether a's raw labels are, to the byte, the labels of
// an alert of the answer (its first maxLabels by name).
func rawKept(a sources.Alert, groups []apiGroup) bool {
	for _, g := range groups {
		for _, sent := range g.Alerts {
			n := 0
			for k, v := range sent.Labels {
				if got, ok := a.Raw.Get(k); ok && got == v {
					n++
				}
			}
			if n == a.Raw.Len() && n == min(len(sent.Labels), maxLabels) {
				return true
			}
		}
	}
	return false
}

// matcherTexts are the matchers as shown.
func matcherTexts(ms []sources.Matcher) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.String())
	}
	return out
}

// TestHungOrEchoingAlertmanager: a server that never answers is reported
// within the timeout, in words; one whose error page quotes the
// Authorization header it was sent never gets the token on screen.
func TestHungOrEchoingAlertmanager(t *testing.T) {
	t.Parallel()
	hung := faults.NewProxy(t, "127.0.0.1:1")
	hung.Set(faults.BlackHole) // accepts, never answers
	u := "http://ops:canary-am-pw@" + hung.Addr()
	c, err := New(httpapi.APIOptions{URL: u, Timeout: 300 * time.Millisecond, Scrubber: redact.NewScrubber()})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.Groups(context.Background())
	if err == nil || !strings.Contains(err.Error(), "no answer from") || strings.Contains(err.Error(), "canary-am-pw") {
		t.Errorf("hung Alertmanager: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v with a 300ms timeout", d)
	}

	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprintf(w, "bad gateway; you sent %s", r.Header.Get("Authorization"))
	}))
	defer echo.Close()
	for _, a := range []httpapi.Auth{{BearerToken: "t0ken-am-123"}, {BasicAuth: &httpapi.BasicAuth{Username: "oncall", Password: "hunter2-am"}}} {
		c, err := New(httpapi.APIOptions{URL: echo.URL, Auth: a, Scrubber: redact.NewScrubber()})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Silences(context.Background())
		msg := fmt.Sprint(err)
		if !strings.Contains(msg, "502") {
			t.Errorf("the status is not said: %s", msg)
		}
		for _, secret := range append(a.Secrets(), "hunter2-am", "t0ken-am-123") {
			if secret != "" && strings.Contains(msg, secret) {
				t.Errorf("a secret in %q", msg)
			}
		}
	}
}
