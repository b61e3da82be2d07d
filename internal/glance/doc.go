// Package glance reads one environment at a glance: its golden signals
// with a sparkline each, firing alerts, Postgres, Redis, migrations and
// schema drift, each part with its own error, and how bad the worst of it
// is. The overview screen polls every environment with it, and `opsdeck
// check --all` ranks environments by it.
package glance
