package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/faults"
	"github.com/opsdeck/opsdeck/internal/sandbox/originapi"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
)

// amSilence is a silence as Alertmanager's API lists it.
type amSilence struct {
	ID       string
	Status   struct{ State string }
	Matchers []struct {
		Name, Value string
		IsRegex     bool
	}
	StartsAt, EndsAt time.Time
	CreatedBy        string
	Comment          string
}

func amSilences(t *testing.T, url string) []amSilence {
	t.Helper()
	resp, err := http.Get(url + "/api/v2/silences")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []amSilence
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func activeSilences(t *testing.T, url string) []amSilence {
	var out []amSilence
	for _, s := range amSilences(t, url) {
		if s.Status.State == "active" {
			out = append(out, s)
		}
	}
	return out
}

// stripOf is the alert strip: the screen's second line.
func stripOf(screen string) string {
	lines := strings.Split(screen, "\n")
	if len(lines) < 2 {
		return ""
	}
	return lines[1]
}

// TestSilencesFromTheConsole: real Prometheus rules fire from the synthetic
// API's errors into a real Alertmanager. In the console's alerts view, a
// matcher matching three alerts says three before anything is made (and
// cancelling makes nothing); an empty comment is refused in the form; s with
// a comment makes the silence Alertmanager lists with the alert's labels as
// matchers, and the strip shows the alert silenced within two refreshes; u
// expires it and the alert pages again; a makes the short "ack" silence. A
// read-only environment refuses at the key. Every step is in the audit log.
func TestSilencesFromTheConsole(t *testing.T) {
	sandboxtest.SkipServers(t, "Prometheus and Alertmanager")
	t.Parallel()
	am := sandboxtest.NewAlertmanager(t)
	api := originapi.Start(t, originapi.Schedule{Start: time.Now(), Period: time.Hour, Always: "errors"}, 9)
	prom := sandboxtest.NewPrometheus(t, servers.PrometheusOptions{Targets: []string{api}, Rules: originapi.AlertRules, Alertmanager: am.Addr()})
	// The console reaches Alertmanager through a proxy that can fail it.
	proxy := faults.NewProxy(t, am.Addr())
	amURL := "http://" + proxy.Addr()
	cfg := writeFile(t, "alerts.yaml", fmt.Sprintf(`refresh: 1s
environments:
  prod:
    protected: true
    prometheus: {url: %q}
    alertmanager: {url: %q, ack_duration: 10m}
  audit:
    readonly: true
    prometheus: {url: %q}
    alertmanager: {url: %q}
`, prom.URL(), amURL, prom.URL(), amURL))
	state := t.TempDir()
	bin := binary(t)
	tm := newTmux(t)
	tm.run("new-session", "-d", "-x", "160", "-y", "48", fmt.Sprintf("XDG_STATE_HOME=%s %s --config %s --env prod; sleep 30", state, bin, cfg))
	keys := func(k ...string) { tm.run(append([]string{"send-keys"}, k...)...) }
	typed := func(s string) { tm.run("send-keys", "-l", s) }
	has := func(parts ...string) func(string) bool {
		return func(s string) bool {
			for _, p := range parts {
				if !strings.Contains(s, p) {
					return false
				}
			}
			return true
		}
	}
	tm.waitFor("every alert firing in the strip", func(s string) bool {
		return strings.Contains(stripOf(s), "5 firing")
	})
	keys("A")
	tm.waitFor("the alerts view", has("Alerts · http://127.0.0.1", "BackupLate", "volume=v1}", "OriginHighErrorRate", "[alerts] silences"))

	// Three matched, said before anything is made; cancelling makes nothing.
	keys("Down") // BackupLate, then the three DiskFilling
	keys("s")
	tm.waitFor("the silence form", has("New silence", `alertname="DiskFilling"`, `volume="v`))
	keys("Tab") // comment -> matchers
	keys("C-u")
	typed(`alertname="DiskFilling"`)
	keys("Tab", "Tab")
	typed("disk work")
	keys("Enter")
	tm.waitFor("the reach of the silence", has("Silence alerts in prod (protected)", "it matches 3 alerts now: 3 in this alert's group, 0 in other groups", "Run it? y to run"))
	keys("n")
	tm.waitFor("the question answered no", func(s string) bool { return !strings.Contains(s, "Run it? y to run") })
	if s := activeSilences(t, am.URL()); len(s) != 0 {
		t.Fatalf("a cancelled silence was made: %+v", s)
	}

	// An empty comment: refused in the form, nothing sent.
	keys("A")
	tm.waitFor("the alerts view again", has("[alerts] silences", "OriginHighErrorRate"))
	for range 4 {
		keys("Down")
	}
	keys("s")
	tm.waitFor("the form on the error-rate alert", has("New silence", `alertname="OriginHighErrorRate"`))
	keys("Enter")
	tm.waitFor("the refusal", has("⚠ comment: say why", "(nothing was sent)"))
	if s := amSilences(t, am.URL()); len(s) != 0 {
		t.Fatalf("a refused silence reached Alertmanager: %+v", s)
	}

	// Made: listed by Alertmanager with the alert's labels, shown silenced.
	typed("rollback in progress")
	keys("Enter")
	tm.waitFor("the confirmation", has("it matches 1 alert now: 1 in this alert's group, 0 in other groups", "Run it? y to run"))
	keys("y")
	tm.waitFor("the silence made", has("silence ", " made: ", "✔ done"))
	made := time.Now()
	sils := activeSilences(t, am.URL())
	if len(sils) != 1 || sils[0].Comment != "rollback in progress" || !strings.HasSuffix(sils[0].CreatedBy, "@"+hostname()) ||
		sils[0].EndsAt.Sub(sils[0].StartsAt).Round(time.Minute) != time.Hour {
		t.Fatalf("Alertmanager's silences: %+v", sils)
	}
	matchers := map[string]string{}
	for _, m := range sils[0].Matchers {
		matchers[m.Name] = m.Value
	}
	if len(matchers) != 3 || matchers["alertname"] != "OriginHighErrorRate" || matchers["severity"] != "critical" || matchers["team"] != "api" {
		t.Errorf("the silence's matchers are not the alert's labels: %+v", sils[0].Matchers)
	}
	keys("Escape")
	tm.waitFor("the view under the output", has("[alerts] silences"), wait.Within(3*time.Second))
	tm.waitFor("the strip says it is silenced", func(s string) bool {
		return strings.Contains(stripOf(s), "4 firing") && strings.Contains(stripOf(s), "1 silenced: OriginHighErrorRate")
	}, wait.Within(3*time.Second))
	t.Logf("shown silenced %v after the silence was made (refresh 1s)", time.Since(made).Round(10*time.Millisecond))
	tm.waitFor("the view says who silenced it, until when and why", has("silenced by "+sils[0].CreatedBy+" until", `"rollback in progress"`, "◌ critical"), wait.Within(3*time.Second))

	// The silences tab lists it; u expires it; the alert pages again. (The
	// view stays open under an action's output.)
	keys("Tab")
	tm.waitFor("the silences tab", has("alerts [silences]", "rollback in progress", `alertname="OriginHighErrorRate"`, "59m left"))
	keys("u")
	tm.waitFor("the expiry's confirmation", has("Expire silence "+sils[0].ID, "1 alert would page again", "Run it?"))
	keys("y")
	tm.waitFor("the silence expired", has("expired: the alerts it matched page again", "✔ done"))
	if s := activeSilences(t, am.URL()); len(s) != 0 {
		t.Fatalf("the expired silence is still active: %+v", s)
	}
	keys("Escape")
	tm.waitFor("the alert firing again", func(s string) bool { return strings.Contains(stripOf(s), "5 firing") }, wait.Within(3*time.Second))

	// a: the short silence, comment "ack", the configured 10 minutes.
	keys("Tab")
	tm.waitFor("the alerts tab", has("[alerts] silences"))
	for range 4 {
		keys("Up")
	}
	keys("a")
	tm.waitFor("the acknowledgement's confirmation", has(`"ack"`, "alertname=\"BackupLate\"", "it matches 1 alert now"))
	keys("y")
	tm.waitFor("the acknowledgement made", has("✔ done"))
	sils = activeSilences(t, am.URL())
	if len(sils) != 1 || sils[0].Comment != "ack" || sils[0].EndsAt.Sub(sils[0].StartsAt).Round(time.Minute) != 10*time.Minute {
		t.Fatalf("the acknowledgement: %+v", sils)
	}
	// A silence Alertmanager fails to make is never shown as made.
	keys("Escape")
	tm.waitFor("the view under the output", has("[alerts] silences"), wait.Within(3*time.Second))
	for range 4 {
		keys("Down")
	}
	keys("s")
	typed("doomed")
	keys("Enter")
	tm.waitFor("its confirmation", has(`"doomed"`, "Run it?"))
	proxy.SetWith(faults.Serve, 0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "cluster not ready", http.StatusInternalServerError)
	}))
	keys("y")
	failed := tm.waitFor("the failure said", has("✖", "no silence was made: alertmanager answered 500", "cluster not ready"))
	if regexp.MustCompile(`silence [0-9a-f-]{8,} made`).MatchString(failed) || strings.Contains(failed, "✔") {
		t.Errorf("a failed silence shown as made:\n%s", failed)
	}
	proxy.Set(faults.Pass)
	if s := activeSilences(t, am.URL()); len(s) != 1 {
		t.Errorf("silences after the failure: %+v", s)
	}
	keys("Escape", "Escape", "q")

	// The snapshot and the report: the alerts as Alertmanager has them, and
	// the silences of the window (the expired one too).
	code, out, stderr := runCLI(t, map[string]string{"XDG_STATE_HOME": state}, "--config", cfg, "--env", "prod", "snapshot", "--format", "json")
	if code != 0 {
		t.Fatalf("snapshot: exit %d\n%s", code, stderr)
	}
	var doc struct {
		Alertmanager string
		Alerts       []struct {
			Name, State string
			SilencedBy  []string `json:"silenced_by"`
		}
		Silences []struct {
			ID, State, Comment string
			Matchers           []string
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, a := range doc.Alerts {
		states[a.Name] = a.State
	}
	if doc.Alertmanager != amURL || states["BackupLate"] != "suppressed" || states["OriginHighErrorRate"] != "active" {
		t.Errorf("the snapshot's alerts: %s %+v", doc.Alertmanager, doc.Alerts)
	}
	seen := map[string]string{}
	for _, s := range doc.Silences {
		seen[s.Comment] = s.State
	}
	if len(doc.Silences) != 2 || seen["ack"] != "active" || seen["rollback in progress"] != "expired" {
		t.Errorf("the snapshot's silences: %+v", doc.Silences)
	}
	code, out, _ = runCLI(t, map[string]string{"XDG_STATE_HOME": state}, "--config", cfg, "--env", "prod", "snapshot", "--format", "markdown")
	if code != 0 || !strings.Contains(out, "## Silences") || !strings.Contains(out, `alertname="BackupLate"`) || !strings.Contains(out, "🔕 **BackupLate**") {
		t.Errorf("the report's silences (exit %d):\n%s", code, out)
	}

	// Read-only: refused at the key, before any form.
	tm2 := newTmux(t)
	tm2.run("new-session", "-d", "-x", "160", "-y", "48", fmt.Sprintf("XDG_STATE_HOME=%s %s --config %s --env audit; sleep 30", state, bin, cfg))
	tm2.waitFor("alerts in the read-only environment", func(s string) bool { return strings.Contains(stripOf(s), "firing") })
	tm2.run("send-keys", "A")
	tm2.waitFor("the alerts view", has("[alerts] silences"))
	tm2.run("send-keys", "s")
	tm2.waitFor("the refusal", has("s: refused: environment audit is read-only"))
	if strings.Contains(tm2.capture(), "New silence") {
		t.Error("the form opened in a read-only environment")
	}

	logs, _ := filepath.Glob(filepath.Join(state, "opsdeck", "*"))
	var audit string
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		audit += string(b)
	}
	for _, want := range []string{`"action":"silence"`, `"action":"expire-silence"`, "rollback in progress", `\"ack\"`} {
		if !strings.Contains(audit, want) {
			t.Errorf("the audit log lacks %s:\n%s", want, audit)
		}
	}
	if n := len(regexp.MustCompile(`"phase":"finished"`).FindAllString(audit, -1)); n != 4 {
		t.Errorf("%d finished runs in the audit log, want 4 (silence, expiry, ack, the failed silence)", n)
	}
	if !strings.Contains(audit, "no silence was made: alertmanager answered 500") {
		t.Errorf("the failed silence's error is not in the audit log:\n%s", audit)
	}
}
