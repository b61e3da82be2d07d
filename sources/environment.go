package sources

import (
	"time"

	"github.com/opsdeck/opsdeck/internal/redact"
)

// Environment is one environment's sources, opened, as the console and the
// snapshot read them. Targets are for display and already redacted.
type Environment struct {
	Name                            string
	Protected, Readonly, Disposable bool

	// Metrics is the environment's Prometheus (or /metrics endpoint).
	Metrics Opened[Metrics]
	// SLOs are the objectives read through that Prometheus.
	SLOs    Opened[SLOs]
	Signals []SignalSpec
	// Narrowing is the one value of a label the signals read (none: every
	// value).
	Narrowing Narrowing
	// Marks are the changes the console saw in its window (migrations it
	// watched happen among them), for the report; a snapshot reads its own.
	Marks []Mark
	// MarksWindow is how far back Marks reach (the console's chart window).
	MarksWindow time.Duration
	// Deploys reads the commits a deploy brought (nil: no repository
	// configured, deploys.repo).
	Deploys Deploys

	// Database is the environment's PostgreSQL.
	Database Opened[Database]

	// Alerting is the environment's Alertmanager; without one the alerts
	// come from Prometheus. AckDuration is how long an acknowledgement
	// silences an alert.
	Alerting    Opened[Alerting]
	AckDuration time.Duration

	// Traces is the environment's trace backend; TraceUI is the
	// team's trace page ({trace_id} standing for the id), "" when none.
	Traces       Opened[Traces]
	TraceUI      string
	TraceService string // the application's service in its traces

	// Logs is the environment's log backend (VictoriaLogs); LogsFilter
	// narrows every read to the application's stream.
	Logs       Opened[Logs]
	LogsFilter string

	// Celery is the environment's Celery broker and result backend.
	Celery Opened[Celery]

	// Cache is the environment's Redis.
	Cache           Opened[Cache]
	QueueThresholds Thresholds
	// MemoryThresholds colour Redis memory as a share of maxmemory.
	MemoryThresholds Thresholds
	// DBThresholds colour the Postgres pane.
	DBThresholds DBThresholds

	// Drift compares the schema with its reference.
	Drift Opened[Drift]
	// Migrations is the Alembic project; its target is the project's directory.
	Migrations Opened[Migrations]

	// Scrubber masks this environment's secrets in any text shown.
	Scrubber *redact.Scrubber
	// Close releases connections; nil when there is nothing to release.
	Close func()
}

// Opened is one source of an environment as opened: the source (nil when it
// is not configured or could not be opened), where it points (for display,
// already redacted), and why it is missing when it is.
type Opened[T any] struct {
	Source  T
	Target  string
	Problem string
}

// DBThresholds colour the Postgres pane: connections as a share of the
// usable max_connections, and the longest transaction's and query's ages in
// seconds.
type DBThresholds struct {
	Connections, TransactionAge, QueryAge Thresholds
}
