package config

import (
	"github.com/opsdeck/opsdeck/sources"
	"strconv"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/internal/units"
)

// Defaults used where the file (or environment) says nothing. The thresholds
// come from Origin's alert rules: error rate > 5 % is critical, P95 > 2 s degraded.
const (
	DefaultRefresh = 2 * time.Second
	// DefaultOverviewRefresh is how often the overview reads every environment.
	DefaultOverviewRefresh = 10 * time.Second
	DefaultWindow          = 15 * time.Minute
	DefaultTimeout         = 5 * time.Second
	// DefaultAckDuration is how long an acknowledgement silences an alert.
	DefaultAckDuration = 30 * time.Minute
	DefaultRateWindow  = time.Minute
	DefaultSelector    = `job="fastapi-app"`
	DefaultEnvironment = "default"
	DefaultQueue       = "celery"
	// DefaultMigrateCommand is the runbook's deploy step.
	DefaultMigrateCommand = "alembic upgrade head"
	DefaultMigrateTimeout = 10 * time.Minute
	// DefaultMigrateLockTimeout is how long a migration's statement waits
	// for a lock before the migration gives up.
	DefaultMigrateLockTimeout = 5 * time.Second
)

// DefaultCeleryQueues are Origin's queues.
var DefaultCeleryQueues = []string{"default", "high_priority", "low_priority"}

const (
	// DefaultCheckCommand is the runbook's model-vs-migrations check.
	DefaultCheckCommand = "alembic check"
	// DefaultStatementTimeout keeps opsdeck's queries from ever weighing on production.
	DefaultStatementTimeout = 2 * time.Second
)

// DefaultQueueThresholds: Origin's CeleryQueueBacklog alert fires when more
// than 100 tasks pile up; ten times that is an outage.
func DefaultQueueThresholds() Threshold { return Threshold{Warn: Q(100), Crit: Q(1000)} }

// DefaultPostgresThresholds: connections near the limit, and a transaction
// or query long enough to hold locks others wait on.
func DefaultPostgresThresholds() PostgresThresholds {
	return PostgresThresholds{
		Connections:    Threshold{Warn: percent(0.8), Crit: percent(0.95)},
		TransactionAge: Threshold{Warn: seconds(60)},
		QueryAge:       Threshold{Warn: seconds(30)},
	}
}

// DefaultMemoryThresholds: Redis near its maxmemory starts evicting.
func DefaultMemoryThresholds() Threshold { return Threshold{Warn: percent(0.8), Crit: percent(0.95)} }

// percent and seconds are defaults as a person would write them (80%, 1m0s).
func percent(v float64) *Quantity { return &Quantity{Value: v, Kind: units.Percent} }
func seconds(v float64) *Quantity { return &Quantity{Value: v, Kind: units.Duration} }

// DefaultThresholds are Origin's alerting levels; RPS and memory have none
// until a team sets its own.
func DefaultThresholds() Thresholds {
	return Thresholds{
		ErrorRate:  Threshold{Warn: Q(0.01), Crit: Q(0.05)},
		P95Latency: Threshold{Warn: Q(1), Crit: Q(2)},
	}
}

// goldenSeries are the series the golden signals read, with the rate window
// where one applies: the parts DefaultQueries and DefaultSplits both build on.
type goldenSeries struct {
	requests, errors, buckets, memory string
}

func seriesOf(selector string, rateWindow time.Duration) goldenSeries {
	w := "[" + promDuration(rateWindow) + "]"
	sel := func(extra ...string) string {
		var parts []string
		if s := strings.TrimSpace(selector); s != "" {
			parts = append(parts, s)
		}
		parts = append(parts, extra...)
		if len(parts) == 0 {
			return ""
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return goldenSeries{
		requests: "http_requests_total" + sel() + w,
		errors:   "http_requests_total" + sel(`status=~"5.."`) + w,
		buckets:  "http_request_duration_seconds_bucket" + sel() + w,
		memory:   "process_resident_memory_bytes" + sel(),
	}
}

// DefaultQueries builds the golden-signal PromQL for the metrics the Origin API
// exports (prometheus-fastapi-instrumentator plus the process collector).
// The error-rate numerator falls back to 0 when no 5xx series exists yet, so a
// healthy service reads 0 % rather than "no data".
func DefaultQueries(selector string, rateWindow time.Duration) Queries {
	g := seriesOf(selector, rateWindow)
	return Queries{
		RPS:        "sum(rate(" + g.requests + "))",
		ErrorRate:  "(sum(rate(" + g.errors + ")) or vector(0)) / sum(rate(" + g.requests + "))",
		P95Latency: "histogram_quantile(0.95, sum by (le) (rate(" + g.buckets + ")))",
		Memory:     "sum(" + g.memory + ")",
	}
}

// DefaultSplits are the golden signals split by one label, each the right
// way for what it measures (sources.SplitLabel stands for the label): rates
// summed by it; the error rate as each value's 5xx rate over its own total
// (0 where it has no errors); P95 from the buckets summed by le and it;
// memory summed by it.
func DefaultSplits(selector string, rateWindow time.Duration) Queries {
	g, by := seriesOf(selector, rateWindow), sources.SplitLabel
	total := "sum by (" + by + ") (rate(" + g.requests + "))"
	return Queries{
		RPS:        total,
		ErrorRate:  "(sum by (" + by + ") (rate(" + g.errors + ")) or 0 * " + total + ") / " + total,
		P95Latency: "histogram_quantile(0.95, sum by (le, " + by + ") (rate(" + g.buckets + ")))",
		Memory:     "sum by (" + by + ") (" + g.memory + ")",
	}
}

// DefaultRanks are the splits' cheaper rankings, where there is one: the
// error rate of the values that have errors evaluates the total rate once,
// where its split (which keeps the others at 0 %) evaluates it twice.
func DefaultRanks(selector string, rateWindow time.Duration) Queries {
	g, by := seriesOf(selector, rateWindow), sources.SplitLabel
	return Queries{ErrorRate: "sum by (" + by + ") (rate(" + g.errors + ")) / sum by (" + by + ") (rate(" + g.requests + "))"}
}

// promDuration writes a duration in PromQL syntax (1m, 90s, 1h30m).
func promDuration(d time.Duration) string {
	if d <= 0 {
		d = DefaultRateWindow
	}
	var b strings.Builder
	for _, u := range []struct {
		d time.Duration
		s string
	}{{time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}, {time.Millisecond, "ms"}} {
		if n := d / u.d; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10) + u.s)
			d -= n * u.d
		}
	}
	return b.String()
}
