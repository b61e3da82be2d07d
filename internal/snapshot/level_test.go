package snapshot

import (
	"testing"

	"github.com/opsdeck/opsdeck/sources"
)

// TestLevel: what makes an environment critical, what only warns, as the
// sections' cells say it (the overview ranks environments by it).
func TestLevel(t *testing.T) {
	healthy := func() *Document {
		return &Document{Metrics: map[string]Metric{"rps": {Title: "Requests/s", Status: "ok", Value: new(1.0)}}, order: []string{"rps"},
			Postgres: Postgres{configured: true, Reachable: true, DBState: &sources.DBState{Connections: sources.DBConnections{Total: 3, Max: 100}}},
			Redis: Redis{configured: true, Reachable: true, CacheState: &sources.CacheState{UsedMemory: 1 << 20,
				Queues: []sources.Queue{{Name: "celery", Length: 3}}}, queueThresholds: sources.Thresholds{Warn: new(100.0), Crit: new(1000.0)}},
			Celery: Celery{configured: true, Reachable: true, CeleryState: &sources.CeleryState{Workers: []sources.CeleryWorker{{Hostname: "w1", Online: true}},
				Queues: []sources.CeleryQueue{{Name: "celery", Waiting: 3}}}, queueThresholds: sources.Thresholds{Warn: new(100.0), Crit: new(1000.0)}},
			Migrations:  Migrations{configured: true, MigrationState: &sources.MigrationState{Status: sources.MigrationsUpToDate}},
			SchemaDrift: SchemaDrift{configured: true, Differences: []sources.Difference{}},
		}
	}
	for _, c := range []struct {
		name string
		edit func(*Document)
		want sources.Status
	}{
		{"healthy", func(*Document) {}, sources.StatusOK},
		{"a critical signal", func(d *Document) { d.Metrics["rps"] = Metric{Status: "crit"} }, sources.StatusCrit},
		{"a signal that cannot be read", func(d *Document) { d.Metrics["rps"] = Metric{Status: "error", Error: "down"} }, sources.StatusWarn},
		{"a critical alert", func(d *Document) { d.Alerts = []Alert{{State: "firing", Severity: "critical"}} }, sources.StatusCrit},
		{"a warning alert", func(d *Document) { d.Alerts = []Alert{{State: "firing", Severity: "warning"}} }, sources.StatusWarn},
		{"Postgres down", func(d *Document) { d.Postgres = Postgres{configured: true, Error: "refused"} }, sources.StatusCrit},
		{"no Postgres configured", func(d *Document) { d.Postgres = Postgres{} }, sources.StatusOK},
		{"blocked sessions", func(d *Document) { d.Postgres.Blocked = []sources.DBSession{{PID: 1}} }, sources.StatusWarn},
		{"Redis down", func(d *Document) { d.Redis = Redis{configured: true, Error: "refused"} }, sources.StatusCrit},
		{"a long queue", func(d *Document) { d.Redis.Queues = []sources.Queue{{Name: "celery", Length: 5000}} }, sources.StatusCrit},
		{"a Celery worker gone", func(d *Document) {
			d.Celery.Workers = append(d.Celery.Workers, sources.CeleryWorker{Hostname: "w2"})
		}, sources.StatusCrit},
		{"a Celery queue over its warning", func(d *Document) { d.Celery.Queues[0].Waiting = 500 }, sources.StatusWarn},
		{"Celery down", func(d *Document) { d.Celery = Celery{configured: true, Error: "refused"} }, sources.StatusCrit},
		{"behind", func(d *Document) { d.Migrations.Status = "behind" }, sources.StatusWarn},
		{"an unknown revision", func(d *Document) { d.Migrations.Status = "unknown_revision" }, sources.StatusCrit},
		{"a hazardous difference", func(d *Document) {
			d.SchemaDrift.Differences = []sources.Difference{{Hazardous: true}, {}}
		}, sources.StatusCrit},
		{"a difference", func(d *Document) { d.SchemaDrift.Differences = []sources.Difference{{}} }, sources.StatusWarn},
	} {
		d := healthy()
		c.edit(d)
		if got := d.Level(); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}
