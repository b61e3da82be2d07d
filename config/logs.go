package config

import (
	"strconv"
	"strings"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/sources/victorialogs"
)

// Logs is the environment's log backend (VictoriaLogs): where it is, which
// lines are the application's, for which tenant, and how much one read
// may take.
type Logs struct {
	URL string `yaml:"url"`
	// Query narrows every read to the application's stream (LogsQL);
	// default: service.name:"<tracing.service>", "" for every line.
	Query string `yaml:"query"`
	// Tenant is VictoriaLogs's AccountID[:ProjectID] (default tenant 0:0).
	Tenant  string   `yaml:"tenant,omitempty"`
	Timeout Duration `yaml:"timeout"`
	// Limit bounds the lines of one read.
	Limit    int `yaml:"limit"`
	HTTPAuth `yaml:",inline"`
}

// ServiceQuery is the LogsQL filter of a service's lines: VictoriaLogs
// keeps an OpenTelemetry record's resource attribute service.name as the
// field service.name (and in its stream).
func ServiceQuery(service string) string {
	if strings.TrimSpace(service) == "" {
		return ""
	}
	return "service.name:" + strconv.Quote(service)
}

// defaultLogs fills the timeout and the limit, and the query from the
// application's service name when none is written (query: ” is none).
func defaultLogs(l *Logs, path, service string, pos presence) {
	defaultTimeout(&l.Timeout)
	if l.Limit == 0 {
		l.Limit = victorialogs.DefaultLimit
	}
	if !pos.has(path+".query") && l.Query == "" {
		l.Query = ServiceQuery(service)
	}
}

// logs checks the log backend: its URL, timeout, credentials, the lines'
// bound, the tenant and the query (a filter, without pipes).
func (v *validator) logs(base string, l Logs) {
	lb := base + ".logs"
	if l.URL != "" {
		v.httpURL(lb+".url", l.URL)
	}
	v.timeout(lb+".timeout", l.Timeout)
	v.httpAuth(lb, l.HTTPAuth)
	if l.Limit < 1 || l.Limit > victorialogs.MaxLimit {
		v.fail(lb+".limit", "%d is out of range: use 1 to %d lines", l.Limit, victorialogs.MaxLimit)
	}
	if l.Tenant != "" {
		if _, _, err := victorialogs.ParseTenant(l.Tenant); err != nil {
			v.fail(lb+".tenant", "%s", err)
		}
	}
	if err := victorialogs.CheckFilter(l.Query); err != nil {
		v.fail(lb+".query", "%s", err)
	}
}

// printable is l as `config print` shows it: the URL's password, the
// credentials and the tenant masked.
func (l Logs) printable() Logs {
	l.URL = redact.URL(l.URL)
	l.HTTPAuth = l.HTTPAuth.printable()
	if l.Tenant != "" {
		l.Tenant = "<redacted>"
	}
	return l
}

// secrets are the URL's password and the credentials.
func (l Logs) secrets() []string {
	return append(redact.SecretsOf(l.URL), l.HTTPAuth.secrets()...)
}
