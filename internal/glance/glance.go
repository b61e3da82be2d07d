package glance

import (
	"cmp"
	"context"
	"errors"
	"sync"
	"time"

	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
)

// Points is how many points a sparkline has.
const Points = 30

// Row is one environment at a glance, as read at At.
type Row struct {
	Name       string
	At         time.Time
	Signals    []Signal
	Alerts     Alerts
	Postgres   Postgres
	Redis      Redis
	Migrations Migrations
	Drift      Drift
}

// Signal is one golden signal: its value now, status, and its sparkline
// over the window.
type Signal struct {
	Key, Title string
	Unit       units.Unit
	Value      float64
	Has        bool
	Status     sources.Status
	Points     []float64
	Err        string
}

// Alerts are the firing alerts: how many, and the worst severity.
type Alerts struct {
	Firing int
	Worst  string // severity of the worst firing alert
	Err    string // "" when read; why not otherwise
	Known  bool
}

// Postgres is the database at a glance.
type Postgres struct {
	Configured, Reachable bool
	Used, Max             int // client connections, and those usable
	Blocked               int // sessions waiting on another's lock
	Err                   string
}

// Redis is the cache and broker at a glance.
type Redis struct {
	Configured, Reachable bool
	Memory                int64  // used, bytes
	Queue                 string // the longest queue
	QueueLength           int64
	QueueStatus           sources.Status
	Err                   string
}

// Migrations says whether the database is at the project's heads.
type Migrations struct {
	Configured bool
	Status     string // sources.MigrationState.Status, or unknown
	Behind     int
	Err        string
}

// Drift counts the differences from the schema reference.
type Drift struct {
	Configured  bool
	Differences int
	Hazardous   int
	Err         string
}

// Read reads env once, every part concurrently, each bounded by its source's
// own timeout; a part that fails says why and the rest stands. window is
// the sparklines' span.
func Read(ctx context.Context, env *sources.Environment, window time.Duration, now time.Time) Row {
	r := Row{Name: env.Name, At: now, Signals: make([]Signal, len(env.Signals))}
	var wg sync.WaitGroup
	w := sources.WindowFor(now, window, Points)
	for i, spec := range env.Signals {
		wg.Go(func() { r.Signals[i] = readSignal(ctx, env, spec, w) })
	}
	wg.Go(func() { r.Alerts = readAlerts(ctx, env) })
	wg.Go(func() { r.Postgres = readPostgres(ctx, env) })
	wg.Go(func() { r.Redis = readRedis(ctx, env) })
	wg.Go(func() { r.Migrations = readMigrations(ctx, env) })
	wg.Go(func() { r.Drift = readDrift(ctx, env) })
	wg.Wait()
	return r
}

func readSignal(ctx context.Context, env *sources.Environment, spec sources.SignalSpec, w sources.Window) Signal {
	s := Signal{Key: spec.Key, Title: spec.Title, Unit: spec.Unit, Status: sources.StatusError}
	if env.Metrics.Source == nil {
		s.Err = cmp.Or(env.Metrics.Problem, "no metrics source")
		return s
	}
	rd, err := env.Metrics.Source.Read(ctx, spec, w)
	if err != nil {
		s.Err = env.Scrubber.Error(err)
		return s
	}
	s.Value, s.Has, s.Points, s.Status = rd.Value, rd.HasValue(), rd.Points, spec.Thresholds.Classify(rd.Value)
	if !s.Has {
		s.Err = env.Scrubber.String(rd.Diagnosis)
	}
	return s
}

func readAlerts(ctx context.Context, env *sources.Environment) Alerts {
	var list []sources.Alert
	var err error
	switch {
	case env.Alerting.Source != nil:
		var gs []sources.AlertGroup
		gs, err = env.Alerting.Source.Groups(ctx)
		list = sources.Flatten(gs)
	case env.Metrics.Source != nil:
		list, err = env.Metrics.Source.Alerts(ctx)
	default:
		return Alerts{Err: "no alerts: no Prometheus or Alertmanager"}
	}
	switch {
	case errors.Is(err, sources.ErrNoAlerting):
		return Alerts{Err: "none in direct /metrics mode"}
	case err != nil:
		return Alerts{Err: env.Scrubber.Error(err)}
	}
	a := Alerts{Known: true}
	for _, al := range list {
		if !al.Firing() {
			continue
		}
		a.Firing++
		if sources.SeverityRank(al.Severity) > sources.SeverityRank(a.Worst) {
			a.Worst = al.Severity
		}
	}
	return a
}

func readPostgres(ctx context.Context, env *sources.Environment) Postgres {
	if env.Database.Source == nil {
		return Postgres{Err: env.Database.Problem}
	}
	st, err := env.Database.Source.Poll(ctx, sources.DBRequest{})
	if err != nil {
		return Postgres{Configured: true, Err: env.Scrubber.Error(err)}
	}
	return Postgres{Configured: true, Reachable: true, Used: st.Connections.Total, Max: st.Connections.Max - st.Connections.Reserved,
		Blocked: len(st.Blocked)}
}

func readRedis(ctx context.Context, env *sources.Environment) Redis {
	if env.Cache.Source == nil {
		return Redis{Err: env.Cache.Problem}
	}
	st, err := env.Cache.Source.Poll(ctx)
	if err != nil {
		return Redis{Configured: true, Err: env.Scrubber.Error(err)}
	}
	r := Redis{Configured: true, Reachable: true, Memory: st.UsedMemory, QueueStatus: sources.StatusOK}
	for _, q := range st.Queues {
		if q.Error == "" && (r.Queue == "" || q.Length > r.QueueLength) {
			r.Queue, r.QueueLength = q.Name, q.Length
		}
	}
	if r.Queue != "" {
		r.QueueStatus = env.QueueThresholds.Classify(float64(r.QueueLength))
	}
	return r
}

func readMigrations(ctx context.Context, env *sources.Environment) Migrations {
	if env.Migrations.Source == nil {
		return Migrations{Status: sources.MigrationsUnknown}
	}
	st, err := env.Migrations.Source.Poll(ctx)
	if err != nil {
		return Migrations{Configured: true, Status: sources.MigrationsUnknown, Err: env.Scrubber.Error(err)}
	}
	return Migrations{Configured: true, Status: st.Status, Behind: len(st.Pending), Err: env.Scrubber.String(st.DatabaseError)}
}

func readDrift(ctx context.Context, env *sources.Environment) Drift {
	if env.Drift.Source == nil {
		return Drift{}
	}
	d := env.Drift.Source.Compare(ctx, false) // a comparison of the last minutes will do
	out := Drift{Configured: true, Differences: len(d.Differences), Err: env.Scrubber.String(d.Error)}
	for _, x := range d.Differences {
		if x.Hazardous {
			out.Hazardous++
		}
	}
	return out
}

// Level is how bad the row is: crit when a signal is critical, a critical
// alert fires, Postgres or Redis cannot be reached, the database's revision
// is not one the project knows, or a hazardous difference exists; warn for
// the milder cases; ok otherwise.
func (r Row) Level() sources.Status {
	level := sources.StatusOK
	worse := func(s sources.Status) {
		if Rank(s) > Rank(level) {
			level = s
		}
	}
	for _, s := range r.Signals {
		switch {
		case s.Err != "" && s.Status == sources.StatusError:
			worse(sources.StatusWarn) // an unknown signal is not an outage in itself
		default:
			worse(s.Status)
		}
	}
	switch {
	case r.Alerts.Firing > 0 && sources.Critical(r.Alerts.Worst):
		worse(sources.StatusCrit)
	case r.Alerts.Firing > 0:
		worse(sources.StatusWarn)
	}
	if r.Postgres.Configured && !r.Postgres.Reachable {
		worse(sources.StatusCrit)
	}
	if r.Postgres.Blocked > 0 {
		worse(sources.StatusWarn)
	}
	if r.Redis.Configured && !r.Redis.Reachable {
		worse(sources.StatusCrit)
	}
	worse(r.Redis.QueueStatus)
	switch r.Migrations.Status {
	case "unknown_revision":
		worse(sources.StatusCrit)
	case "behind", "no_table":
		worse(sources.StatusWarn)
	}
	switch {
	case r.Drift.Hazardous > 0:
		worse(sources.StatusCrit)
	case r.Drift.Differences > 0:
		worse(sources.StatusWarn)
	}
	return level
}

// Rank orders statuses from none through ok and warn (or error) to crit.
func Rank(s sources.Status) int {
	switch s {
	case sources.StatusCrit:
		return 3
	case sources.StatusWarn, sources.StatusError:
		return 2
	case sources.StatusOK:
		return 1
	}
	return 0
}
