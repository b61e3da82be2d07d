package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/sources"
)

// literal quotes s as an SQL string literal (standard_conforming_strings,
// the default since 9.1): the statements go by the simple protocol, one
// round trip, without bound parameters.
func literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// tableActivitySQL reads, for the named tables, the locks other sessions
// hold or await on them, the transactions open longer than $OLD seconds
// and the tables' counters; with no table named, every user table's
// counters only.
const tableActivitySQL = `WITH t AS (
  SELECT x AS name, to_regclass(x) AS oid FROM unnest($TABLES::text[]) x
), l AS (
  SELECT a.*, l.mode AS lock_mode, l.granted AS lock_granted, t.name AS lock_table
  FROM pg_locks l JOIN t ON l.relation = t.oid JOIN pg_stat_activity a ON a.pid = l.pid
  WHERE l.locktype = 'relation' AND l.pid <> pg_backend_pid()
    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
)
SELECT json_build_object(
  'major', current_setting('server_version_num')::int / 10000,
  'locks', (SELECT json_agg(` + sessionJSON + `::jsonb || jsonb_build_object('table', lock_table, 'mode', lock_mode, 'granted', lock_granted)
            ORDER BY lock_granted DESC, xact_start) FROM l),
  'old', (SELECT json_agg(` + sessionJSON + ` ORDER BY xact_start) FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
            AND xact_start < now() - make_interval(secs => $OLD)),
  'counters', (SELECT json_object_agg(coalesce(t.name, s.schemaname || '.' || s.relname),
                 json_build_object('scans', coalesce(s.seq_scan, 0) + coalesce(s.idx_scan, 0),
                                   'writes', s.n_tup_ins + s.n_tup_upd + s.n_tup_del))
               FROM pg_stat_user_tables s LEFT JOIN t ON t.oid = s.relid
               WHERE t.oid IS NOT NULL OR cardinality($TABLES::text[]) = 0)
)`

// TableActivity reads what a migration on tables would meet now, in one
// round trip, read-only: see sources.TableActivity. Tables are named as
// the migration names them (resolved by the search path); a table that
// does not exist yet is left out.
func (c *Client) TableActivity(ctx context.Context, tables []string, olderThan time.Duration) (sources.TableActivity, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	quoted := make([]string, len(tables))
	for i, t := range tables {
		quoted[i] = literal(t)
	}
	arr := "ARRAY[" + strings.Join(quoted, ",") + "]"
	if len(tables) == 0 {
		arr = "ARRAY[]::text[]"
	}
	sql := transaction(true, c.opts.StatementTimeout,
		strings.NewReplacer("$TABLES", arr, "$OLD", fmt.Sprintf("%.3f", olderThan.Seconds())).Replace(tableActivitySQL))
	results, err := c.exec(ctx, sql)
	if err != nil {
		return sources.TableActivity{}, c.describe(ctx, err)
	}
	var doc []byte
	for _, r := range results {
		if len(r.Rows) == 1 && len(r.Rows[0]) == 1 {
			doc = r.Rows[0][0]
		}
	}
	if doc == nil {
		return sources.TableActivity{}, errors.New("postgres answered no table activity")
	}
	var w struct {
		Locks []struct {
			wireSession
			Table   string `json:"table"`
			Mode    string `json:"mode"`
			Granted bool   `json:"granted"`
		} `json:"locks"`
		Major    int                              `json:"major"`
		Old      []wireSession                    `json:"old"`
		Counters map[string]sources.TableCounters `json:"counters"`
	}
	if err := json.Unmarshal(doc, &w); err != nil {
		return sources.TableActivity{}, fmt.Errorf("postgres answered an unreadable table activity: %v", err)
	}
	out := sources.TableActivity{At: time.Now(), Major: w.Major, Counters: w.Counters}
	for _, l := range w.Locks {
		out.Locks = append(out.Locks, sources.TableLock{Session: l.session(), Table: l.Table, Mode: l.Mode, Granted: l.Granted})
	}
	for _, s := range w.Old {
		out.Old = append(out.Old, s.session())
	}
	return out, nil
}
