package wire

import (
	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/internal/redact"
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
	"github.com/opsdeck/opsdeck/sources/victorialogs"
)

// What an unconfigured source's Problem says: how to configure it.
const (
	noPrometheus   = "no Prometheus URL: set prometheus.url in the config or PROMETHEUS_URL, or metrics_url (METRICS_URL) to scrape the application directly (or try: opsdeck demo)"
	noPostgres     = "no PostgreSQL: set postgres.url in the config or DATABASE_URL"
	noRedis        = "no Redis: set redis.url in the config or REDIS_URL"
	noCelery       = "no Celery: set celery.broker_url in the config or CELERY_BROKER_URL"
	noAlertmanager = "no Alertmanager: set alertmanager.url in the config or ALERTMANAGER_URL (without one the alerts come from Prometheus)"
	noTraces       = "no trace backend: set tracing.jaeger_url in the config or JAEGER_URL"
	noLogs         = "no log backend: set logs.url in the config or VICTORIALOGS_URL (VictoriaLogs)"
	noReference    = "no schema reference: set schema_reference in the config or OPSDECK_SCHEMA_REFERENCE to another environment or a file from `opsdeck schema dump`"
	noAlembic      = "no Alembic project: set alembic.dir in the config or ALEMBIC_DIR"
)

// Open builds the named environment's sources. It does no network I/O: a
// server that is down shows up in the panes, not here. Every source comes
// with its target, and, when it is nil, with its problem in words: how to
// configure it, or why it could not be opened. A source configured but
// unusable (a certificate file that cannot be read) is a stand-in that
// says why on every read.
func Open(cfg *config.Config, name, version string) (*sources.Environment, error) {
	e, err := cfg.Get(name)
	if err != nil {
		return nil, err
	}
	o := &opener{cfg: cfg, e: e, scrubber: redact.NewScrubber(cfg.Secrets()...), agent: "opsdeck/" + version}
	pt := e.Postgres.Thresholds
	env := &sources.Environment{
		Name:             name,
		Protected:        e.Protected,
		Readonly:         e.Readonly,
		Disposable:       e.Disposable,
		Scrubber:         o.scrubber,
		Close:            o.close,
		QueueThresholds:  threshold(e.Redis.QueueThresholds),
		MemoryThresholds: threshold(e.Redis.MemoryThresholds),
		DBThresholds:     sources.DBThresholds{Connections: threshold(pt.Connections), TransactionAge: threshold(pt.TransactionAge), QueryAge: threshold(pt.QueryAge)},
		TraceUI:          e.Tracing.UIURL,
		TraceService:     e.Tracing.Service,
	}
	if e.Alertmanager.URL != "" {
		env.AckDuration = e.Alertmanager.AckDuration.D()
	}
	env.Database = o.database()
	env.Cache = o.cache()
	env.Celery = o.celery()
	env.Traces = o.traces()
	env.Logs, env.LogsFilter = o.logs(), e.Logs.Query
	env.Alerting = o.alerting()
	env.Drift = o.drift(env.Database)
	env.Migrations = o.migrations(env.Database)
	env.Metrics = o.metrics()
	env.SLOs = o.slos(env.Metrics)
	if env.Signals, err = o.signals(env.Metrics); err != nil {
		env.Close() // what was opened before is released, not leaked
		return nil, err
	}
	return env, nil
}

// opener opens one environment's sources, and keeps how to release each
// for the environment's Close.
type opener struct {
	cfg      *config.Config
	e        *config.Environment
	scrubber *redact.Scrubber
	agent    string // User-Agent of the HTTP clients
	closers  []func()
}

func (o *opener) close() {
	for _, c := range o.closers {
		c()
	}
}

// failed is the problem of a source that could not be opened: err, its
// secrets masked.
func (o *opener) failed(err error) string { return o.scrubber.String(err.Error()) }

// database opens the PostgreSQL (through pgbouncer too, where set).
func (o *opener) database() sources.Opened[sources.Database] {
	pg := o.e.Postgres
	out := sources.Opened[sources.Database]{Target: redact.URL(pg.URL)}
	if pg.URL == "" {
		out.Problem = noPostgres
		return out
	}
	db, err := postgres.New(postgres.Options{URL: pg.URL, PgbouncerURL: pg.PgbouncerURL, StatementTimeout: pg.StatementTimeout.D(),
		Timeout: pg.Timeout.D(), RequiredExtensions: pg.RequiredExtensions, Scrubber: o.scrubber})
	if err != nil {
		out.Problem = o.failed(err)
		return out
	}
	o.closers = append(o.closers, db.Close)
	out.Source, out.Target = db, db.Target()
	return out
}

// cache opens the Redis, by its URL or, in cluster and sentinel mode, its
// addresses.
func (o *opener) cache() sources.Opened[sources.Cache] {
	r := o.e.Redis
	out := sources.Opened[sources.Cache]{Target: redact.URL(r.URL)}
	if r.URL == "" && len(r.Addrs) == 0 {
		out.Problem = noRedis
		return out
	}
	c, err := redis.New(redis.Options{URL: r.URL, Mode: r.Mode, Addrs: r.Addrs, MasterName: r.MasterName,
		SentinelPassword: string(r.SentinelPassword), Queues: r.Queues, Timeout: r.Timeout.D(), Scrubber: o.scrubber})
	if err != nil {
		out.Problem = o.failed(err)
		return out
	}
	o.closers = append(o.closers, c.Close)
	out.Source, out.Target = c, c.Target()
	return out
}

// celery opens the Celery broker and its result backend.
func (o *opener) celery() sources.Opened[sources.Celery] {
	cl := o.e.Celery
	out := sources.Opened[sources.Celery]{Target: redact.URL(cl.BrokerURL)}
	if cl.BrokerURL == "" {
		out.Problem = noCelery
		return out
	}
	c, err := celery.New(celery.Options{BrokerURL: cl.BrokerURL, ResultURL: cl.ResultBackend, Queues: cl.Queues,
		Window: o.cfg.Window.D(), Timeout: cl.Timeout.D(), Scrubber: o.scrubber})
	if err != nil {
		out.Problem = o.failed(err)
		return out
	}
	o.closers = append(o.closers, c.Close)
	out.Source = c
	return out
}

// traces opens the trace backend. One whose CA or certificate file cannot
// be read is a stand-in that says so where a trace would be.
func (o *opener) traces() sources.Opened[sources.Traces] {
	t := o.e.Tracing
	out := sources.Opened[sources.Traces]{Target: redact.URL(t.JaegerURL)}
	if t.JaegerURL == "" {
		out.Problem = noTraces
		return out
	}
	jc, err := jaeger.New(httpapi.APIOptions{URL: t.JaegerURL, Timeout: t.Timeout.D(), Auth: httpAuth(t.HTTPAuth),
		UserAgent: o.agent, Scrubber: o.scrubber})
	if err != nil {
		out.Source = jaeger.Unusable(o.failed(err))
		return out
	}
	o.closers = append(o.closers, jc.Close)
	out.Source = jc
	return out
}

// logs opens the log backend (VictoriaLogs), narrowed to logs.query. One
// whose CA or certificate file cannot be read is a stand-in that says so
// where the lines would be.
func (o *opener) logs() sources.Opened[sources.Logs] {
	l := o.e.Logs
	out := sources.Opened[sources.Logs]{Target: redact.URL(l.URL)}
	if l.URL == "" {
		out.Problem = noLogs
		return out
	}
	c, err := victorialogs.New(victorialogs.Options{API: httpapi.APIOptions{URL: l.URL, Timeout: l.Timeout.D(), Auth: httpAuth(l.HTTPAuth),
		UserAgent: o.agent, Scrubber: o.scrubber}, Filter: l.Query, Tenant: l.Tenant, Limit: l.Limit})
	if err != nil {
		out.Source = victorialogs.Unusable(o.failed(err))
		return out
	}
	o.closers = append(o.closers, c.Close)
	out.Source, out.Target = c, c.String()
	return out
}

// alerting opens the Alertmanager. One whose CA or certificate file cannot
// be read is a stand-in that says so where the alerts would be.
func (o *opener) alerting() sources.Opened[sources.Alerting] {
	a := o.e.Alertmanager
	out := sources.Opened[sources.Alerting]{Target: redact.URL(a.URL)}
	if a.URL == "" {
		out.Problem = noAlertmanager
		return out
	}
	am, err := alertmanager.New(httpapi.APIOptions{URL: a.URL, Timeout: a.Timeout.D(), Auth: httpAuth(a.HTTPAuth),
		UserAgent: o.agent, Scrubber: o.scrubber})
	if err != nil {
		out.Source = alertmanager.Unusable(a.URL, o.failed(err))
		return out
	}
	o.closers = append(o.closers, am.Close)
	out.Source, out.Target = am, am.String()
	return out
}

// drift opens the comparison of the live schema (db's) with its reference:
// another environment's database, or a file. A reference environment whose
// database cannot be opened is a stand-in that says why in the drift pane.
func (o *opener) drift(db sources.Opened[sources.Database]) sources.Opened[sources.Drift] {
	ref := o.e.SchemaReference
	if ref == "" {
		return sources.Opened[sources.Drift]{Problem: noReference}
	}
	out := sources.Opened[sources.Drift]{Target: ref}
	other, isEnv := o.cfg.Environments[ref]
	if isEnv {
		out.Target = "environment " + ref
	}
	live, ok := db.Source.(*postgres.Client)
	if !ok {
		out.Problem = "no live schema to compare with " + out.Target + ": " + db.Problem
		return out
	}
	if !isEnv {
		out.Source = drift.AgainstFile(live, ref)
		return out
	}
	refDB, err := postgres.New(postgres.Options{URL: other.Postgres.URL, StatementTimeout: other.Postgres.StatementTimeout.D(),
		Timeout: other.Postgres.Timeout.D(), Scrubber: o.scrubber})
	if err != nil {
		out.Source = drift.Unavailable(out.Target, o.failed(err))
		return out
	}
	o.closers = append(o.closers, refDB.Close)
	out.Source = drift.AgainstDatabase(live, refDB, ref)
	return out
}

// migrations opens the Alembic project, its applied revision read through
// the environment's database pool (db's) where there is one.
func (o *opener) migrations(db sources.Opened[sources.Database]) sources.Opened[sources.Migrations] {
	dir := o.e.Alembic.Dir
	if dir == "" {
		return sources.Opened[sources.Migrations]{Problem: noAlembic}
	}
	var reader alembic.VersionReader
	if pgc, ok := db.Source.(*postgres.Client); ok {
		reader = pgc
	}
	return sources.Opened[sources.Migrations]{Source: alembic.NewSource(dir, reader), Target: dir}
}

// metrics opens the Prometheus or, without one, the application's
// /metrics scraped directly.
func (o *opener) metrics() sources.Opened[sources.Metrics] {
	p := o.e.Prometheus
	switch {
	case p.URL != "":
		out := sources.Opened[sources.Metrics]{Target: redact.URL(p.URL)}
		client, err := prometheus.New(prometheus.Options{URL: p.URL, Timeout: p.Timeout.D(), Auth: httpAuth(p.HTTPAuth),
			Scrubber: o.scrubber, UserAgent: o.agent, MaxResponseBytes: int64(p.MaxResponseBytes.Value), AlertsURL: p.AlertsURL})
		if err != nil {
			out.Problem = o.failed(err)
			return out
		}
		o.closers = append(o.closers, client.Close)
		out.Source = client
		return out
	case o.e.MetricsURL != "":
		out := sources.Opened[sources.Metrics]{Target: redact.URL(o.e.MetricsURL) + " (direct)"}
		src, err := scrape.New(scrape.Options{URL: o.e.MetricsURL, Timeout: p.Timeout.D(), RateWindow: p.RateWindow.D(),
			MaxBody: int64(p.MaxResponseBytes.Value), Scrubber: o.scrubber, UserAgent: o.agent})
		if err != nil {
			out.Problem = o.failed(err)
			return out
		}
		o.closers = append(o.closers, src.Close)
		out.Source, out.Target = src, src.String()+" (direct)"
		return out
	}
	return sources.Opened[sources.Metrics]{Problem: noPrometheus}
}

// signals are the metric panes' signals for m: the golden four, said to be
// computed from /metrics in direct mode, and with Prometheus the Grafana
// dashboard's queries when one is configured.
func (o *opener) signals(m sources.Opened[sources.Metrics]) ([]sources.SignalSpec, error) {
	out := Signals(o.e.Prometheus)
	switch src := m.Source.(type) {
	case *scrape.Source:
		for i := range out {
			out[i].Query = "computed from " + src.String() + " (direct /metrics mode)"
		}
	case *prometheus.Client:
		if o.cfg.GrafanaDashboard == "" {
			break
		}
		d, err := LoadDashboard(o.cfg.GrafanaDashboard, o.cfg, o.e)
		if err != nil {
			return nil, err
		}
		out = append(out, DashboardSignals(d)...)
	}
	return out, nil
}
