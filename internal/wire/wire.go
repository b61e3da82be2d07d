package wire

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/internal/grafana"
	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/httpapi"
	"github.com/opsdeck/opsdeck/sources/postgres"
)

// httpAuth is a server's credentials, headers and TLS as its client takes them.
func httpAuth(a config.HTTPAuth) httpapi.Auth {
	out := httpapi.Auth{BearerToken: string(a.BearerToken), BearerTokenFile: a.BearerTokenFile, Headers: a.Headers,
		TLS: httpapi.TLS{CAFile: a.TLS.CAFile, CertFile: a.TLS.CertFile, KeyFile: a.TLS.KeyFile,
			ServerName: a.TLS.ServerName, InsecureSkipVerify: a.TLS.InsecureSkipVerify}}
	if b := a.BasicAuth; b != nil {
		out.BasicAuth = &httpapi.BasicAuth{Username: b.Username, Password: string(b.Password), PasswordFile: b.PasswordFile}
	}
	return out
}

// LoadDashboard reads a Grafana dashboard file for environment e, its rate
// window standing in for $__rate_interval.
func LoadDashboard(path string, cfg *config.Config, e *config.Environment) (*grafana.Dashboard, error) {
	return grafana.Load(path, grafana.Options{RateWindow: e.Prometheus.RateWindow.D(), Range: cfg.Window.D()})
}

// DashboardSignals are a dashboard's queries as extra metric panes, keyed
// grafana:N in dashboard order, grouped by their row (the panels above the
// first row by the dashboard's title).
func DashboardSignals(d *grafana.Dashboard) []sources.SignalSpec {
	out := make([]sources.SignalSpec, len(d.Queries))
	for i, q := range d.Queries {
		out[i] = sources.SignalSpec{Key: fmt.Sprintf("grafana:%d", i+1), Title: q.Title, Query: q.Expr, Unit: q.Unit,
			Thresholds: sources.Thresholds{Warn: q.Warn, Crit: q.Crit}, Additive: q.Unit == units.ReqPerSec || q.Unit == units.Bytes,
			Group: cmp.Or(q.Row, d.Title, "dashboard")}
	}
	return out
}

func threshold(t config.Threshold) sources.Thresholds {
	var out sources.Thresholds
	if t.Warn != nil {
		v := t.Warn.Value
		out.Warn = &v
	}
	if t.Crit != nil {
		v := t.Crit.Value
		out.Crit = &v
	}
	return out
}

// Signals are the four golden signals of an environment, in display order.
func Signals(p config.Prometheus) []sources.SignalSpec {
	th := threshold
	// A query left at its default splits the right way for what it
	// measures; one the user wrote is split by summing it by the label.
	def, splits := config.DefaultQueries(p.Selector, p.RateWindow.D()), config.DefaultSplits(p.Selector, p.RateWindow.D())
	ranks := config.DefaultRanks(p.Selector, p.RateWindow.D())
	split := func(q, d, s string) string {
		if q == d {
			return s
		}
		return ""
	}
	return []sources.SignalSpec{
		{Key: sources.RPS, Title: "Requests/s", Query: p.Queries.RPS, Unit: units.ReqPerSec, Thresholds: th(p.Thresholds.RPS),
			Split: split(p.Queries.RPS, def.RPS, splits.RPS), Additive: true},
		{Key: sources.ErrorRate, Title: "Error rate (5xx)", Query: p.Queries.ErrorRate, Unit: units.Ratio, Thresholds: th(p.Thresholds.ErrorRate),
			Split: split(p.Queries.ErrorRate, def.ErrorRate, splits.ErrorRate), Rank: split(p.Queries.ErrorRate, def.ErrorRate, ranks.ErrorRate)},
		{Key: sources.P95Latency, Title: "P95 latency", Query: p.Queries.P95Latency, Unit: units.Seconds, Thresholds: th(p.Thresholds.P95Latency),
			Split: split(p.Queries.P95Latency, def.P95Latency, splits.P95Latency)},
		{Key: sources.Memory, Title: "Memory (RSS)", Query: p.Queries.Memory, Unit: units.Bytes, Thresholds: th(p.Thresholds.Memory),
			Split: split(p.Queries.Memory, def.Memory, splits.Memory), Additive: true},
	}
}

// Actions are the named environment's actions, built from its configuration:
// migrate and reset (when the environment has what they need) and the
// runbook commands. Each is planned when asked for (Spec.Plan).
func Actions(cfg *config.Config, name string) (actions.Environment, []actions.Spec, error) {
	e, err := cfg.Get(name)
	if err != nil {
		return actions.Environment{}, nil, err
	}
	scrubber := redact.NewScrubber(cfg.Secrets()...)
	env, err := GuardOver(cfg, name)
	if err != nil {
		return actions.Environment{}, nil, err
	}
	db, err := GuardOver(cfg, name, config.ReachDatabase)
	if err != nil {
		return actions.Environment{}, nil, err
	}
	var specs []actions.Spec
	dbTarget := redact.URL(e.Postgres.URL)
	if e.Alembic.Dir != "" && e.Postgres.URL != "" {
		migrate, err := migrateSpec(cfg, name, e, scrubber)
		if err != nil {
			return actions.Environment{}, nil, err
		}
		specs = append(specs, actions.Spec{Name: "migrate", Key: cfg.Key("migrate"), Kind: actions.Dangerous, Target: dbTarget, Env: db,
			Plan: func(ctx context.Context, steps actions.Steps) (actions.Plan, error) {
				return actions.PlanMigrate(ctx, migrate, steps)
			}})
		check := alembicCheck(name, e, scrubber)
		check.Env = db
		specs = append(specs, check)
	}
	if e.Postgres.URL != "" {
		r := e.Actions.Reset
		target := dbTarget
		if e.Redis.URL != "" {
			target += " and " + redact.URL(e.Redis.URL)
		}
		reset := &actions.ResetAction{Environment: name, DatabaseURL: postgres.Driverless(e.Postgres.URL), Schemas: r.Schemas, Keep: r.Keep,
			RedisURL: e.Redis.URL, RedisDBs: r.RedisDBs, LockTimeout: r.LockTimeout.D(), Scrubber: scrubber}
		resetEnv, err := GuardOver(cfg, name, config.ReachDatabase, config.ReachRedis)
		if err != nil {
			return actions.Environment{}, nil, err
		}
		specs = append(specs, actions.Spec{Name: "reset", Key: cfg.Key("reset"), Kind: actions.Reset, Target: target, Env: resetEnv,
			Plan: func(ctx context.Context, _ actions.Steps) (actions.Plan, error) { return reset.Preview(ctx) }})
	}
	for _, c := range e.Actions.Commands {
		kind := actions.Safe
		if c.Dangerous {
			kind = actions.Dangerous
		}
		// A command gets what its env: gives it and no more: the
		// database's password only where the configuration says so.
		var vars []string
		for k, v := range c.Env {
			vars = append(vars, k+"="+v)
		}
		cs := actions.CommandSpec{Action: "command", Environment: name, Name: c.Name, Danger: kind, AlwaysConfirm: c.Confirm,
			Command: actions.Command{Argv: c.Argv, Shell: c.Shell, Dir: c.Dir, Env: vars, Timeout: c.Timeout.D(), Scrub: scrubber,
				Credentials: redact.NewScrubber(cfg.Credentials()...)}}
		specs = append(specs, runbookSpec(c.Key, name, cs, env))
	}
	return env, specs, nil
}

// GuardOver is environment name as the guard of an action reaching reach
// (none: everything it names) sees it: as strict as any environment naming
// one of the same resources.
func GuardOver(cfg *config.Config, name string, reach ...config.Reach) (actions.Environment, error) {
	g, err := cfg.GuardOver(name, reach...)
	if err != nil {
		return actions.Environment{}, err
	}
	return actions.Environment{Name: name, Readonly: g.Readonly, Protected: g.Protected, Disposable: g.Disposable,
		AllowReset: g.AllowReset, NoConfirm: g.NoConfirm, SharedWith: g.SharedWith}, nil
}

// runbookSpec is a configured command as an action in env (a command may
// reach anything the environment names). One that uses selection
// variables is planned on the values of the moment its key is pressed
// (With); without them, only $ENV has one.
func runbookSpec(key, name string, cs actions.CommandSpec, env actions.Environment) actions.Spec {
	vars := actions.CommandVars(cs.Command)
	if len(vars) > 0 {
		cs.Action = actions.SelectionKind
	}
	with := func(values map[string]string) actions.Spec {
		c := cs
		c.Values = map[string]string{"ENV": name}
		for k, v := range values {
			if k != "ENV" {
				c.Values[k] = v
			}
		}
		spec := commandSpec(key, name, c)
		spec.Env = env
		return spec
	}
	spec := with(nil)
	if len(vars) > 0 {
		spec.Vars, spec.With = vars, with
	}
	return spec
}

// commandSpec is a configured command as an action: planned when asked.
func commandSpec(key, target string, cs actions.CommandSpec) actions.Spec {
	return actions.Spec{Name: cs.Name, Key: key, Kind: cs.Danger, AlwaysConfirm: cs.AlwaysConfirm, Target: target,
		Plan: func(context.Context, actions.Steps) (actions.Plan, error) { return actions.PlanCommand(cs) }}
}

// migrateSpec is environment e's migration: the configured command run
// against the migration's database, with its timeouts on every session.
func migrateSpec(cfg *config.Config, name string, e *config.Environment, scrubber *redact.Scrubber) (actions.MigrateSpec, error) {
	vars, note := alembicEnv(e, timeouts(e.Actions.Migrate))
	judge, err := Preflight(cfg, name)
	if err != nil {
		return actions.MigrateSpec{}, err
	}
	m := e.Actions.Migrate
	return actions.MigrateSpec{Environment: name, Dir: e.Alembic.Dir, Target: redact.URL(migrationURL(e)),
		DB:        postgres.Options{URL: migrationURL(e), StatementTimeout: e.Postgres.StatementTimeout.D(), Timeout: e.Postgres.Timeout.D(), Scrubber: scrubber},
		Command:   actions.Command{Argv: strings.Fields(m.Command), Dir: e.Alembic.Dir, Env: vars, Timeout: m.Timeout.D(), Scrub: scrubber},
		Preflight: judge, Explain: explainMigration(m), Note: note}, nil
}

// alembicCheck is the drift pane's migration check: a command like any
// other, so it passes the same guard and lands in the same audit log.
// Configured as something other than a read-only alembic command, it is
// treated as one that changes the database; a read-only one gets sessions
// that cannot write.
func alembicCheck(name string, e *config.Environment, scrubber *redact.Scrubber) actions.Spec {
	check := strings.Fields(e.Alembic.CheckCommand)
	kind := actions.Dangerous
	var settings []string
	if readOnlyAlembic(check) {
		kind, settings = actions.Safe, []string{"default_transaction_read_only=on"}
	}
	vars, _ := alembicEnv(e, settings)
	return commandSpec("", redact.URL(e.Postgres.URL), actions.CommandSpec{Action: "command", Environment: name, Name: "alembic-check", Danger: kind,
		Target: redact.URL(e.Postgres.URL), Command: actions.Command{Argv: check, Dir: e.Alembic.Dir, Env: vars, Timeout: 2 * time.Minute, Scrub: scrubber},
		Explain: explainReadOnly})
}

// explainReadOnly says why a command given a read-only session failed
// when pgbouncer refused the session's options.
func explainReadOnly(output []string) string {
	if strings.Contains(strings.Join(output, "\n"), "unsupported startup parameter: options") {
		return "pgbouncer refused the read-only session opsdeck asks for (PGOPTIONS): point Alembic at PostgreSQL itself with alembic.env.DATABASE_URL"
	}
	return ""
}

// readOnlyAlembic reports whether argv is an alembic command that only
// reads: check, current, heads, history, show or branches.
func readOnlyAlembic(argv []string) bool {
	if len(argv) < 2 || filepath.Base(argv[0]) != "alembic" {
		return false
	}
	if strings.HasPrefix(argv[1], "-") {
		return false // options may name another configuration; judge it as a change
	}
	return slices.Contains([]string{"check", "current", "heads", "history", "show", "branches"}, argv[1])
}
