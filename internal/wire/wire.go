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
	"github.com/opsdeck/opsdeck/sources/alembic"
	"github.com/opsdeck/opsdeck/sources/alertmanager"
	"github.com/opsdeck/opsdeck/sources/celery"
	"github.com/opsdeck/opsdeck/sources/drift"
	"github.com/opsdeck/opsdeck/sources/httpapi"
	"github.com/opsdeck/opsdeck/sources/jaeger"
	"github.com/opsdeck/opsdeck/sources/postgres"
	"github.com/opsdeck/opsdeck/sources/prometheus"
	"github.com/opsdeck/opsdeck/sources/redis"
	"github.com/opsdeck/opsdeck/sources/scrape"
)

// Open builds the named environment's sources. It does no network I/O: a
// server that is down shows up in the panes, not here.
func Open(cfg *config.Config, name, version string) (*sources.Environment, error) {
	e, err := cfg.Get(name)
	if err != nil {
		return nil, err
	}
	scrubber := redact.NewScrubber(cfg.Secrets()...)
	env := &sources.Environment{
		Name:       name,
		Protected:  e.Protected,
		Readonly:   e.Readonly,
		Disposable: e.Disposable,
		Signals:    Signals(e.Prometheus),
		Database:   sources.Opened[sources.Database]{Target: redact.URL(e.Postgres.URL)},
		Cache:      sources.Opened[sources.Cache]{Target: redact.URL(e.Redis.URL)},
		Migrations: sources.Opened[sources.Migrations]{Target: e.Alembic.Dir},
		Scrubber:   scrubber,
	}
	var closers []func()
	env.Close = func() {
		for _, c := range closers {
			c()
		}
	}
	env.QueueThresholds = threshold(e.Redis.QueueThresholds)
	env.MemoryThresholds = threshold(e.Redis.MemoryThresholds)
	pt := e.Postgres.Thresholds
	env.DBThresholds = sources.DBThresholds{Connections: threshold(pt.Connections), TransactionAge: threshold(pt.TransactionAge), QueryAge: threshold(pt.QueryAge)}
	if e.Postgres.URL == "" {
		env.Database.Problem = "no PostgreSQL: set postgres.url in the config or DATABASE_URL"
	} else if db, err := postgres.New(postgres.Options{URL: e.Postgres.URL, PgbouncerURL: e.Postgres.PgbouncerURL,
		StatementTimeout: e.Postgres.StatementTimeout.D(), Timeout: e.Postgres.Timeout.D(), RequiredExtensions: e.Postgres.RequiredExtensions, Scrubber: scrubber}); err != nil {
		env.Database.Problem = scrubber.String(err.Error())
	} else {
		env.Database.Source, env.Database.Target = db, db.Target()
		closers = append(closers, db.Close)
	}
	if e.Redis.URL == "" && len(e.Redis.Addrs) == 0 {
		env.Cache.Problem = "no Redis: set redis.url in the config or REDIS_URL"
	} else if cache, err := redis.New(redis.Options{URL: e.Redis.URL, Mode: e.Redis.Mode, Addrs: e.Redis.Addrs,
		MasterName: e.Redis.MasterName, SentinelPassword: string(e.Redis.SentinelPassword), Queues: e.Redis.Queues,
		Timeout: e.Redis.Timeout.D(), Scrubber: scrubber}); err != nil {
		env.Cache.Problem = scrubber.String(err.Error())
	} else {
		env.Cache.Source, env.Cache.Target = cache, cache.Target()
		closers = append(closers, cache.Close)
	}
	if cl := e.Celery; cl.BrokerURL != "" {
		// The configuration checked the URLs as New reads them.
		if c, err := celery.New(celery.Options{BrokerURL: cl.BrokerURL, ResultURL: cl.ResultBackend, Queues: cl.Queues,
			Window: cfg.Window.D(), Timeout: cl.Timeout.D(), Scrubber: scrubber}); err == nil {
			env.Celery.Source, env.Celery.Target = c, redact.URL(cl.BrokerURL)
			closers = append(closers, c.Close)
		}
	}
	if t := e.Tracing; t.JaegerURL != "" {
		// The configuration checked the URL as New does: it cannot fail here.
		jc, err := jaeger.New(httpapi.APIOptions{URL: t.JaegerURL, Timeout: t.Timeout.D(), Auth: httpAuth(t.HTTPAuth),
			UserAgent: "opsdeck/" + version, Scrubber: scrubber})
		if err != nil {
			// A CA or certificate file that cannot be read: said where a
			// trace would be.
			env.Traces.Source = jaeger.Unusable(scrubber.String(err.Error()))
		} else {
			env.Traces.Source = jc
			closers = append(closers, jc.Close)
		}
	}
	env.TraceUI, env.TraceService = e.Tracing.UIURL, e.Tracing.Service
	if a := e.Alertmanager; a.URL != "" {
		am, err := alertmanager.New(httpapi.APIOptions{URL: a.URL, Timeout: a.Timeout.D(), Auth: httpAuth(a.HTTPAuth),
			UserAgent: "opsdeck/" + version, Scrubber: scrubber})
		env.AckDuration = a.AckDuration.D()
		if err != nil {
			// A CA or certificate file that cannot be read: said where the
			// alerts would be.
			env.Alerting.Source = alertmanager.Unusable(a.URL, scrubber.String(err.Error()))
		} else {
			env.Alerting.Source = am
			closers = append(closers, am.Close)
		}
	}
	if ref := e.SchemaReference; ref != "" && env.Database.Source != nil {
		live := env.Database.Source.(*postgres.Client)
		if other, ok := cfg.Environments[ref]; ok {
			refDB, err := postgres.New(postgres.Options{URL: other.Postgres.URL, StatementTimeout: other.Postgres.StatementTimeout.D(),
				Timeout: other.Postgres.Timeout.D(), Scrubber: scrubber})
			if err != nil {
				// Said in the drift pane, rather than a pane that says nothing.
				env.Drift.Source = drift.Unavailable("environment "+ref, scrubber.String(err.Error()))
			} else {
				env.Drift.Source = drift.AgainstDatabase(live, refDB, ref)
				closers = append(closers, refDB.Close)
			}
		} else {
			env.Drift.Source = drift.AgainstFile(live, ref)
		}
	}
	if e.Alembic.Dir != "" {
		var db alembic.VersionReader
		if pgc, ok := env.Database.Source.(*postgres.Client); ok {
			db = pgc // one pool per environment: alembic_version is read through it
		}
		env.Migrations.Source = alembic.NewSource(e.Alembic.Dir, db)
	}
	p := e.Prometheus
	if p.URL == "" && e.MetricsURL != "" {
		src, err := scrape.New(scrape.Options{URL: e.MetricsURL, Timeout: p.Timeout.D(), RateWindow: p.RateWindow.D(), MaxBody: int64(p.MaxResponseBytes.Value),
			Scrubber: scrubber, UserAgent: "opsdeck/" + version})
		if err != nil {
			env.Metrics.Problem = scrubber.String(err.Error())
			return env, nil
		}
		env.Metrics.Source, env.Metrics.Target = src, src.String()+" (direct)"
		for i := range env.Signals {
			env.Signals[i].Query = "computed from " + src.String() + " (direct /metrics mode)"
		}
		closers = append(closers, src.Close)
		return env, nil
	}
	if p.URL == "" {
		env.Metrics.Problem = "no Prometheus URL: set prometheus.url in the config or PROMETHEUS_URL, or metrics_url (METRICS_URL) to scrape the application directly (or try: opsdeck demo)"
		return env, nil
	}
	env.Metrics.Target = redact.URL(p.URL)
	opts := prometheus.Options{
		URL: p.URL, Timeout: p.Timeout.D(), Auth: httpAuth(p.HTTPAuth),
		Scrubber: scrubber, UserAgent: "opsdeck/" + version, MaxResponseBytes: int64(p.MaxResponseBytes.Value),
	}
	client, err := prometheus.New(opts)
	if err != nil {
		env.Metrics.Problem = scrubber.String(fmt.Sprint(err))
		return env, nil
	}
	env.Metrics.Source = client
	closers = append(closers, client.Close)
	if cfg.GrafanaDashboard != "" {
		d, err := LoadDashboard(cfg.GrafanaDashboard, cfg, e)
		if err != nil {
			env.Close() // what was opened before is released, not leaked
			return nil, err
		}
		env.Signals = append(env.Signals, DashboardSignals(d)...)
	}
	return env, nil
}

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
		cmd := commandSpec(c.Key, name, cs)
		cmd.Env = env // a command may reach anything the environment names
		specs = append(specs, cmd)
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
