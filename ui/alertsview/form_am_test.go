package alertsview

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/alertmanager"
	"github.com/opsdeck/opsdeck/sources/httpapi"
)

// firing posts an alert with labels to the real Alertmanager at url and
// reads it back as the alerts view has it.
func firing(t *testing.T, c *alertmanager.Client, am *servers.Alertmanager, labels map[string]string) sources.Alert {
	t.Helper()
	if err := am.Post(context.Background(), labels, false); err != nil {
		t.Fatal(err)
	}
	var a sources.Alert
	wait.Eventually(t, "the posted alert", alertsHold(c, func(as []sources.Alert) bool {
		i := slices.IndexFunc(as, func(a sources.Alert) bool { return a.Name == labels["alertname"] })
		if i >= 0 {
			a = as[i]
		}
		return i >= 0
	}))
	return a
}

// alertsHold reads the alerts and says whether cond holds of them.
func alertsHold(c *alertmanager.Client, cond func([]sources.Alert) bool) func() error {
	return func() error {
		gs, err := c.Groups(context.Background())
		if err == nil && !cond(sources.Flatten(gs)) {
			err = fmt.Errorf("the alerts are %+v", sources.Flatten(gs))
		}
		return err
	}
}

func key(s string) tea.KeyPressMsg {
	switch s {
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "left":
		return tea.KeyPressMsg{Code: tea.KeyLeft}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	}
	return tea.KeyPressMsg{Code: rune(s[0]), Text: s}
}

// TestFormSilencesTheAlertItWasMadeFrom: against a real Alertmanager, the
// silence the form builds from an alert whose labels hold an escape
// sequence, a line break, a bidi override, quotes (and, for one of the two
// alerts, a 10 kB value) is made and silences that alert: untouched, as the
// acknowledge key makes it, and with its matchers edited then restored.
func TestFormSilencesTheAlertItWasMadeFrom(t *testing.T) {
	t.Parallel()
	am := sandboxtest.NewAlertmanager(t)
	c, err := alertmanager.New(httpapi.APIOptions{URL: am.URL(), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	labels := func(name string) map[string]string {
		return map[string]string{"alertname": name, "esc": "red \x1b[31mtext\x1b[0m", "nl": "two\nlines", "bidi": "abc\u202edef", "quote": `say "hi" \ back`}
	}
	small := labels("HostileLabels")
	big := labels("HostileAndHuge")
	big["big"] = strings.Repeat("0123456789", 1000)

	for _, l := range []map[string]string{small, big} {
		a := firing(t, c, am, l)
		for _, how := range []struct {
			name string
			form func(t *testing.T) *Form
		}{
			{"untouched", func(*testing.T) *Form { f := NewForm(a, nil, 0, "untouched"); f.Focus(); return f }},
			{"ack", func(*testing.T) *Form { return NewForm(a, nil, 30*time.Minute, "ack") }},
			{"edited then restored", func(t *testing.T) *Form {
				f := NewForm(a, nil, 0, "edited")
				f.Focus()
				before := f.inputs[fieldMatchers].Value()
				f.Type(key("tab")) // comment -> matchers, the cursor at its end
				// The last matcher is quote="say \"hi\" \\ back": its
				// closing quote and the escape of its backslash deleted...
				for _, k := range []string{"backspace", "left", "left", "left", "left", "left", "backspace", "backspace"} {
					f.Type(key(k))
				}
				if _, err := f.Silence(time.Now(), "oncall@host"); err == nil {
					t.Fatalf("half-edited matchers read: %s", f.inputs[fieldMatchers].Value()[len(before)-30:])
				}
				// ...then typed again.
				for _, k := range []string{`\`, `\`, "left"} {
					f.Type(key(k))
				}
				for range 6 {
					f.Type(tea.KeyPressMsg{Code: tea.KeyRight})
				}
				f.Type(key(`"`))
				if after := f.inputs[fieldMatchers].Value(); after != before {
					t.Fatalf("not restored: ...%s, was ...%s", after[len(after)-30:], before[len(before)-30:])
				}
				return f
			}},
		} {
			t.Run(l["alertname"]+"/"+how.name, func(t *testing.T) {
				f := how.form(t)
				now := time.Now()
				s, err := f.Silence(now, "oncall@host")
				if err != nil {
					t.Fatalf("the form refuses: %v", err)
				}
				id, err := c.CreateSilence(context.Background(), s)
				if err != nil {
					t.Fatalf("not made: %v", err)
				}
				wait.Eventually(t, "the alert silenced by "+id, alertsHold(c, func(as []sources.Alert) bool {
					i := slices.IndexFunc(as, func(x sources.Alert) bool { return x.Fingerprint == a.Fingerprint })
					return i >= 0 && as[i].State == sources.AlertSuppressed && slices.Contains(as[i].SilencedBy, id)
				}))
			})
		}
	}
}
