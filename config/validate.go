package config

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/opsdeck/opsdeck/internal/endpoint"
	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/internal/suggest"
	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/ui/binding"
)

// UnmarshalYAML parses Go duration syntax.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// UnmarshalYAML accepts one key (quit: x) or a list (quit: [x, ctrl+c]).
func (k *KeyList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*k = KeyList{n.Value}
		return nil
	}
	var list []string
	if err := n.Decode(&list); err != nil {
		return err
	}
	*k = list
	return nil
}

// UnmarshalYAML parses a number with an optional %, duration or size suffix.
func (q *Quantity) UnmarshalYAML(n *yaml.Node) error {
	v, k, err := units.Parse(n.Value)
	if err != nil {
		return err
	}
	*q = Quantity{Value: v, Kind: k}
	return nil
}

// validator checks meaning once the shapes are right: URLs, ranges, PromQL,
// cross-field rules. It reports each problem at the line of its field.
type validator struct {
	cfg  *Config
	file string
	pos  presence
	errs Errors
	// envField names the environment variable behind a field in zero-config mode.
	envField map[string]string
	// quiet are paths whose problem was already reported while reading the file.
	quiet []string
	// specs are the console's bindings (Options.Bindings).
	specs []binding.Spec
	// res compares resources by what their hosts resolve to.
	res *endpoint.Resolver
}

func (v *validator) fail(path, format string, args ...any) {
	for _, q := range v.quiet {
		if path == q || strings.HasPrefix(path, q+".") {
			return
		}
	}
	field := path
	if name, ok := v.envField[path]; ok {
		field = name
	}
	v.errs = append(v.errs, &FieldError{File: v.file, Line: v.pos.line(path), Field: field, Msg: fmt.Sprintf(format, args...)})
}

var envName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// Limits keep a typo like "refresh: 2ms" from hammering production.
const (
	minRefresh = 250 * time.Millisecond
	maxRefresh = time.Hour
	minWindow  = time.Minute
	maxWindow  = 30 * 24 * time.Hour
)

func (v *validator) config(c *Config) {
	v.cfg = c
	if r := c.Refresh.D(); r < minRefresh || r > maxRefresh {
		v.fail("refresh", "%s is out of range: use %s to %s", r, minRefresh, maxRefresh)
	}
	if r := c.OverviewRefresh.D(); r < time.Second || r > 10*time.Minute {
		v.fail("overview_refresh", "%s is out of range: use 1s to 10m", r)
	}
	if w := c.Window.D(); w < minWindow || w > maxWindow {
		v.fail("window", "%s is out of range: use %s to %s", w, minWindow, units.ShortDuration(maxWindow))
	}
	v.keys(c)
	switch c.Theme {
	case "":
		c.Theme = ThemeDark
	case ThemeDark, ThemeLight:
	default:
		v.fail("theme", "unknown theme %q: use %s or %s", c.Theme, ThemeDark, ThemeLight)
	}
	if d := c.GrafanaDashboard; d != "" {
		c.GrafanaDashboard = v.relative(d)
		if _, err := os.Stat(c.GrafanaDashboard); err != nil {
			v.fail("grafana_dashboard", "%q is not a readable file", d)
		}
	}
	if len(c.Environments) == 0 {
		v.fail("environments", "no environments defined: add at least one under environments:")
		return
	}
	if _, ok := c.Environments[c.DefaultEnvironment]; !ok {
		v.fail("default_environment", "%q is not one of the environments (%s)", c.DefaultEnvironment, strings.Join(c.Order, ", "))
	}
	for _, name := range c.Order {
		v.environment(name, c.Environments[name])
		if e := c.Environments[name]; c.GrafanaDashboard != "" && e.MetricsURL != "" && e.Prometheus.URL == "" {
			c.Warnings = append(c.Warnings, fmt.Sprintf("environment %s scrapes /metrics directly: the Grafana dashboard's panes need Prometheus and are left out there", name))
		}
	}
	v.shared(c)
}

// noCredential refuses a command line that carries a password or token of
// the configuration: every user of the machine reads a process's argv.
func (v *validator) noCredential(cb string, c CustomCommand) {
	scrub := redact.NewScrubber(v.cfg.Credentials()...)
	for field, text := range map[string]string{cb + ".argv": strings.Join(c.Argv, " "), cb + ".shell": c.Shell} {
		if text != "" && scrub.String(text) != text {
			v.fail(field, "would carry a password or token on the command line, where every user of the machine can read it (ps, /proc): pass it in the command's env: instead")
		}
	}
}

// relative resolves a path written in the file against the file's directory.
func (v *validator) relative(p string) string {
	if filepath.IsAbs(p) || v.file == "environment" || v.file == "command line" {
		return p
	}
	return filepath.Join(filepath.Dir(v.file), p)
}

// keys resolves the key overrides against the console's table; each problem
// is reported at the binding's line.
func (v *validator) keys(c *Config) {
	overrides := map[string][]string{}
	for name, ks := range c.Keys {
		overrides[name] = ks
	}
	resolved, probs := binding.Resolve(v.specs, overrides)
	c.Bindings = resolved
	for _, p := range probs {
		msg := p.Msg
		if _, known := resolved[p.Name]; !known {
			if s, ok := suggest.Closest(p.Name, binding.Names(v.specs)); ok {
				msg = fmt.Sprintf("no binding named %q (did you mean %q?)", p.Name, s)
			}
		}
		v.fail("keys."+p.Name, "%s", msg)
	}
}

var headerName = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+.^_|~-]+$`)

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

func (v *validator) httpURL(path, raw string) {
	u, err := url.Parse(raw)
	if err != nil {
		v.fail(path, "%q is not a valid URL", redact.URL(raw))
		return
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		v.fail(path, "%q is not a valid URL: the scheme must be http or https", redact.URL(raw))
		return
	}
	if u.Host == "" {
		v.fail(path, "%q is not a valid URL: it has no host", redact.URL(raw))
		return
	}
	if p := strings.TrimRight(u.Path, "/"); strings.HasSuffix(p, "/api/v1") {
		v.fail(path, "%q ends in /api/v1: give the server's base URL (opsdeck adds the API path)", redact.URL(raw))
	}
}

func (v *validator) postgresURL(path, raw string) {
	if !strings.Contains(raw, "://") {
		if strings.Contains(raw, "=") { // libpq key=value form
			return
		}
		v.fail(path, "%q is not a PostgreSQL URL (postgresql://user:password@host:port/db) or key=value DSN", redact.URL(raw))
		return
	}
	u, err := url.Parse(raw)
	if err != nil {
		v.fail(path, "%q is not a valid URL", redact.URL(raw))
		return
	}
	scheme, _, _ := strings.Cut(u.Scheme, "+") // SQLAlchemy's postgresql+psycopg2:// is fine
	if scheme != "postgres" && scheme != "postgresql" {
		v.fail(path, "%q is not a valid URL: the scheme must be postgresql://", redact.URL(raw))
	}
}

func (v *validator) redisURL(path, raw string) {
	u, err := url.Parse(raw)
	if err != nil {
		v.fail(path, "%q is not a valid URL", redact.URL(raw))
		return
	}
	switch u.Scheme {
	case "redis", "rediss":
		if u.Host == "" {
			v.fail(path, "%q is not a valid URL: it has no host", redact.URL(raw))
		}
		if db := strings.Trim(u.Path, "/"); db != "" {
			if n, err := strconv.Atoi(db); err != nil || n < 0 || n > 15 {
				v.fail(path, "%q: the database after the last / must be a number from 0 to 15", redact.URL(raw))
			}
		}
	case "unix":
	default:
		v.fail(path, "%q is not a valid URL: the scheme must be redis://, rediss:// or unix://", redact.URL(raw))
	}
}

// Overrides are the command line's settings that replace the file's.
type Overrides struct {
	Refresh, Window  time.Duration
	Theme, Dashboard string
}

// Override applies command-line overrides (--refresh, --window, --theme,
// --grafana-dashboard) with the same checks as the file; a bad value is an
// error naming the flag.
func (c *Config) Override(o Overrides) error {
	var errs Errors
	bad := func(flag, format string, args ...any) {
		errs = append(errs, &FieldError{File: "command line", Field: flag, Msg: fmt.Sprintf(format, args...)})
	}
	if o.Refresh != 0 {
		c.Refresh = Duration(o.Refresh)
		if o.Refresh < minRefresh || o.Refresh > maxRefresh {
			bad("--refresh", "%s is out of range: use %s to %s", o.Refresh, minRefresh, maxRefresh)
		}
	}
	if o.Window != 0 {
		c.Window = Duration(o.Window)
		if o.Window < minWindow || o.Window > maxWindow {
			bad("--window", "%s is out of range: use %s to %s", o.Window, minWindow, units.ShortDuration(maxWindow))
		}
	}
	switch o.Theme {
	case "":
	case ThemeDark, ThemeLight:
		c.Theme = o.Theme
	default:
		bad("--theme", "unknown theme %q: use %s or %s", o.Theme, ThemeDark, ThemeLight)
	}
	if o.Dashboard != "" {
		c.GrafanaDashboard = o.Dashboard
		if _, err := os.Stat(o.Dashboard); err != nil {
			bad("--grafana-dashboard", "%q is not a readable file", o.Dashboard)
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// threshold checks one warn/crit pair against the unit it is measured in.
func (v *validator) threshold(path string, t Threshold, u units.Unit) {
	for level, q := range map[string]*Quantity{"warn": t.Warn, "crit": t.Crit} {
		if q != nil && !units.Accepts(u, q.Kind) {
			v.fail(path+"."+level, "cannot be %s; it is measured in %s", q.Kind, u)
		}
	}
	if t.Warn != nil && t.Crit != nil && t.Warn.Value > t.Crit.Value {
		v.fail(path, "warn (%v) is above crit (%v)", t.Warn.Value, t.Crit.Value)
	}
}

// httpAuth checks the credentials, headers and TLS of the server at path.
func (v *validator) httpAuth(pb string, p HTTPAuth) {
	auth := 0
	for _, set := range []bool{p.BearerToken != "", p.BearerTokenFile != "", p.BasicAuth != nil} {
		if set {
			auth++
		}
	}
	if auth > 1 {
		v.fail(pb, "set only one of bearer_token, bearer_token_file and basic_auth")
	}
	if p.BasicAuth != nil {
		if p.BasicAuth.Username == "" {
			v.fail(pb+".basic_auth.username", "basic_auth needs a username")
		}
		if p.BasicAuth.Password != "" && p.BasicAuth.PasswordFile != "" {
			v.fail(pb+".basic_auth", "set only one of password and password_file")
		}
	}
	for h := range p.Headers {
		if !headerName.MatchString(h) {
			v.fail(pb+".headers."+h, "%q is not a valid HTTP header name", h)
		}
		if strings.EqualFold(h, "Authorization") {
			v.fail(pb+".headers."+h, "set credentials with bearer_token or basic_auth, not a raw Authorization header")
		}
	}
	if (p.TLS.CertFile == "") != (p.TLS.KeyFile == "") {
		v.fail(pb+".tls", "cert_file and key_file go together")
	}
}

// scratch checks actions.migrate.scratch_url against the databases it must
// not be, in any spelling (the environment's own, the migration's), and
// warns when it is on a protected environment's server.
func (v *validator) scratch(base string, e *Environment) {
	path := base + ".actions.migrate.scratch_url"
	s, err := endpoint.ParsePostgres(e.Actions.Migrate.ScratchURL)
	if err != nil {
		return // the URL's own check says what is wrong with it
	}
	for _, db := range []struct{ url, what string }{
		{e.Postgres.URL, "the environment's own database"},
		{e.Alembic.Env["DATABASE_URL"], "the migration's database (alembic.env.DATABASE_URL)"},
	} {
		if db.url == "" {
			continue
		}
		if r, err := endpoint.ParsePostgres(db.url); err == nil && v.res.Same(s, r) {
			v.fail(path, "is %s: the rehearsal needs another server or database to create its scratch database from", db.what)
			return
		}
	}
	for _, name := range v.cfg.Order {
		if !v.cfg.Environments[name].Protected {
			continue
		}
		for _, ref := range resources(name, v.cfg.Environments[name]) {
			if ref.res.Kind == endpoint.Postgres && v.res.SameServer(s, ref.res) {
				v.warn(path, "is on the server of %s (%s): the rehearsal's load (a schema restore, the migration's statements) lands on %s's server", ref.field, ref.res.Server(), name)
				break
			}
		}
	}
}

// shared works out which environments name the same resources and warns
// where that makes one environment's actions guarded as another's.
func (v *validator) shared(c *Config) {
	c.shared = findSharing(c, v.res)
	for _, name := range c.Order {
		for _, s := range c.shared[name] {
			if stricter(c.Environments[name], c.Environments[s.other], reachOf(s.field)) {
				v.warn(s.field, "names the same %s as %s (%s): %s's actions are guarded as %s's", s.res.Kind, s.otherField, s.res, name, s.other)
			}
		}
	}
}

// warn adds a warning about the field at path, located like an error.
func (v *validator) warn(path, format string, args ...any) {
	loc := v.file
	if l := v.pos.line(path); l > 0 {
		loc += ":" + strconv.Itoa(l)
	}
	v.cfg.Warnings = append(v.cfg.Warnings, fmt.Sprintf("%s: %s: %s", loc, path, fmt.Sprintf(format, args...)))
}
