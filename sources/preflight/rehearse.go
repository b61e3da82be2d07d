package preflight

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// Observed is what a rehearsal saw one statement do to the tables that
// existed before the migration.
type Observed struct {
	// Locks are the lock modes the statement took (pg_locks), a mode held
	// since an earlier statement of the run not counted again.
	Locks []Lock
	// Rewrite are the tables given a new file (relfilenode): every row copied.
	Rewrite []string
	// Scan are the tables read whole (pg_stat_xact_user_tables.seq_scan).
	Scan []string
	// Skipped says why the statement was not rehearsed ("" when it was).
	Skipped string
	// Err is the statement's error in the rehearsal.
	Err string
}

// snapSQL reads the rehearsing session's view of the user tables: each
// one's file node, its sequential scans in this transaction, and the
// relation locks the session holds.
const snapSQL = `SELECT json_build_object(
  'files', (SELECT json_object_agg(c.oid::regclass::text, c.relfilenode::bigint) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'),
  'scans', (SELECT json_object_agg(relid::regclass::text, seq_scan) FROM pg_stat_xact_user_tables),
  'locks', (SELECT json_agg(json_build_object('table', l.relation::regclass::text, 'mode', l.mode))
            FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
            WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted AND c.relkind IN ('r', 'p', 'm')))`

type snapshot struct {
	Files map[string]int64 `json:"files"`
	Scans map[string]int64 `json:"scans"`
	Locks []struct {
		Table string `json:"table"`
		Mode  string `json:"mode"`
	} `json:"locks"`
}

// CleanDump drops the psql meta-commands (\connect, \restrict…) from
// pg_dump's output: what is left is SQL a driver can send.
func CleanDump(dump string) string {
	lines := strings.Split(dump, "\n")
	out := lines[:0]
	for _, l := range lines {
		if strings.HasPrefix(l, `\`) {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// Rehearse creates a database of its own on the scratch server (the role
// needs CREATEDB), restores schema (pg_dump --schema-only output) into it,
// then runs the statements in one transaction that is rolled back, reading
// after each statement the locks it took, the tables it rewrote and those
// it scanned; the database is dropped at the end. The schema is committed
// before the transaction begins: tables created in the transaction would
// already be locked by it. Each statement runs under a savepoint, so that
// one that fails is said and the rest go on; CONCURRENTLY statements cannot
// run in a transaction and are skipped.
func Rehearse(ctx context.Context, serverURL, schema string, stmts []Statement) ([]Observed, error) {
	cfg, err := pgconn.ParseConfig(serverURL)
	if err != nil {
		return nil, fmt.Errorf("scratch server: %s", errors.Unwrap(err))
	}
	cfg.RuntimeParams["application_name"] = "opsdeck-rehearsal"
	admin, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("scratch server: %s", pgMessage(err))
	}
	defer admin.Close(context.Background())
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "opsdeck_rehearsal_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name).ReadAll(); err != nil {
		return nil, fmt.Errorf("cannot create a scratch database (the role needs CREATEDB): %s", pgMessage(err))
	}
	defer func() {
		drop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = admin.Exec(drop, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)").ReadAll()
	}()
	scratch := cfg.Copy()
	scratch.Database = name
	conn, err := pgconn.ConnectConfig(ctx, scratch)
	if err != nil {
		return nil, fmt.Errorf("scratch database %s: %s", name, pgMessage(err))
	}
	defer conn.Close(context.Background())
	return rehearse(ctx, conn, schema, stmts)
}

// rehearse does the work on a fresh database.
func rehearse(ctx context.Context, conn *pgconn.PgConn, schema string, stmts []Statement) ([]Observed, error) {
	exec := func(sql string) error { _, err := conn.Exec(ctx, sql).ReadAll(); return err }
	snap := func() (snapshot, error) {
		res, err := conn.Exec(ctx, snapSQL).ReadAll()
		if err != nil {
			return snapshot{}, err
		}
		var s snapshot
		if len(res) != 1 || len(res[0].Rows) != 1 {
			return s, errors.New("no snapshot row")
		}
		return s, json.Unmarshal(res[0].Rows[0][0], &s)
	}
	if err := exec(CleanDump(schema)); err != nil {
		return nil, fmt.Errorf("restoring the schema into the scratch database: %s", pgMessage(err))
	}
	defer func() { _ = exec("ROLLBACK") }()
	if err := exec("RESET search_path; BEGIN; SET LOCAL lock_timeout = '5s'"); err != nil {
		return nil, err
	}
	start, err := snap()
	if err != nil {
		return nil, err
	}
	out := make([]Observed, len(stmts))
	prev := start
	for i, s := range stmts {
		if s.Bookkeeping {
			out[i].Skipped = "Alembic's own"
			continue
		}
		if Analyze(s.SQL, 0).Concurrent {
			out[i].Skipped = "CONCURRENTLY cannot run inside the rehearsal's transaction"
			continue
		}
		if err := exec("SAVEPOINT opsdeck_step"); err != nil {
			return nil, err
		}
		if err := exec(s.SQL); err != nil {
			out[i].Err = pgMessage(err)
			if err := exec("ROLLBACK TO SAVEPOINT opsdeck_step"); err != nil {
				return nil, err
			}
			continue
		}
		cur, err := snap()
		if err != nil {
			return nil, err
		}
		out[i] = observe(start, prev, cur)
		prev = cur
	}
	return out, nil
}

// observe compares the snapshots around a statement, on the tables that
// existed before the migration.
func observe(start, before, after snapshot) Observed {
	var o Observed
	held := map[string]bool{}
	for _, l := range before.Locks {
		held[l.Table+"\x00"+l.Mode] = true
	}
	for _, l := range after.Locks {
		if _, existed := start.Files[l.Table]; !existed || held[l.Table+"\x00"+l.Mode] {
			continue
		}
		m := ParseMode(l.Mode)
		if i := slices.IndexFunc(o.Locks, func(x Lock) bool { return x.Table == l.Table }); i >= 0 {
			o.Locks[i].Mode = max(o.Locks[i].Mode, m)
		} else {
			o.Locks = append(o.Locks, Lock{Table: l.Table, Mode: m})
		}
	}
	for t, node := range after.Files {
		if was, ok := before.Files[t]; ok && was != node {
			if _, existed := start.Files[t]; existed {
				o.Rewrite = append(o.Rewrite, t)
			}
		}
	}
	for t, n := range after.Scans {
		// A rewrite reads every row: said once, as the rewrite.
		if _, existed := start.Files[t]; existed && n > before.Scans[t] && !slices.Contains(o.Rewrite, t) {
			o.Scan = append(o.Scan, t)
		}
	}
	slices.SortFunc(o.Locks, func(a, b Lock) int { return strings.Compare(a.Table, b.Table) })
	slices.Sort(o.Rewrite)
	slices.Sort(o.Scan)
	return o
}

// pgMessage is a server error's message (and detail), without the driver's
// wrapping.
func pgMessage(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Message
	}
	return err.Error()
}
