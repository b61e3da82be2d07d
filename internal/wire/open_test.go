package wire

import (
	"cmp"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/sources"
)

// configKeys are the configuration keys that give each source of an
// environment; a source added to sources.Environment needs its key here.
var configKeys = map[string]string{
	"Metrics":    "prometheus.url",
	"Database":   "postgres.url",
	"Alerting":   "alertmanager.url",
	"Traces":     "tracing.jaeger_url",
	"Logs":       "logs.url",
	"Celery":     "celery.broker_url",
	"Cache":      "redis.url",
	"Drift":      "schema_reference",
	"Migrations": "alembic.dir",
	"SLOs":       "prometheus.url",
}

// openedField is one sources.Opened field of an environment: its Source
// (nil or not), Target and Problem.
type openedField struct {
	nilSource       bool
	target, problem string
}

// openedFields are env's sources.Opened fields by name, found by reflection
// so that a source added to sources.Environment is checked too.
func openedFields(t *testing.T, env *sources.Environment) map[string]openedField {
	t.Helper()
	out := map[string]openedField{}
	v := reflect.ValueOf(env).Elem()
	for i := range v.NumField() {
		f, ft := v.Field(i), v.Type().Field(i)
		if ft.Type.PkgPath() != reflect.TypeFor[sources.Environment]().PkgPath() || !strings.HasPrefix(ft.Type.Name(), "Opened[") {
			continue
		}
		out[ft.Name] = openedField{nilSource: f.FieldByName("Source").IsNil(), target: f.FieldByName("Target").String(),
			problem: f.FieldByName("Problem").String()}
	}
	if len(out) == 0 {
		t.Fatal("found no sources.Opened field in sources.Environment")
	}
	return out
}

// TestUnconfiguredSourcesSayHowToConfigureThem: with nothing configured,
// every source is nil and its problem names the key that configures it,
// which is what the readers show.
func TestUnconfiguredSourcesSayHowToConfigureThem(t *testing.T) {
	env, err := Open(parse(t, "environments:\n  bare: {}\n"), "bare", "test")
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	keys := yamlPaths(reflect.TypeFor[config.Environment](), "")
	for name, f := range openedFields(t, env) {
		key, ok := configKeys[name]
		switch {
		case !ok:
			t.Errorf("%s: no configuration key known for it: add it to configKeys", name)
		case !keys[key]:
			t.Errorf("%s: %s is not a key of an environment's configuration", name, key)
		case !f.nilSource:
			t.Errorf("%s: a source although nothing is configured", name)
		case !strings.Contains(f.problem, key):
			t.Errorf("%s: problem %q does not name %s", name, f.problem, key)
		case f.target != "":
			t.Errorf("%s: target %q although nothing is configured", name, f.target)
		}
	}
}

// yamlPaths are the dotted keys of t's YAML form under prefix, inline
// structs' keys at their parent's level.
func yamlPaths(t reflect.Type, prefix string) map[string]bool {
	out := map[string]bool{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		path := prefix
		if !strings.Contains(opts, "inline") {
			path = strings.TrimPrefix(prefix+"."+cmp.Or(name, strings.ToLower(f.Name)), ".")
			out[path] = true
		}
		if f.Type.Kind() == reflect.Struct {
			for p := range yamlPaths(f.Type, path) {
				out[p] = true
			}
		}
	}
	return out
}

// TestConfiguredSourcesHaveTargets: with every source configured (Open
// does no I/O, so nothing need listen), every source is opened with a
// target, no problem, and no password in the target.
func TestConfiguredSourcesHaveTargets(t *testing.T) {
	dir := t.TempDir()
	ref := filepath.Join(dir, "schema.sql")
	if err := os.WriteFile(ref, []byte("CREATE TABLE t (id int);\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const password = "canary-9f3b"
	cfg := parse(t, "environments:\n  full:\n"+
		"    prometheus: {url: 'http://u:"+password+"@127.0.0.1:1'}\n"+
		"    postgres: {url: 'postgresql://u:"+password+"@127.0.0.1:1/db'}\n"+
		"    redis: {url: 'redis://:"+password+"@127.0.0.1:1/0'}\n"+
		"    celery: {broker_url: 'redis://:"+password+"@127.0.0.1:1/1'}\n"+
		"    alertmanager: {url: 'http://u:"+password+"@127.0.0.1:1'}\n"+
		"    tracing: {jaeger_url: 'http://u:"+password+"@127.0.0.1:1'}\n"+
		"    logs: {url: 'http://u:"+password+"@127.0.0.1:1', tenant: '42:7'}\n"+
		"    alembic: {dir: '"+dir+"'}\n"+
		"    schema_reference: '"+ref+"'\n")
	env, err := Open(cfg, "full", "test")
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	for name, f := range openedFields(t, env) {
		switch {
		case f.nilSource:
			t.Errorf("%s: not opened: %s", name, f.problem)
		case f.problem != "":
			t.Errorf("%s: opened, with the problem %q", name, f.problem)
		case f.target == "":
			t.Errorf("%s: no target", name)
		case strings.Contains(f.target, password):
			t.Errorf("%s: target %q shows the password", name, f.target)
		case strings.Contains(f.target, "42:7"):
			t.Errorf("%s: target %q shows the tenant", name, f.target)
		}
	}
}

// TestLogsOpened: the log backend is narrowed to its query (shown on the
// environment, never its tenant); one whose CA file cannot be read is a
// stand-in that says so on every read, where the lines would be.
func TestLogsOpened(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing-ca.pem")
	cfg := parse(t, "environments:\n"+
		"  ok:\n    tracing: {service: origin-api}\n    logs: {url: 'http://127.0.0.1:1', tenant: '42:7'}\n"+
		"  badca:\n    logs: {url: 'https://127.0.0.1:1', tls: {ca_file: '"+missing+"'}}\n")
	env, err := Open(cfg, "ok", "test")
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	if env.LogsFilter != `service.name:"origin-api"` || env.Logs.Target != "http://127.0.0.1:1" || env.Logs.Source == nil {
		t.Errorf("logs opened as %+v, filter %q", env.Logs, env.LogsFilter)
	}
	bad, err := Open(cfg, "badca", "test")
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	if bad.Logs.Source == nil {
		t.Fatal("a log backend whose CA file is missing is not there at all")
	}
	if _, err := bad.Logs.Source.Lines(context.Background(), sources.LogQuery{}); err == nil || !strings.Contains(err.Error(), "tls.ca_file") {
		t.Errorf("a missing CA file: %v", err)
	}
}
