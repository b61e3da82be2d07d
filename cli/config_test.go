package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestBadInputExits2(t *testing.T) {
	bad := writeFile(t, "bad.yaml", "environments:\n  qa:\n    prometheus:\n      url: 'prometheus:9090'\n      timeout: soon\n")
	good := writeFile(t, "good.yaml", "environments:\n  qa: {prometheus: {url: 'http://127.0.0.1:1'}}\n")
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"--config", bad, "config", "print"}, []string{"bad.yaml:4: environments.qa.prometheus.url:", "bad.yaml:5: environments.qa.prometheus.timeout:"}},
		{[]string{"--config", bad}, []string{"bad.yaml:4"}},
		{[]string{"--config", bad, "snapshot"}, []string{"bad.yaml:4"}},
		{[]string{"--config", filepath.Join(t.TempDir(), "missing.yaml"), "snapshot"}, []string{"missing.yaml: file not found"}},
		{[]string{"--config", good, "--refresh", "2x", "snapshot"}, []string{"--refresh"}},
		{[]string{"--config", good, "--refresh", "10ms", "snapshot"}, []string{"command line: --refresh: 10ms is out of range"}},
		{[]string{"--config", good, "--env", "prod", "snapshot"}, []string{`no environment "prod"`}},
		{[]string{"--config", good, "snapshot", "--format", "xml"}, []string{"--format"}},
		{[]string{"no-such-command"}, []string{"opsdeck --help"}},
		{[]string{"--config", good, "--theme", "solarized", "snapshot"}, []string{`command line: --theme: unknown theme "solarized"`}},
		{[]string{"--config", good, "--grafana-dashboard", "nope.json", "snapshot"}, []string{`--grafana-dashboard: "nope.json" is not a readable file`}},
		{[]string{"--config", good, "--grafana-dashboard", writeFile(t, "broken.json", "{\n  \"panels\": [\n"), "snapshot"}, []string{"grafana dashboard ", "broken.json: line 3: not valid JSON"}},
		{[]string{"--config", writeFile(t, "keys.yaml", "keys:\n  quit: r\nenvironments: {qa: {}}\n"), "snapshot"}, []string{`keys.yaml:2: keys.quit: "r" is bound to both refresh and quit`}},
		{[]string{"--config", good, "dashboard", "lint"}, []string{"dashboard lint takes one dashboard JSON file"}},
	}
	for _, c := range cases {
		code, _, stderr := runCLI(t, map[string]string{}, c.args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", c.args, code, stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%v: stderr lacks %q:\n%s", c.args, w, stderr)
			}
		}
	}
}

func TestConfigPrintRedacts(t *testing.T) {
	f := writeFile(t, "c.yaml", `environments:
  prod:
    prometheus: {url: "http://prom:9090", bearer_token: "${TOKEN}"}
    postgres: {url: "postgresql://origin:canary-pg-pw@pgbouncer:6432/origin_db"}
    redis: {url: "redis://:canary-redis-pw@redis:6379/0"}
    protected: true
`)
	code, out, stderr := runCLI(t, map[string]string{"TOKEN": "canary-token"}, "--config", f, "config", "print")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, secret := range []string{"canary-pg-pw", "canary-redis-pw", "canary-token"} {
		if strings.Contains(out+stderr, secret) {
			t.Errorf("config print leaks %q", secret)
		}
	}
	for _, want := range []string{"postgresql://origin:xxxxx@pgbouncer:6432/origin_db", "bearer_token: <redacted>", "protected: true", "sum(rate(http_requests_total"} {
		if !strings.Contains(out, want) {
			t.Errorf("config print lacks %q", want)
		}
	}
}

func TestFlagsOverrideFile(t *testing.T) {
	f := writeFile(t, "c.yaml", "refresh: 2s\nenvironments:\n  a: {}\n  b: {}\n")
	code, out, stderr := runCLI(t, map[string]string{"OPSDECK_ENV": "b"}, "--config", f, "--refresh", "5s", "--window", "1h", "config", "print")
	if code != 0 || !strings.Contains(out, "refresh: 5s") || !strings.Contains(out, "window: 1h") {
		t.Fatalf("%d %s %s", code, out, stderr)
	}
}

func TestZeroConfigFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir) // no ./opsdeck.yaml here
	code, out, stderr := runCLI(t, map[string]string{
		"XDG_CONFIG_HOME": dir, "PROMETHEUS_URL": "http://127.0.0.1:9",
		"DATABASE_URL": "postgresql://u:zero-pw@127.0.0.1:5/db",
	}, "config", "print")
	if code != 0 || !strings.Contains(out, "default:") || !strings.Contains(out, "http://127.0.0.1:9") || strings.Contains(out, "zero-pw") {
		t.Fatalf("zero-config: %d\n%s\n%s", code, out, stderr)
	}
}
