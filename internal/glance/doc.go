// Package glance is one environment at a glance, as the overview shows it:
// its golden signals with a sparkline each, and every other source's cells
// as its section in the snapshot says them (internal/snapshot.Sources),
// each part with why it could not be read, and how bad the worst of it is.
// The overview screen polls every environment with Read.
package glance
