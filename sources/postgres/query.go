package postgres

import (
	"fmt"
	"strings"
	"time"
)

// pollSQL is the whole poll: one simple-protocol message, so one round trip.
// It runs in a read-only transaction with a statement timeout, reads only
// statistics views and the catalogue (no table is opened, so no lock an
// application could wait on is taken), and answers with one JSON document.
//
// pg_blocking_pids takes the lock manager's partition locks briefly; it is
// only called for sessions that already wait on a lock.
//
// pg_database_size stats every file of the database (6 ms with 500 tables):
// it is asked only when withSize is set, every sizeEvery.
//
// statements, when set, is the schema-qualified pg_stat_statements view
// (known to be installed and loaded from the previous poll): its entries are
// read by a second SELECT in the same message.
func pollSQL(timeout time.Duration, sessions, withSize bool, statements string) string {
	stmts := []string{strings.NewReplacer("$SESSIONS", fmt.Sprint(sessions), "$SIZE", fmt.Sprint(withSize)).Replace(stateSQL)}
	if statements != "" {
		stmts = append(stmts, strings.ReplaceAll(statementsSQL, "$VIEW", statements))
	}
	return transaction(true, timeout, stmts...)
}

// ownMark opens every statement opsdeck sends: pg_stat_statements keeps a
// statement's first text, comments and all, and the top statements leave
// out the ones that open with it.
const ownMark = "/* opsdeck */ "

// transaction is stmts in one transaction (read-only or not) with
// statement and lock timeouts, as one simple-protocol message, so one round
// trip; SET LOCAL, as through pgbouncer a session's setting would outlive it.
func transaction(readOnly bool, timeout time.Duration, stmts ...string) string {
	ms := max(timeout.Milliseconds(), 1)
	begin := "BEGIN"
	if readOnly {
		begin += " READ ONLY"
	}
	all := append([]string{begin, fmt.Sprintf("SET LOCAL statement_timeout = %d", ms), fmt.Sprintf("SET LOCAL lock_timeout = %d", ms)}, stmts...)
	return ownMark + strings.Join(append(all, "COMMIT"), ";\n"+ownMark)
}

// statementLimit bounds a statements read. Entries come by cumulative time,
// so a statement only now getting busy may be missed until it climbs in.
const statementLimit = 1000

// statementsSQL reads this database's pg_stat_statements entries, the
// busiest by cumulative time first, their text cut.
var statementsSQL = fmt.Sprintf(`SELECT json_build_object('entries', (SELECT coalesce(json_agg(s), '[]') FROM (
  SELECT queryid AS id, userid::regrole::text AS user, calls, total_exec_time AS ms, rows, left(query, 400) AS query
  FROM $VIEW
  WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND queryid IS NOT NULL
    AND query NOT LIKE '`+ownMark+`%%'
  ORDER BY total_exec_time DESC LIMIT %d) s))`, statementLimit)

// sessionJSON is one pg_stat_activity row as DBSession reads it.
const sessionJSON = `json_build_object(
  'pid', pid, 'user', usename, 'database', datname, 'application', application_name,
  'client', coalesce(host(client_addr), CASE WHEN client_port = -1 THEN 'socket' END),
  'state', coalesce(state, ''),
  'wait', CASE WHEN wait_event IS NOT NULL THEN wait_event_type || ':' || wait_event END,
  'backend_age', extract(epoch FROM now() - backend_start),
  'query_age', extract(epoch FROM now() - query_start),
  'xact_age', extract(epoch FROM now() - xact_start),
  'state_age', extract(epoch FROM now() - state_change),
  'query', left(query, 500))`

const stateSQL = `WITH act AS (
  -- Without pg_read_all_stats, other roles' sessions show a NULL backend_type;
  -- a user tells them from the server's own processes.
  -- opsdeck's own session is left out, as pg_activity does: it is always busy polling.
  SELECT * FROM pg_stat_activity
  WHERE (backend_type = 'client backend' OR (backend_type IS NULL AND usesysid IS NOT NULL))
    AND pid <> pg_backend_pid()
), blk AS (
  -- The sessions waiting on a lock, whom they wait for, and the lock: its
  -- mode and relation (pg_locks, read for these sessions only).
  SELECT a.*, pg_blocking_pids(a.pid) AS blocked_by,
         (SELECT json_build_object('mode', l.mode, 'relation', l.relation::regclass::text, 'type', l.locktype)
          FROM pg_locks l WHERE l.pid = a.pid AND NOT l.granted LIMIT 1) AS lock
  FROM act a WHERE a.wait_event_type = 'Lock' ORDER BY a.query_start LIMIT 50
)
SELECT json_build_object(
  'version', current_setting('server_version'),
  'started', pg_postmaster_start_time(),
  'recovery', pg_is_in_recovery(),
  'database', current_database(),
  'user', current_user,
  'privileged', coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false)
                OR pg_has_role(current_user, 'pg_read_all_stats', 'USAGE'),
  'max_connections', current_setting('max_connections')::int,
  'reserved', current_setting('superuser_reserved_connections')::int,
  'states', (SELECT coalesce(json_object_agg(s, n), '{}') FROM
              (SELECT coalesce(state, '') AS s, count(*) AS n FROM act GROUP BY 1) x),
  'hidden', (SELECT count(*) FROM act WHERE query = '<insufficient privilege>'),
  'waiting', (SELECT count(*) FROM act WHERE wait_event_type = 'Lock'),
  'longest_query', (SELECT ` + sessionJSON + ` FROM act
                    WHERE state = 'active' ORDER BY query_start LIMIT 1),
  'longest_xact', (SELECT ` + sessionJSON + ` FROM act
                   WHERE xact_start IS NOT NULL ORDER BY xact_start LIMIT 1),
  'blocked', (SELECT json_agg(b) FROM (
                SELECT ` + sessionJSON + `::jsonb || jsonb_build_object('blocked_by', blocked_by, 'lock', lock) AS b
                FROM blk ORDER BY query_start) x),
  -- Who blocks them and waits for nothing: the roots of the lock tree.
  'blockers', (SELECT json_agg(` + sessionJSON + ` ORDER BY pid) FROM act
               WHERE pid IN (SELECT unnest(blocked_by) FROM blk) AND pid NOT IN (SELECT pid FROM blk)),
  'counters', (SELECT json_build_object('commits', xact_commit, 'rollbacks', xact_rollback,
                 'hit', blks_hit, 'read', blks_read, 'deadlocks', deadlocks,
                 'temp_bytes', temp_bytes, 'reset', stats_reset)
               FROM pg_stat_database WHERE datname = current_database()),
  'size', CASE WHEN $SIZE THEN pg_database_size(current_database()) END,
  'tables', (SELECT json_agg(t ORDER BY t.size DESC, t.name) FROM (
      SELECT n.nspname || '.' || c.relname AS name,
             CASE WHEN c.reltuples >= 0 THEN c.reltuples::bigint
                  ELSE pg_stat_get_live_tuples(c.oid) END AS rows,
             (c.relpages + coalesce(tc.relpages, 0)
              + coalesce((SELECT sum(i.relpages) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
                          WHERE x.indrelid = c.oid), 0))::bigint
               * current_setting('block_size')::bigint AS size,
             pg_stat_get_dead_tuples(c.oid) AS dead,
             pg_stat_get_last_autovacuum_time(c.oid) AS autovacuum
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_class tc ON tc.oid = c.reltoastrelid
      WHERE c.relkind IN ('r', 'p', 'm')
        AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
      ORDER BY size DESC, name LIMIT 10) t),
  'extensions', (SELECT json_agg(json_build_object('name', extname, 'version', extversion) ORDER BY extname)
                 FROM pg_extension),
  -- Where pg_stat_statements' view is, and whether the library is loaded
  -- (NULL: the role cannot read shared_preload_libraries).
  'pgss', (SELECT json_build_object('schema', n.nspname,
             'loaded', (SELECT 'pg_stat_statements' = ANY(string_to_array(replace(setting, ' ', ''), ','))
                        FROM pg_settings WHERE name = 'shared_preload_libraries'))
           FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
           WHERE e.extname = 'pg_stat_statements'),
  'replicas', (SELECT json_agg(json_build_object(
                   'name', application_name, 'client', coalesce(host(client_addr), 'socket'),
                   'state', state, 'sync_state', sync_state,
                   'lag_bytes', pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()
                                                     ELSE pg_current_wal_lsn() END, replay_lsn)::bigint,
                   'replay_lag', extract(epoch FROM replay_lag)) ORDER BY application_name, pid)
               FROM pg_stat_replication),
  'upstream', CASE WHEN pg_is_in_recovery() THEN json_build_object(
                'status', (SELECT status FROM pg_stat_wal_receiver),
                'sender', (SELECT sender_host || ':' || sender_port FROM pg_stat_wal_receiver),
                'lag_bytes', pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::bigint,
                'replay_age', extract(epoch FROM now() - pg_last_xact_replay_timestamp())) END,
  'sessions', CASE WHEN $SESSIONS THEN (SELECT json_agg(` + sessionJSON + ` ORDER BY pid)
                                        FROM (SELECT * FROM act ORDER BY pid LIMIT 2000) a) END
)`

// schemaSQL reads the structure of every user table, its indexes and
// constraints, the extensions and the sequences, from the catalogue only.
// Objects that belong to an extension are left out (they come with it).
const schemaSQL = `WITH rel AS (
  SELECT c.oid, c.relkind,
         CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END AS name
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'S')
    AND n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
)
SELECT json_build_object(
  'tables', (SELECT coalesce(json_agg(t ORDER BY t.name), '[]') FROM (
    SELECT r.name,
      (SELECT coalesce(json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
                 'not_null', a.attnotnull, 'default', pg_get_expr(ad.adbin, ad.adrelid)) ORDER BY a.attnum), '[]')
       FROM pg_attribute a LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
       WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
      (SELECT coalesce(json_agg(json_build_object('name', i.relname, 'unique', x.indisunique,
                 'definition', pg_get_indexdef(x.indexrelid)) ORDER BY i.relname), '[]')
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
       WHERE x.indrelid = r.oid
         AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid AND k.contype IN ('p', 'u', 'x'))) AS indexes,
      (SELECT coalesce(json_agg(json_build_object('name', k.conname,
                 'kind', CASE k.contype WHEN 'p' THEN 'primary key' WHEN 'u' THEN 'unique' WHEN 'f' THEN 'foreign key'
                                        WHEN 'c' THEN 'check' ELSE 'exclusion' END,
                 'definition', pg_get_constraintdef(k.oid)) ORDER BY k.conname), '[]')
       FROM pg_constraint k WHERE k.conrelid = r.oid AND k.contype IN ('p', 'u', 'f', 'c', 'x')) AS constraints
    FROM rel r WHERE r.relkind IN ('r', 'p')) t),
  'extensions', (SELECT coalesce(json_agg(json_build_object('name', extname, 'version', extversion) ORDER BY extname), '[]')
                 FROM pg_extension),
  'sequences', (SELECT coalesce(json_agg(name ORDER BY name), '[]') FROM rel WHERE relkind = 'S')
)`
