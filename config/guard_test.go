package config

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/opsdeck/opsdeck/internal/endpoint"
	"github.com/opsdeck/opsdeck/ui"
)

// TestGuardFlagsNeverEmpty: an empty, null or unknown guard flag is a
// configuration error at its line, never read as false.
func TestGuardFlagsNeverEmpty(t *testing.T) {
	spellings := []struct{ value, want string }{
		{"", "is empty (null): write true or false; a guard is never guessed"},
		{" ~", "is empty (~): write true or false; a guard is never guessed"},
		{" null", "is empty (null): write true or false; a guard is never guessed"},
		{` ""`, `is empty (""): write true or false; a guard is never guessed`},
		{" yes-ish", `want true or false, got "yes-ish": a guard is never guessed`},
		{" yes", `want true or false, got "yes": a guard is never guessed`},
		{" !!bool maybe", `want true or false, got "maybe": a guard is never guessed`},
		{" {a: b}", `want true or false, got a mapping: a guard is never guessed`},
	}
	for _, flag := range []string{"protected", "readonly", "disposable", "allow_reset"} {
		for _, s := range spellings {
			t.Run(flag+s.value, func(t *testing.T) {
				src := fmt.Sprintf("environments:\n  production:\n    prometheus: {url: 'http://p:9090'}\n    %s:%s\n", flag, s.value)
				wantErr(t, src, fmt.Sprintf("bad.yaml:4: environments.production.%s: %s", flag, s.want))
			})
		}
	}
	for _, flag := range []string{"dangerous", "confirm"} {
		for _, s := range spellings {
			t.Run("command "+flag+s.value, func(t *testing.T) {
				src := fmt.Sprintf("environments:\n  a:\n    actions:\n      commands:\n        - name: deploy\n          argv: [./deploy.sh]\n          %s:%s\n", flag, s.value)
				wantErr(t, src, fmt.Sprintf("bad.yaml:7: environments.a.actions.commands[0].%s: %s", flag, s.want))
			})
		}
	}
	confirm := "write none (disposable environments), or leave confirm out to be asked; a guard is never guessed"
	for _, c := range []struct{ value, want string }{
		{"", "is empty (null): " + confirm},
		{" ~", "is empty (~): " + confirm},
		{" null", "is empty (null): " + confirm},
		{` ""`, `is empty (""): ` + confirm},
		{" yes-ish", `unknown value "yes-ish": the only setting is none`},
		{" [none]", `want a single value, got a list`},
	} {
		t.Run("confirm"+c.value, func(t *testing.T) {
			wantErr(t, "environments:\n  sandbox:\n    disposable: true\n    confirm:"+c.value+"\n", "bad.yaml:4: environments.sandbox.confirm: "+c.want)
		})
	}
}

func wantErr(t *testing.T, src, want string) {
	t.Helper()
	cfg, err := Parse("bad.yaml", []byte(src), nil, ui.Specs())
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("accepted (%+v) or not a configuration error: %v", cfg, err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("error:\n  %v\nwant it to contain:\n  %s", err, want)
	}
}

// TestGuardFlagsAsWritten: booleans in every YAML spelling load, and so do
// variables that expand to them; a confirm from a variable must say none.
func TestGuardFlagsAsWritten(t *testing.T) {
	cfg, err := Parse("ok.yaml", []byte("environments:\n  prod: {protected: True, readonly: FALSE, allow_reset: true}\n  sandbox:\n    disposable: ${D}\n    confirm: ${C}\n    actions: {commands: [{name: t, argv: [x], dangerous: false, confirm: true}]}\n"),
		envOf("D", "true", "C", "none"), ui.Specs())
	if err != nil {
		t.Fatal(err)
	}
	p, s := cfg.Environments["prod"], cfg.Environments["sandbox"]
	if !p.Protected || p.Readonly || !p.AllowReset || !s.Disposable || s.Confirm != "none" || !s.Actions.Commands[0].Confirm {
		t.Fatalf("flags: %+v %+v", p, s)
	}
	for _, c := range []struct{ env []string }{{nil}, {[]string{"C", "always"}}} {
		_, err := Parse("bad.yaml", []byte("environments:\n  sandbox:\n    disposable: true\n    confirm: ${C}\n"), envOf(c.env...), ui.Specs())
		if err == nil || !strings.Contains(err.Error(), "bad.yaml:4: environments.sandbox.confirm: ${C} must expand to none") || strings.Contains(err.Error(), "always") {
			t.Errorf("confirm from %v: %v", c.env, err)
		}
	}
}

// TestGuardFlagAnchors: an empty flag in an anchor is reported where it is
// written, once, even when the anchor is used again.
func TestGuardFlagAnchors(t *testing.T) {
	src := "environments:\n  a: {protected: &p ~}\n  b: {protected: *p}\n"
	_, err := Parse("bad.yaml", []byte(src), nil, ui.Specs())
	var es Errors
	if !errors.As(err, &es) || len(es) != 1 || es[0].Line != 2 || es[0].Field != "environments.a.protected" {
		t.Fatalf("want one error at line 2: %v", err)
	}
	src = "environments:\n  base: &base {protected: null}\n  a: {<<: *base, prometheus: {url: 'http://p:9090'}}\n"
	_, err = Parse("bad.yaml", []byte(src), nil, ui.Specs())
	if err == nil || !strings.Contains(err.Error(), "bad.yaml:2: environments.base.protected: is empty (null)") {
		t.Fatalf("merged: %v", err)
	}
}

// fakeDNS answers names from a table.
func fakeDNS(table map[string][]string) *endpoint.Resolver {
	return endpoint.NewResolver(endpoint.Options{Hostname: "opshost", NoOwnAddrs: true,
		Lookup: func(_ context.Context, host string) ([]string, error) {
			if a, ok := table[host]; ok {
				return a, nil
			}
			return nil, fmt.Errorf("no such host %s", host)
		}})
}

func parseWith(t *testing.T, src string, dns map[string][]string) *Config {
	t.Helper()
	for _, v := range []string{"PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE"} {
		t.Setenv(v, "")
	}
	cfg, err := parse("opsdeck.yaml", []byte(src), nil, ui.Specs(), fakeDNS(dns))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func guardOf(t *testing.T, cfg *Config, name string) Guard {
	t.Helper()
	g, err := cfg.Guard(name)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestSharedResourceTakesTheStricterGuard: an ordinary environment that
// names production's database under another spelling is guarded as
// production, with a warning naming both.
func TestSharedResourceTakesTheStricterGuard(t *testing.T) {
	src := `environments:
  qa:
    postgres: {url: "postgresql://qa:pw@localhost/origin_db"}
  production:
    postgres:
      url: "postgresql://origin:s3cret@127.0.0.1:5432/origin_db"
    protected: true
`
	cfg := parseWith(t, src, nil)
	g := guardOf(t, cfg, "qa")
	want := Guard{Protected: true, SharedWith: []string{"production (database 127.0.0.1:5432/origin_db)"}}
	if !guardEqual(g, want) {
		t.Errorf("qa's guard = %+v, want %+v", g, want)
	}
	if g := guardOf(t, cfg, "production"); !guardEqual(g, Guard{Protected: true}) {
		t.Errorf("production's guard = %+v: nothing stricter shares with it", g)
	}
	w := "opsdeck.yaml:3: environments.qa.postgres.url: names the same database as environments.production.postgres.url (127.0.0.1:5432/origin_db): qa's actions are guarded as production's"
	if !slices.Equal(cfg.Warnings, []string{w}) {
		t.Errorf("warnings:\n  %q\nwant\n  %q", cfg.Warnings, w)
	}
	if strings.Contains(strings.Join(cfg.Warnings, ""), "s3cret") {
		t.Error("a warning shows a password")
	}
	if _, err := cfg.Guard("nope"); err == nil {
		t.Error("an unknown environment has no guard")
	}
}

func guardEqual(a, b Guard) bool {
	return a.Protected == b.Protected && a.Readonly == b.Readonly && a.Disposable == b.Disposable &&
		a.AllowReset == b.AllowReset && a.NoConfirm == b.NoConfirm && slices.Equal(a.SharedWith, b.SharedWith)
}

// TestSharedResources: each kind of resource, each spelling, and the near
// misses that are other resources.
func TestSharedResources(t *testing.T) {
	dns := map[string][]string{"db-alias": {"127.0.0.1"}, "redis.internal": {"10.0.0.7"}}
	cases := []struct {
		name, qa, production string
		shared               string // SharedWith's entry, "" for none
	}{
		{"key=value DSN", `postgres: {url: "host=localhost port=5432 dbname=origin_db user=qa"}`, `postgres: {url: "postgresql://o@127.0.0.1/origin_db"}`, "production (database 127.0.0.1:5432/origin_db)"},
		{"name resolved", `postgres: {url: "postgresql://qa@db-alias/origin_db"}`, `postgres: {url: "postgresql://o@localhost:5432/origin_db"}`, "production (database localhost:5432/origin_db)"},
		{"unix socket directory", `postgres: {url: "postgresql:///origin_db?host=/var/run/postgresql"}`, `postgres: {url: "postgresql://o@localhost/origin_db"}`, "production (database localhost:5432/origin_db)"},
		{"the migration's database", `alembic: {dir: ., env: {DATABASE_URL: "postgresql://m@127.0.0.1/origin_db"}}`, `postgres: {url: "postgresql://o@localhost/origin_db"}`, "production (database localhost:5432/origin_db)"},
		{"another database", `postgres: {url: "postgresql://qa@localhost/qa_db"}`, `postgres: {url: "postgresql://o@localhost/origin_db"}`, ""},
		{"another port", `postgres: {url: "postgresql://qa@localhost:5433/origin_db"}`, `postgres: {url: "postgresql://o@localhost/origin_db"}`, ""},
		{"broker and redis", `celery: {broker_url: "redis://localhost:6379/1"}`, `redis: {url: "redis://127.0.0.1/1"}`, "production (Redis database 127.0.0.1:6379/1)"},
		{"result backend", `celery: {broker_url: "redis://localhost/5", result_backend: "rediss://:pw@redis.internal:6379/2"}`, `celery: {broker_url: "redis://10.0.0.7/2"}`, "production (Redis database 10.0.0.7:6379/2)"},
		{"a reset's redis_dbs", "redis: {url: \"redis://localhost/0\"}\n    actions: {reset: {redis_dbs: [3]}}", `celery: {broker_url: "redis://127.0.0.1:6379/3"}`, "production (Redis database 127.0.0.1:6379/3)"},
		{"another redis database", `redis: {url: "redis://localhost/2"}`, `redis: {url: "redis://127.0.0.1/1"}`, ""},
		{"a sentinel's master", `redis: {url: "redis://sentinel-a:26379/0", mode: sentinel, master_name: origin, addrs: ["127.0.0.1:26379"]}`,
			`redis: {url: "redis://sentinel-b:26379/0", mode: sentinel, master_name: origin, addrs: ["localhost:26379", "s2:26379"]}`, "production (Redis database localhost:26379/0 of master origin)"},
		{"another sentinel master", `redis: {url: "redis://s1:26379/0", mode: sentinel, master_name: reports, addrs: ["127.0.0.1:26379"]}`,
			`redis: {url: "redis://s2:26379/0", mode: sentinel, master_name: origin, addrs: ["localhost:26379"]}`, ""},
		{"a cluster's further node", `redis: {url: "redis://node1:7000", mode: cluster, addrs: ["127.0.0.1:7001"]}`, `celery: {broker_url: "redis://localhost:7001/0"}`, "production (Redis database localhost:7001/0)"},
		{"alertmanager", `alertmanager: {url: "http://localhost:9093/"}`, `alertmanager: {url: "http://127.0.0.1:9093"}`, "production (Alertmanager http://127.0.0.1:9093)"},
		{"another alertmanager", `alertmanager: {url: "http://localhost:9094"}`, `alertmanager: {url: "http://127.0.0.1:9093"}`, ""},
		{"two resources", "postgres: {url: \"postgresql://qa@localhost/origin_db\"}\n    redis: {url: \"redis://localhost\"}", "postgres: {url: \"postgresql://o@localhost/origin_db\"}\n    redis: {url: \"redis://127.0.0.1:6379/0\"}",
			"production (database localhost:5432/origin_db, Redis database 127.0.0.1:6379/0)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := fmt.Sprintf("environments:\n  qa:\n    %s\n  production:\n    %s\n    protected: true\n", c.qa, c.production)
			cfg := parseWith(t, src, dns)
			g := guardOf(t, cfg, "qa")
			if c.shared == "" {
				if g.Protected || len(g.SharedWith) > 0 || len(cfg.Warnings) > 0 {
					t.Errorf("not shared, yet %+v, warnings %q", g, cfg.Warnings)
				}
				return
			}
			if !g.Protected || !slices.Equal(g.SharedWith, []string{c.shared}) || len(cfg.Warnings) == 0 {
				t.Errorf("guard %+v, warnings %q; want protected, shared with %s", g, cfg.Warnings, c.shared)
			}
		})
	}
}

// TestStricterGuardRules: each flag follows the stricter sharer, and
// sharing is not transitive.
func TestStricterGuardRules(t *testing.T) {
	db := func(n string) string { return fmt.Sprintf("postgres: {url: 'postgresql://u@localhost/%s'}", n) }
	src := "environments:\n" +
		"  sandbox: {" + db("shared") + ", disposable: true, confirm: none}\n" +
		"  ci: {" + db("shared") + ", disposable: true}\n" +
		"  lone: {" + db("lone") + ", disposable: true, confirm: none}\n" +
		"  reporting: {" + db("reports") + ", readonly: true}\n" +
		"  qa: {" + db("reports") + "}\n" +
		"  prod: {" + db("origin") + ", protected: true, allow_reset: true}\n" +
		"  staging: {" + db("origin") + ", protected: true}\n" +
		"  preview: {" + db("origin") + "}\n" +
		"  a: {" + db("ab") + "}\n" +
		"  b: {" + db("ab") + ", redis: {url: 'redis://localhost/4'}}\n" +
		"  c: {redis: {url: 'redis://127.0.0.1/4'}, protected: true}\n"
	cfg := parseWith(t, src, nil)
	for _, c := range []struct {
		env  string
		want Guard
	}{
		{"sandbox", Guard{Disposable: true, SharedWith: []string{"ci (database localhost:5432/shared)"}}},
		{"ci", Guard{Disposable: true}},
		{"lone", Guard{Disposable: true, NoConfirm: true}},
		{"qa", Guard{Readonly: true, SharedWith: []string{"reporting (database localhost:5432/reports)"}}},
		{"reporting", Guard{Readonly: true}},
		{"prod", Guard{Protected: true, SharedWith: []string{"staging (database localhost:5432/origin)"}}},
		{"staging", Guard{Protected: true}},
		{"preview", Guard{Protected: true, SharedWith: []string{"prod (database localhost:5432/origin)", "staging (database localhost:5432/origin)"}}},
		{"a", Guard{}},
		{"b", Guard{Protected: true, SharedWith: []string{"c (Redis database 127.0.0.1:6379/4)"}}},
	} {
		if g := guardOf(t, cfg, c.env); !guardEqual(g, c.want) {
			t.Errorf("%s: %+v, want %+v", c.env, g, c.want)
		}
	}
	// prod alone allows resets; beside an ordinary environment it still does.
	cfg = parseWith(t, "environments:\n  prod: {"+db("origin")+", protected: true, allow_reset: true}\n  preview: {"+db("origin")+"}\n", nil)
	if g := guardOf(t, cfg, "preview"); !g.Protected || !g.AllowReset {
		t.Errorf("beside a protected environment that allows resets: %+v", g)
	}
	if g := guardOf(t, cfg, "prod"); !g.AllowReset || len(g.SharedWith) > 0 || len(cfg.Warnings) != 1 {
		t.Errorf("prod: %+v, warnings %q", g, cfg.Warnings)
	}
}

// TestGuardOfAConfigBuiltByHand: the sharing is worked out when the
// configuration did not come from Load.
func TestGuardOfAConfigBuiltByHand(t *testing.T) {
	cfg := &Config{Environments: map[string]*Environment{
		"qa":   {Name: "qa", Redis: Redis{URL: "redis://localhost:6379/0"}, Disposable: true, Confirm: "none"},
		"prod": {Name: "prod", Celery: Celery{BrokerURL: "redis://127.0.0.1/0"}, Protected: true},
	}}
	if g := guardOf(t, cfg, "qa"); !g.Protected || g.Disposable || g.NoConfirm {
		t.Errorf("qa: %+v", g)
	}
}

// TestScratchURLByIdentity: the scratch server is refused as the watched
// or the migration's database in any spelling, and a warning says when it
// is a protected environment's server.
func TestScratchURLByIdentity(t *testing.T) {
	for _, c := range []struct{ name, env, scratch, want string }{
		{"localhost and a DSN", "postgres: {url: 'host=localhost dbname=app user=u'}", "postgresql://other@127.0.0.1:5432/app", "is the environment's own database"},
		{"socket directory", "postgres: {url: 'postgresql:///app?host=/var/run/postgresql'}", "postgresql://o@[::1]/app", "is the environment's own database"},
		{"name resolved", "postgres: {url: 'postgresql://u@db-alias/app'}", "postgresql://o@localhost/app", "is the environment's own database"},
		{"the migration's database", "postgres: {url: 'postgresql://u@pgbouncer:6432/app'}\n    alembic: {dir: ., env: {DATABASE_URL: 'postgresql://u@db-alias:5432/app'}}", "postgresql://o@127.0.0.1/app",
			"is the migration's database (alembic.env.DATABASE_URL)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := fmt.Sprintf("environments:\n  a:\n    %s\n    actions:\n      migrate: {scratch_url: '%s'}\n", c.env, c.scratch)
			_, err := parse("bad.yaml", []byte(src), nil, ui.Specs(), fakeDNS(map[string][]string{"db-alias": {"127.0.0.1"}}))
			line := strings.Count(c.env, "\n") + 5
			if want := fmt.Sprintf("bad.yaml:%d: environments.a.actions.migrate.scratch_url: %s", line, c.want); err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("%v\nwant %s", err, want)
			}
		})
	}
	src := "environments:\n  qa:\n    postgres: {url: 'postgresql://u@localhost:5433/qa'}\n    actions:\n      migrate: {scratch_url: 'postgresql://r@db-alias/postgres'}\n" +
		"  production:\n    postgres: {url: 'postgresql://o@127.0.0.1:5432/origin_db'}\n    protected: true\n"
	cfg := parseWith(t, src, map[string][]string{"db-alias": {"127.0.0.1"}})
	w := "opsdeck.yaml:5: environments.qa.actions.migrate.scratch_url: is on the server of environments.production.postgres.url (127.0.0.1:5432): the rehearsal's load (a schema restore, the migration's statements) lands on production's server"
	if !slices.Equal(cfg.Warnings, []string{w}) {
		t.Errorf("warnings:\n  %q\nwant\n  %q", cfg.Warnings, w)
	}
	cfg = parseWith(t, strings.Replace(src, "db-alias/postgres", "db-alias:5434/postgres", 1), map[string][]string{"db-alias": {"127.0.0.1"}})
	if len(cfg.Warnings) != 0 {
		t.Errorf("another server, yet %q", cfg.Warnings)
	}
}

// TestACommandsConnectionStringIsAResource: a runbook command whose env:
// names production's database is guarded as production's; the
// environment's other actions are not.
func TestACommandsConnectionStringIsAResource(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte(`environments:
  staging:
    postgres: {url: "postgresql://u@db.staging:5432/app"}
    actions:
      commands:
        - {name: backfill, argv: [./backfill.sh], dangerous: true, env: {DATABASE_URL: "postgresql://u@127.0.0.1:5432/origin"}}
  production:
    postgres: {url: "postgresql://u@localhost/origin"}
    protected: true
`), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	all, err := cfg.GuardOver("staging")
	if err != nil || !all.Protected || len(all.SharedWith) != 1 || !strings.Contains(all.SharedWith[0], "production") {
		t.Errorf("the command's guard: %+v %v", all, err)
	}
	if db, _ := cfg.GuardOver("staging", ReachDatabase); db.Protected {
		t.Errorf("staging's own database took production's guard: %+v", db)
	}
	if !slices.ContainsFunc(cfg.Warnings, func(w string) bool {
		return strings.Contains(w, "environments.staging.actions.commands[0].env.DATABASE_URL: names the same database as environments.production.postgres.url")
	}) {
		t.Errorf("no warning: %v", cfg.Warnings)
	}
}
