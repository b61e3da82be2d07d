// Package overview is the screen of every environment at once: a row each
// (its guard badges, the four golden signals with a sparkline, firing
// alerts, Postgres, Redis, migrations and schema drift), the worst first.
// Each environment is read on its own clients at its own pace: one that is
// down says so with the age of its data and never delays the others.
package overview
