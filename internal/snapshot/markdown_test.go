package snapshot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
)

func ptr[T any](v T) *T { return &v }

// sample is a document as an incident produces it: an error spike with a
// firing alert, a blocked session, a growing queue, pending migrations and
// drift.
func sample() *Document {
	d := &Document{
		Environment: "production",
		TakenAt:     "2026-11-25T14:32:10.123Z",
		Prometheus:  "http://prometheus.prod:9090",
		Metrics: map[string]Metric{
			sources.RPS:        {Title: "Requests/s", Value: ptr(52.3), Unit: string(units.ReqPerSec), Status: "ok"},
			sources.ErrorRate:  {Title: "Error rate (5xx)", Value: ptr(0.121), Unit: string(units.Ratio), Status: "crit"},
			sources.P95Latency: {Title: "P95 latency", Value: ptr(1.4), Unit: string(units.Seconds), Status: "warn"},
			sources.Memory:     {Title: "Memory (RSS)", Unit: string(units.Bytes), Status: "error", Error: "prometheus: no answer within 5s"},
			"grafana:1":        {Title: "Memory Usage", Unit: "", Status: "no_data", Diagnosis: "metric memory_usage_bytes does not exist; closest: origin_memory_usage_bytes"},
		},
		order: []string{sources.RPS, sources.ErrorRate, sources.P95Latency, sources.Memory, "grafana:1"},
		Alerts: []Alert{
			{Name: "OriginHighErrorRate", State: "firing", Severity: "critical", Summary: "High API error rate", ActiveAt: "2026-11-25T14:25:00Z"},
			{Name: "OriginP95LatencyDegraded", State: "pending", Severity: "warning"},
		},
		Postgres: Postgres{Reachable: true, Target: "postgresql://origin:xxxxx@db.prod:6432/origin_db", DBState: &sources.DBState{
			Version: "16.4", Role: "primary", DatabaseSize: 2 << 30,
			Connections:        sources.DBConnections{Total: 42, Max: 100, Active: 9, Idle: 30, IdleInTransaction: 3},
			Blocked:            []sources.DBSession{{PID: 4301, BlockedBy: []int{4100}, Query: "UPDATE conversations SET title = $1\n WHERE id = $2"}},
			LongestTransaction: &sources.DBSession{PID: 4100, User: "origin", State: "idle in transaction", XactAge: 312, Query: "SELECT * FROM messages | x"},
			CacheHitRatio:      ptr(0.996),
			MissingExtensions:  []string{"vector"},
		}},
		Redis: Redis{Reachable: true, Target: "redis://cache.prod:6379/0", CacheState: &sources.CacheState{
			Version: "7.2.4", Role: "master", UsedMemory: 318 << 20, MaxMemory: 1 << 30, ConnectedClients: 23, OpsPerSec: 1840,
			Queues:   []sources.Queue{{Name: "celery", Length: 1370, Growth: ptr(int64(1200)), GrowthOver: 10 * time.Minute}},
			Keyspace: []sources.CacheDB{{DB: 0, Keys: 48210}},
		}},
		Celery: Celery{Reachable: true, configured: true, Target: "redis://cache.prod:6379/1", WindowSeconds: 600, CeleryState: &sources.CeleryState{
			Workers: []sources.CeleryWorker{{Hostname: "celery@worker-1", Online: true}, {Hostname: "celery@worker-2"}},
			Queues:  []sources.CeleryQueue{{Name: "celery", Waiting: 1370, Unacked: 4}},
			Tasks: []sources.CeleryTask{{Name: "origin.tasks.embed", Received: 600, Failed: 30, ReceivedPerSec: 1, FailedPerSec: 0.05,
				P95: ptr(2.5)}},
			Failures: []sources.CeleryFailure{{ID: "d9a1c2e0", Name: "origin.tasks.embed", Exception: "TimeoutError('pgvector | slow')",
				Worker: "celery@worker-1", At: time.Date(2026, 11, 25, 14, 31, 0, 0, time.UTC)}},
			Window: 10 * time.Minute,
		}},
		Migrations: Migrations{Dir: "/srv/origin/alembic", MigrationState: &sources.MigrationState{
			Status: "behind", Current: []string{"c7d0e5f19a24"}, Heads: []string{"1e9b7a6c5d40"}, Revisions: 5,
			Pending: []sources.Revision{{ID: "5a0f3b8e2c61", Message: "user facts"}, {ID: "1e9b7a6c5d40", Message: "message versions"}},
		}},
		SLOs: SLOs{Target: "http://prometheus.prod:9090", configured: true, Objectives: []Objective{
			ObjectiveOf(sources.SLO{Name: "origin-api/requests-availability", Origin: "sloth", Objective: 0.995, Window: 30 * 24 * time.Hour,
				ErrorRatios: map[time.Duration]float64{5 * time.Minute: 0.121, 30 * time.Minute: 0.09, time.Hour: 0.08, 2 * time.Hour: 0.04,
					6 * time.Hour: 0.035, 24 * time.Hour: 0.01, 72 * time.Hour: 0.005, 30 * 24 * time.Hour: 0.003}}),
			ObjectiveOf(sources.SLO{Name: "origin-api/requests-latency", Origin: "sloth", Objective: 0.99, Window: 30 * 24 * time.Hour,
				ErrorRatios: map[time.Duration]float64{5 * time.Minute: 0.002, 30 * time.Minute: 0.002, time.Hour: 0.002, 2 * time.Hour: 0.002,
					6 * time.Hour: 0.002, 24 * time.Hour: 0.002, 72 * time.Hour: 0.002, 30 * 24 * time.Hour: 0.001}}),
			{Name: "checkout", Origin: "config", Objective: 0.999, Window: "30d", Status: sources.StatusError, Problem: "query rejected: unknown function"},
		}},
		SchemaDrift: SchemaDrift{Reference: "schema-at-head.json", Differences: []sources.Difference{
			{Detail: "column users.legacy_flag is not in the reference", Hazardous: true},
			{Detail: "index messages_created_idx is missing"},
		}},
		SlowTraces: []SlowTrace{{Time: "2026-11-25T14:31:02Z", Seconds: 4.2, Route: "/api/chat", TraceID: "4bf92f3577b34da6a3ce929d0e0e4736",
			URL: "https://jaeger.example.com/trace/4bf92f3577b34da6a3ce929d0e0e4736"}, {Time: "2026-11-25T14:30:40Z", Seconds: 0.9, Route: "/api/messages", TraceID: "00f067aa0ba902b7"}},
		ChangesSince: "2026-11-25T14:17:10Z",
		Changes: []Change{{Time: "2026-11-25T14:20:05Z", Kind: sources.MarkDeploy, Text: "deploy version=1.4.2 on api-1:8000"},
			{Time: "2026-11-25T14:25:00Z", Kind: sources.MarkAlert, Text: "OriginHighErrorRate (critical) firing"},
			{Time: "2026-11-25T14:28:40Z", Kind: sources.MarkMigration, Text: "migration c7d0 → 5a0f | with a pipe"}},
		RecentActions: []Action{
			{Time: "2026-11-25 14:20:03Z", Action: "migrate", User: "alice", Outcome: "exit 1: alembic failed", Duration: "12s"},
			{Time: "2026-11-25 09:02:41Z", Action: "flush-sessions", User: "bob", Outcome: "exit 0", Duration: "1.2s"},
		},
	}
	return d
}

func TestMarkdownReport(t *testing.T) {
	golden.RequireEqual(t, []byte(sample().Markdown()))
}

func TestMarkdownOfAnEmptyEnvironment(t *testing.T) {
	d := &Document{Environment: "laptop", TakenAt: "2026-11-25T14:32:10Z", Metrics: map[string]Metric{},
		AlertsError: "no Prometheus URL", Postgres: Postgres{Error: "no PostgreSQL"}, Redis: Redis{Error: "no Redis"},
		Celery: Celery{Error: "no Celery: set celery.broker_url"}, Migrations: Migrations{Error: "no Alembic project"}, SchemaDrift: SchemaDrift{Error: "no schema reference"},
		SLOs: SLOs{Error: "no SLOs: they are read from the rules of the Prometheus at prometheus.url"}}
	golden.RequireEqual(t, []byte(d.Markdown()))
}

// TestFocusIsSaid: a report taken while the console was focused on one
// value says so, in every format, before the figures it qualifies.
func TestFocusIsSaid(t *testing.T) {
	env := &sources.Environment{Name: "qa", Narrowing: sources.Narrowing{Label: "handler", Value: "/api/chat"},
		Metrics: sources.Opened[sources.Metrics]{Problem: "no Prometheus"}, Database: sources.Opened[sources.Database]{Problem: "-"},
		Cache: sources.Opened[sources.Cache]{Problem: "-"}}
	d := Take(context.Background(), env, time.Unix(1_700_000_000, 0))
	if d.Focus != `handler="/api/chat"` {
		t.Fatalf("focus %q", d.Focus)
	}
	if md := d.Markdown(); !strings.Contains(md, "**Focused on `handler=\"/api/chat\"`**") {
		t.Errorf("markdown:\n%s", md)
	}
	if txt := d.Text(); !strings.Contains(txt, `focused on handler="/api/chat"`) {
		t.Errorf("text:\n%s", txt)
	}
	out, err := d.JSON()
	if err != nil || !strings.Contains(string(out), `"focus": "handler=\"/api/chat\""`) {
		t.Errorf("json: %v\n%s", err, out)
	}
	if d := Take(context.Background(), &sources.Environment{Name: "qa"}, time.Unix(1_700_000_000, 0)); d.Focus != "" || strings.Contains(d.Markdown(), "Focused") {
		t.Error("no focus, no word of one")
	}
}
