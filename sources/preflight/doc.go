// Package preflight judges a pending migration before it runs: the SQL
// Alembic renders for it (offline mode), cut into statements as the
// server would cut them and judged statement by statement against
// PostgreSQL's documented lock levels; a rehearsal in a scratch database,
// as a role made for it with no power beyond that database and within a
// time limit, that reads the locks and rewrites that really happen; and
// the live sessions and traffic the migration would queue behind or hold
// up.
package preflight
