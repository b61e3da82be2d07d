package glance

import (
	"testing"

	"github.com/opsdeck/opsdeck/sources"
)

// TestLevel: what makes an environment critical, what only warns.
func TestLevel(t *testing.T) {
	ok := Row{Signals: []Signal{{Status: sources.StatusOK}}, Alerts: Alerts{Known: true}, Postgres: Postgres{Configured: true, Reachable: true},
		Redis: Redis{Configured: true, Reachable: true, QueueStatus: sources.StatusOK}, Migrations: Migrations{Configured: true, Status: "up_to_date"}}
	for _, c := range []struct {
		name string
		edit func(*Row)
		want sources.Status
	}{
		{"healthy", func(*Row) {}, sources.StatusOK},
		{"a critical signal", func(r *Row) { r.Signals = []Signal{{Status: sources.StatusCrit}} }, sources.StatusCrit},
		{"a signal that cannot be read", func(r *Row) { r.Signals = []Signal{{Status: sources.StatusError, Err: "down"}} }, sources.StatusWarn},
		{"a critical alert", func(r *Row) { r.Alerts = Alerts{Known: true, Firing: 2, Worst: "critical"} }, sources.StatusCrit},
		{"a warning alert", func(r *Row) { r.Alerts = Alerts{Known: true, Firing: 1, Worst: "warning"} }, sources.StatusWarn},
		{"Postgres down", func(r *Row) { r.Postgres = Postgres{Configured: true, Err: "refused"} }, sources.StatusCrit},
		{"no Postgres configured", func(r *Row) { r.Postgres = Postgres{} }, sources.StatusOK},
		{"blocked sessions", func(r *Row) { r.Postgres.Blocked = 3 }, sources.StatusWarn},
		{"Redis down", func(r *Row) { r.Redis = Redis{Configured: true, Err: "refused"} }, sources.StatusCrit},
		{"a long queue", func(r *Row) { r.Redis.QueueStatus = sources.StatusCrit }, sources.StatusCrit},
		{"behind", func(r *Row) { r.Migrations.Status = "behind" }, sources.StatusWarn},
		{"an unknown revision", func(r *Row) { r.Migrations.Status = "unknown_revision" }, sources.StatusCrit},
		{"a hazardous difference", func(r *Row) { r.Drift = Drift{Configured: true, Differences: 2, Hazardous: 1} }, sources.StatusCrit},
		{"a difference", func(r *Row) { r.Drift = Drift{Configured: true, Differences: 1} }, sources.StatusWarn},
	} {
		r := ok
		c.edit(&r)
		if got := r.Level(); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}
