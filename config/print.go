package config

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/opsdeck/opsdeck/internal/redact"
)

// sensitiveHeader matches header names whose values are credentials.
var sensitiveHeader = regexp.MustCompile(`(?i)auth|token|key|secret|cookie|password`)

// Print writes the merged configuration as YAML with every secret masked:
// URL passwords, tokens, basic-auth passwords and credential-like headers.
func (c *Config) Print() ([]byte, error) {
	out := *c
	out.Environments = make(map[string]*Environment, len(c.Environments))
	// Command lines are printed as written, less any secret in them (a URL
	// with its password, a token from elsewhere in the file).
	scrub := redact.NewScrubber(c.Secrets()...)
	for name, e := range c.Environments {
		cp := *e
		cp.Prometheus.URL = redact.URL(e.Prometheus.URL)
		cp.Postgres.URL = redact.URL(e.Postgres.URL)
		cp.Redis.URL = redact.URL(e.Redis.URL)
		cp.MetricsURL = redact.URL(e.MetricsURL)
		cp.Postgres.PgbouncerURL = redact.URL(e.Postgres.PgbouncerURL)
		cp.Tracing.JaegerURL = redact.URL(e.Tracing.JaegerURL)
		// The {trace_id} placeholder must survive the URL's re-encoding.
		cp.Tracing.UIURL = strings.ReplaceAll(redact.URL(strings.ReplaceAll(e.Tracing.UIURL, "{trace_id}", "TRACEID")), "TRACEID", "{trace_id}")
		cp.Prometheus.HTTPAuth = e.Prometheus.HTTPAuth.printable()
		cp.Tracing.HTTPAuth = e.Tracing.HTTPAuth.printable()
		cp.Alertmanager.URL = redact.URL(e.Alertmanager.URL)
		cp.Alertmanager.HTTPAuth = e.Alertmanager.HTTPAuth.printable()
		cp.Logs = e.Logs.printable()
		cp.Actions.Migrate.Command = scrub.String(e.Actions.Migrate.Command)
		cp.Actions.Migrate.ScratchURL = redact.URL(e.Actions.Migrate.ScratchURL)
		cp.Celery.BrokerURL, cp.Celery.ResultBackend = redact.URL(e.Celery.BrokerURL), redact.URL(e.Celery.ResultBackend)
		cp.Alembic.CheckCommand = scrub.String(e.Alembic.CheckCommand)
		if len(e.Actions.Commands) > 0 {
			cp.Actions.Commands = make([]CustomCommand, len(e.Actions.Commands))
			for i, c := range e.Actions.Commands {
				c.Shell = scrub.String(c.Shell)
				c.Argv = append([]string(nil), c.Argv...)
				for j := range c.Argv {
					c.Argv[j] = scrub.String(c.Argv[j])
				}
				if len(c.Env) > 0 {
					env := map[string]string{}
					for k := range c.Env {
						env[k] = "<redacted>"
					}
					c.Env = env
				}
				cp.Actions.Commands[i] = c
			}
		}
		if len(e.Alembic.Env) > 0 {
			cp.Alembic.Env = map[string]string{}
			for k := range e.Alembic.Env {
				cp.Alembic.Env[k] = "<redacted>"
			}
		}
		out.Environments[name] = &cp
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# opsdeck configuration, merged from defaults and %s; secrets redacted\n", c.Source)
	for _, w := range c.Warnings {
		fmt.Fprintf(&buf, "# warning: %s\n", w)
	}
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&out); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Secrets lists every secret value in the configuration, for scrubbing error
// messages and anything else that might echo them.
func (c *Config) Secrets() []string {
	out := c.Credentials()
	for _, e := range c.Environments {
		for _, v := range e.Alembic.Env {
			out = append(out, v)
		}
		for _, c := range e.Actions.Commands {
			for _, v := range c.Env {
				out = append(out, v)
			}
		}
	}
	return nonEmpty(out)
}

// Credentials are the secrets that are credentials beyond doubt:
// passwords and tokens of the servers opsdeck reaches. Secrets adds every
// value of an env: block, which may be a key, or may be a word like
// "production".
func (c *Config) Credentials() []string {
	var out []string
	for _, e := range c.Environments {
		for _, u := range []string{e.Prometheus.URL, e.Postgres.URL, e.Postgres.PgbouncerURL, e.Redis.URL, e.MetricsURL, e.Tracing.JaegerURL, e.Tracing.UIURL, e.Alertmanager.URL, e.Actions.Migrate.ScratchURL, e.Celery.BrokerURL, e.Celery.ResultBackend} {
			out = append(out, redact.SecretsOf(u)...)
		}
		out = append(out, string(e.Redis.SentinelPassword))
		out = append(out, e.Prometheus.HTTPAuth.secrets()...)
		out = append(out, e.Tracing.HTTPAuth.secrets()...)
		out = append(out, e.Alertmanager.HTTPAuth.secrets()...)
		out = append(out, e.Logs.secrets()...)
		// A connection string among the variables holds a password too.
		for _, v := range e.Alembic.Env {
			out = append(out, redact.SecretsOf(v)...)
		}
		for _, c := range e.Actions.Commands {
			for _, v := range c.Env {
				out = append(out, redact.SecretsOf(v)...)
			}
		}
	}
	return nonEmpty(out)
}

func nonEmpty(in []string) []string {
	out := in[:0]
	for _, s := range in {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}

// printable is a copy of a that Print may change (Secret fields print as
// <redacted> by themselves) with its sensitive headers' values redacted.
func (a HTTPAuth) printable() HTTPAuth {
	if a.BasicAuth != nil {
		ba := *a.BasicAuth
		a.BasicAuth = &ba
	}
	if len(a.Headers) > 0 {
		h := make(map[string]string, len(a.Headers))
		for k, v := range a.Headers {
			if sensitiveHeader.MatchString(k) {
				v = "<redacted>"
			}
			h[k] = v
		}
		a.Headers = h
	}
	return a
}

// secrets are a's token, password and sensitive headers' values.
func (a HTTPAuth) secrets() []string {
	out := []string{string(a.BearerToken)}
	if a.BasicAuth != nil {
		out = append(out, string(a.BasicAuth.Password))
	}
	for k, v := range a.Headers {
		if sensitiveHeader.MatchString(k) {
			out = append(out, v)
		}
	}
	return out
}
