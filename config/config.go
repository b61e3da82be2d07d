package config

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/opsdeck/opsdeck/internal/units"
)

// Config is the merged, validated configuration. It is read-only after Load.
type Config struct {
	Refresh Duration `yaml:"refresh"`
	Window  Duration `yaml:"window"`
	// OverviewRefresh is how often the overview reads every environment.
	OverviewRefresh    Duration                `yaml:"overview_refresh"`
	DefaultEnvironment string                  `yaml:"default_environment"`
	Environments       map[string]*Environment `yaml:"environments"`
	// Keys remaps the console's keys: binding name -> keys (see ui.Bindings).
	Keys map[string]KeyList `yaml:"keys,omitempty"`
	// Theme is dark (default) or light; NO_COLOR drops colour from either.
	Theme string `yaml:"theme,omitempty"`
	// GrafanaDashboard is a dashboard JSON whose Prometheus panels become
	// extra metric panes (relative to the configuration file).
	GrafanaDashboard string `yaml:"grafana_dashboard,omitempty"`

	// Source is the file the configuration came from, or a description of the
	// zero-config origin ("environment variables").
	Source string `yaml:"-"`
	// Order lists environment names in file order (the UI cycles in this order).
	Order []string `yaml:"-"`
	// Bindings are the resolved keys of every binding (defaults + Keys).
	Bindings map[string][]string `yaml:"-"`
	// Warnings are non-fatal findings, such as ${VAR} references to unset variables.
	Warnings []string `yaml:"-"`

	fromEnv bool
	// shared are the resources each environment names with others, worked
	// out once at load (nil for a Config built by hand).
	shared sharing
}

// Environment is one deployment opsdeck can watch: qa, staging, production...
type Environment struct {
	Name       string     `yaml:"-"`
	Prometheus Prometheus `yaml:"prometheus"`
	// MetricsURL is the application's own /metrics, scraped directly when
	// there is no Prometheus (direct mode).
	MetricsURL string   `yaml:"metrics_url,omitempty"`
	Postgres   Postgres `yaml:"postgres"`
	Redis      Redis    `yaml:"redis"`
	Alembic    Alembic  `yaml:"alembic"`
	// SchemaReference is what the live schema is compared with: another
	// environment's name, or a file written by `opsdeck schema dump`.
	SchemaReference string `yaml:"schema_reference,omitempty"`
	// Deploys is where the commits a deploy brought are read.
	Deploys Deploys `yaml:"deploys,omitempty"`
	// The guard flags (tagged guard) must be written as booleans (confirm:
	// none): empty or unknown, the file is refused, never read as false.
	// Environments that name a resource of a stricter one take its guard
	// (Config.Guard).
	//
	// Protected marks production: destructive actions are refused or need the
	// environment's name typed in.
	Protected bool `yaml:"protected" guard:"flag"`
	// Readonly disables every action.
	Readonly bool `yaml:"readonly" guard:"flag"`
	// Disposable marks sandboxes and CI databases, where one-keystroke resets may be allowed.
	Disposable bool `yaml:"disposable" guard:"flag"`
	// AllowReset lets a protected environment be reset at all (the name must still be typed).
	AllowReset bool `yaml:"allow_reset,omitempty" guard:"flag"`
	// Confirm "none" makes actions in a disposable environment run on one keystroke.
	Confirm string  `yaml:"confirm,omitempty" guard:"flag"`
	Actions Actions `yaml:"actions"`
	// Tracing is where the requests' traces are read.
	Tracing Tracing `yaml:"tracing"`
	// Alertmanager is where alerts are read and silenced.
	Alertmanager Alertmanager `yaml:"alertmanager"`
	// Celery is the task queue, read from its broker.
	Celery Celery `yaml:"celery"`
	// Logs is where the application's logs are read.
	Logs Logs `yaml:"logs"`
	// SLOs are objectives declared here, beside those found in the
	// Prometheus's sloth or pyrra rules.
	SLOs []SLO `yaml:"slos,omitempty"`
}

// Celery is the environment's Celery deployment, read from its Redis
// broker: workers, queues, tasks and failures.
type Celery struct {
	BrokerURL string `yaml:"broker_url"`
	// ResultBackend is where results are stored ("" for the broker).
	ResultBackend string `yaml:"result_backend,omitempty"`
	// Queues are watched (default: Origin's default, high_priority, low_priority).
	Queues  []string `yaml:"queues"`
	Timeout Duration `yaml:"timeout"`
}

// Alertmanager is the environment's Alertmanager: the alert strip and the
// alerts view read it when set, and silences are made there.
type Alertmanager struct {
	URL     string   `yaml:"url"`
	Timeout Duration `yaml:"timeout"`
	// AckDuration is how long the acknowledge key's silence lasts.
	AckDuration Duration `yaml:"ack_duration"`
	HTTPAuth    `yaml:",inline"`
}

// Tracing is the trace backend: Jaeger's query service, the team's own
// trace UI, and the service whose traces are searched.
type Tracing struct {
	JaegerURL string `yaml:"jaeger_url"`
	// UIURL is the team's trace page, {trace_id} standing for the id
	// (https://jaeger.example.com/trace/{trace_id}).
	UIURL    string   `yaml:"ui_url,omitempty"`
	Service  string   `yaml:"service,omitempty"`
	Timeout  Duration `yaml:"timeout"`
	HTTPAuth `yaml:",inline"`
}

// FromEnvironment reports whether the configuration was built from
// environment variables, with no file (zero-config).
func (c *Config) FromEnvironment() bool { return c.fromEnv }

// Key is the first key of a binding (action keys have exactly one); "" when
// the configuration was loaded without the console's bindings.
func (c *Config) Key(name string) string {
	if ks := c.Bindings[name]; len(ks) > 0 {
		return ks[0]
	}
	return ""
}

// BuiltinActions are the names of the actions opsdeck defines; a custom
// command may not take one.
var BuiltinActions = []string{"migrate", "reset", "alembic-check", "cancel", "terminate", "celery-purge", "celery-revoke", "celery-retry"}

// KeyList is one binding's keys; a single key may be written without brackets.
type KeyList []string

// Theme names.
const (
	ThemeDark  = "dark"
	ThemeLight = "light"
)

// Actions configure what the action keys and `opsdeck run` do.
type Actions struct {
	Migrate  Migrate         `yaml:"migrate"`
	Reset    Reset           `yaml:"reset"`
	Commands []CustomCommand `yaml:"commands,omitempty"`
}

// Migrate runs in alembic.dir with DATABASE_URL and alembic.env.
type Migrate struct {
	// Command is argv split on spaces (default "alembic upgrade head").
	Command string   `yaml:"command"`
	Timeout Duration `yaml:"timeout"`
	// LockTimeout and StatementTimeout are set on the migration's database
	// sessions (PGOPTIONS), so that a migration that would wait for a lock
	// fails fast instead of stalling the application queued behind it.
	// Defaults: 5s, and the run's timeout; 0s sets none.
	LockTimeout      Duration `yaml:"lock_timeout"`
	StatementTimeout Duration `yaml:"statement_timeout"`
	// ScratchURL is a PostgreSQL server on which the preflight may create,
	// and drop, a role of no power and a database it owns to rehearse the
	// migration in (its role needs CREATEROLE and CREATEDB). Disposable
	// environments rehearse on their own server without it.
	ScratchURL string `yaml:"scratch_url,omitempty"`
}

// Reset is Origin's clean_persistence_state.
type Reset struct {
	Schemas  []string `yaml:"schemas"`
	Keep     []string `yaml:"keep,omitempty"`
	RedisDBs []int    `yaml:"redis_dbs,omitempty"`
	// LockTimeout is how long the truncate waits for its tables' locks
	// before giving up (default 5s).
	LockTimeout Duration `yaml:"lock_timeout,omitempty"`
}

// CustomCommand is a runbook command bound to a key.
type CustomCommand struct {
	Name string `yaml:"name"`
	Key  string `yaml:"key,omitempty"`
	// Argv runs without a shell; Shell (exclusive with Argv) runs with /bin/sh -c.
	Argv      []string          `yaml:"argv,omitempty"`
	Shell     string            `yaml:"shell,omitempty"`
	Dir       string            `yaml:"dir,omitempty"`
	Env       map[string]string `yaml:"env,omitempty"`
	Timeout   Duration          `yaml:"timeout,omitempty"`
	Dangerous bool              `yaml:"dangerous,omitempty" guard:"flag"`
	// Confirm asks y/N even for a command that is not dangerous.
	Confirm bool `yaml:"confirm,omitempty" guard:"flag"`
}

// Prometheus says where the metrics live and how to ask for the golden signals.
type Prometheus struct {
	URL        string   `yaml:"url"`
	Selector   string   `yaml:"selector"`
	Timeout    Duration `yaml:"timeout"`
	RateWindow Duration `yaml:"rate_window"`
	HTTPAuth   `yaml:",inline"`
	Queries    Queries    `yaml:"queries"`
	Thresholds Thresholds `yaml:"thresholds"`
	// MaxResponseBytes bounds one answer of the server (and of metrics_url's
	// /metrics); larger ones are refused and the server is asked less often.
	MaxResponseBytes Quantity `yaml:"max_response_bytes,omitempty"`
	// AlertsURL is the server evaluating the alert rules when url's store
	// evaluates none (vmalert beside VictoriaMetrics).
	AlertsURL string `yaml:"alerts_url,omitempty"`
}

// HTTPAuth is how an HTTP server (Prometheus, Jaeger, or a proxy in front
// of one) wants to be spoken to: at most one of the token, the token file
// and basic auth; extra headers; TLS.
type HTTPAuth struct {
	BearerToken     Secret            `yaml:"bearer_token,omitempty"`
	BearerTokenFile string            `yaml:"bearer_token_file,omitempty"`
	BasicAuth       *BasicAuth        `yaml:"basic_auth,omitempty"`
	Headers         map[string]string `yaml:"headers,omitempty"`
	TLS             TLS               `yaml:"tls,omitempty"`
}

// BasicAuth is HTTP basic authentication.
type BasicAuth struct {
	Username     string `yaml:"username"`
	Password     Secret `yaml:"password,omitempty"`
	PasswordFile string `yaml:"password_file,omitempty"`
}

// TLS options for servers behind TLS (Thanos, Mimir, VictoriaMetrics, Jaeger).
type TLS struct {
	CAFile             string `yaml:"ca_file,omitempty"`
	CertFile           string `yaml:"cert_file,omitempty"`
	KeyFile            string `yaml:"key_file,omitempty"`
	ServerName         string `yaml:"server_name,omitempty"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify,omitempty"`
}

// Queries holds the PromQL of each golden signal. Empty fields get defaults
// built from the selector and rate window.
type Queries struct {
	RPS        string `yaml:"rps"`
	ErrorRate  string `yaml:"error_rate"`
	P95Latency string `yaml:"p95_latency"`
	Memory     string `yaml:"memory"`
}

// Thresholds per golden signal, in the signal's unit (error rate as a ratio,
// latency in seconds, memory in bytes). Written values may carry suffixes: 5%, 2s, 1GiB.
type Thresholds struct {
	RPS        Threshold `yaml:"rps"`
	ErrorRate  Threshold `yaml:"error_rate"`
	P95Latency Threshold `yaml:"p95_latency"`
	Memory     Threshold `yaml:"memory"`
}

// Threshold colours a value warn or crit when it reaches Warn or Crit. Nil disables a level.
type Threshold struct {
	Warn *Quantity `yaml:"warn,omitempty"`
	Crit *Quantity `yaml:"crit,omitempty"`
}

// Postgres connection of an environment (the Origin DSN points at pgbouncer).
type Postgres struct {
	URL string `yaml:"url"`
	// PgbouncerURL is pgbouncer's admin console (database "pgbouncer"), for its pools.
	PgbouncerURL string `yaml:"pgbouncer_url,omitempty"`
	// StatementTimeout bounds every query opsdeck sends.
	StatementTimeout Duration `yaml:"statement_timeout"`
	// Timeout bounds a whole poll, connecting included: a hung server or
	// network is reported after it.
	Timeout Duration `yaml:"timeout"`
	// RequiredExtensions are flagged when missing (Origin needs "vector").
	RequiredExtensions []string `yaml:"required_extensions,omitempty"`
	// Thresholds colour the pane's figures.
	Thresholds PostgresThresholds `yaml:"thresholds"`
}

// PostgresThresholds colour the Postgres pane: connections as a share of
// the usable max_connections, and the ages of the longest transaction and
// query.
type PostgresThresholds struct {
	Connections    Threshold `yaml:"connections"`
	TransactionAge Threshold `yaml:"transaction_age"`
	QueryAge       Threshold `yaml:"query_age"`
}

// Redis connection of an environment and the Celery queue keys to watch.
type Redis struct {
	URL string `yaml:"url"`
	// Timeout bounds a whole poll, connecting included.
	Timeout Duration `yaml:"timeout"`
	// Mode is single (default), sentinel or cluster.
	Mode string `yaml:"mode"`
	// Addrs are further cluster seed nodes, or the sentinels (host:port).
	Addrs []string `yaml:"addrs,omitempty"`
	// MasterName is the Sentinel master's name.
	MasterName string `yaml:"master_name,omitempty"`
	// SentinelPassword is the sentinels' own requirepass, when they have one.
	SentinelPassword Secret   `yaml:"sentinel_password,omitempty"`
	Queues           []string `yaml:"queues"`
	// QueueThresholds colour queue lengths (tasks waiting).
	QueueThresholds Threshold `yaml:"queue_thresholds"`
	// MemoryThresholds colour used memory as a share of maxmemory.
	MemoryThresholds Threshold `yaml:"memory_thresholds"`
}

// Redis modes.
const (
	RedisSingle   = "single"
	RedisSentinel = "sentinel"
	RedisCluster  = "cluster"
)

// Alembic project of an environment.
type Alembic struct {
	Dir string `yaml:"dir"`
	// CheckCommand is the `alembic check` probe, run on demand in Dir with
	// DATABASE_URL set (argv split on spaces; no shell).
	CheckCommand string `yaml:"check_command"`
	// Env are extra variables for Alembic commands (Origin's env.py needs
	// DB_ENCRYPTION_KEY). Values are treated as secrets.
	Env map[string]string `yaml:"env,omitempty"`
}

// Duration is a time.Duration written in Go syntax ("2s", "15m").
type Duration time.Duration

// D returns the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// MarshalYAML prints the duration the way it is written.
func (d Duration) MarshalYAML() (any, error) { return units.ShortDuration(time.Duration(d)), nil }

// Secret is a string that never prints.
type Secret string

// MarshalYAML masks the secret.
func (s Secret) MarshalYAML() (any, error) {
	if s == "" {
		return "", nil
	}
	return "<redacted>", nil
}

// String masks the secret so that %v never leaks it.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "<redacted>"
}

// Quantity is a threshold value in the metric's base unit, remembering which
// suffix it was written with so that "2GiB" for a latency can be refused.
type Quantity struct {
	Value float64
	Kind  units.Kind
}

// MarshalYAML prints the value the way it was written: 2%, 800ms, 2GiB or a number.
func (q Quantity) MarshalYAML() (any, error) {
	switch q.Kind {
	case units.Percent:
		return strconv.FormatFloat(q.Value*100, 'g', -1, 64) + "%", nil
	case units.Duration:
		return time.Duration(q.Value * float64(time.Second)).String(), nil
	case units.Size:
		for _, m := range []struct {
			suffix string
			mult   float64
		}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
			if n := q.Value / m.mult; n >= 1 && n == math.Trunc(n) {
				return strconv.FormatFloat(n, 'f', -1, 64) + m.suffix, nil
			}
		}
		return strconv.FormatFloat(q.Value, 'f', -1, 64) + "B", nil
	}
	return q.Value, nil
}

// Q is shorthand for a plain quantity, used for defaults and in tests.
func Q(v float64) *Quantity { return &Quantity{Value: v} }

// Get returns the named environment.
func (c *Config) Get(name string) (*Environment, error) {
	if e, ok := c.Environments[name]; ok {
		return e, nil
	}
	names := append([]string(nil), c.Order...)
	sort.Strings(names)
	return nil, fmt.Errorf("no environment %q in %s (have: %v)", name, c.Source, names)
}
