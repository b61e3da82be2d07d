package config

import (
	"strings"
	"testing"

	"github.com/opsdeck/opsdeck/ui"
)

// TestLogsErrors: each mistake in a logs: block stops the load with its
// file, line and field.
func TestLogsErrors(t *testing.T) {
	for _, c := range []struct{ name, yaml, want string }{
		{"url", "environments:\n  a:\n    logs: {url: 'victorialogs:9428'}\n", `bad.yaml:3: environments.a.logs.url: "victorialogs:9428" is not a valid URL`},
		{"tenant", "environments:\n  a:\n    logs:\n      url: http://vl:9428\n      tenant: acme\n", `bad.yaml:5: environments.a.logs.tenant: tenant: want AccountID or AccountID:ProjectID`},
		{"pipe", "environments:\n  a:\n    logs:\n      query: 'error | stats count()'\n", `bad.yaml:4: environments.a.logs.query: filter "error | stats count()" has a pipe`},
		{"open parenthesis", "environments:\n  a:\n    logs: {query: '(a OR b'}\n", `bad.yaml:3: environments.a.logs.query: filter "(a OR b" leaves a parenthesis open`},
		{"limit", "environments:\n  a:\n    logs:\n      limit: 1000000\n", `bad.yaml:4: environments.a.logs.limit: 1000000 is out of range: use 1 to 50000 lines`},
		{"timeout", "environments:\n  a:\n    logs: {timeout: 2m}\n", `bad.yaml:3: environments.a.logs.timeout: 2m0s is out of range`},
		{"auth", "environments:\n  a:\n    logs:\n      bearer_token: x\n      bearer_token_file: /f\n", `bad.yaml:3: environments.a.logs: set only one of bearer_token`},
		{"unknown", "environments:\n  a:\n    logs: {tennant: '1'}\n", `bad.yaml:3: environments.a.logs.tennant: unknown key "tennant" (did you mean "tenant"?)`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(c.yaml), nil, ui.Specs())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v\nwant %s", err, c.want)
			}
		})
	}
}

// TestLogsQueryDefault: the query defaults to the service's stream
// (service.name, as VictoriaLogs keeps an OpenTelemetry record's resource
// attribute), from tracing.service or OTEL_SERVICE_NAME; written empty, it
// is no filter; VICTORIALOGS_URL configures the backend with no file.
func TestLogsQueryDefault(t *testing.T) {
	cfg, err := FromEnv(envOf("VICTORIALOGS_URL", "http://vl:9428", "OTEL_SERVICE_NAME", `origin "api"`), ui.Specs())
	if err != nil {
		t.Fatal(err)
	}
	l := cfg.Environments["default"].Logs
	if l.URL != "http://vl:9428" || l.Query != `service.name:"origin \"api\""` || l.Limit != 1000 || l.Timeout.D().Seconds() != 5 {
		t.Errorf("zero-config logs %+v", l)
	}
	if _, err := FromEnv(envOf("VICTORIALOGS_URL", "vl:9428"), ui.Specs()); err == nil || !strings.Contains(err.Error(), "VICTORIALOGS_URL") {
		t.Errorf("a bad VICTORIALOGS_URL must name its variable: %v", err)
	}
	for yaml, want := range map[string]string{
		"environments:\n  a:\n    tracing: {service: origin-api}\n    logs: {url: 'http://vl:9428'}\n":                      `service.name:"origin-api"`,
		"environments:\n  a:\n    tracing: {service: origin-api}\n    logs: {url: 'http://vl:9428', query: ''}\n":           "",
		"environments:\n  a:\n    tracing: {service: origin-api}\n    logs: {url: 'http://vl:9428', query: 'app:origin'}\n": "app:origin",
		"environments:\n  a:\n    logs: {url: 'http://vl:9428'}\n":                                                          "",
	} {
		cfg, err := Parse("l.yaml", []byte(yaml), nil, ui.Specs())
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.Environments["a"].Logs.Query; got != want {
			t.Errorf("%s: query %q, want %q", yaml, got, want)
		}
	}
}

// TestLogsPrinted: config print masks the tenant and the token of logs:.
func TestLogsPrinted(t *testing.T) {
	cfg := loadTestdata(t, "full.yaml", envOf())
	out, err := cfg.Print()
	if err != nil {
		t.Fatal(err)
	}
	for _, hidden := range []string{"42:7", "l0gs-t0ken"} {
		if strings.Contains(string(out), hidden) {
			t.Errorf("config print shows %q", hidden)
		}
	}
	if l := cfg.Environments["production"].Logs; l.Tenant != "42:7" || l.Limit != 5000 {
		t.Errorf("production's logs %+v", l)
	}
}

// TestExampleLogs: the shipped example's logs: block reads the service's
// lines by default.
func TestExampleLogs(t *testing.T) {
	cfg, err := Load(Options{Bindings: ui.Specs(), Path: "../opsdeck.example.yaml", LookupEnv: envOf(
		"QA_DATABASE_URL", "postgresql://u:p@db/qa", "PROD_DATABASE_URL", "postgresql://u:p@db/prod")})
	if err != nil {
		t.Fatal(err)
	}
	if l := cfg.Environments["production"].Logs; l.URL != "https://victorialogs.example.com" || l.Query != `service.name:"origin-api"` || l.Limit != 1000 {
		t.Errorf("the example's logs %+v", l)
	}
}
