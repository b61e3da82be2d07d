// Package sources holds the plain data types every backend produces and the
// UI and snapshot consume. Backends live in subpackages (prometheus, scrape,
// postgres, redis, alembic, drift); this package imports none of them, and
// none of them imports a UI library.
package sources
