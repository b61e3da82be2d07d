package actions

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	goredis "github.com/redis/go-redis/v9"

	"github.com/opsdeck/opsdeck/internal/errtext"
	"github.com/opsdeck/opsdeck/internal/redact"
)

// ResetAction is Origin's clean_persistence_state: empty every table of the
// configured schemas except alembic_version and a keep list, in one
// transaction with triggers off, then FLUSHDB the environment's Redis
// databases (never FLUSHALL).
//
// What a TRUNCATE empties is worked out from the catalogue before anything
// runs: the tables named, their partitions and inheritance children, and every
// table that references one of them by a foreign key, transitively. When that
// closure reaches a table outside the plan (a keep table, alembic_version, a
// table of another schema), the reset refuses. The statement then names every
// table of the closure and no CASCADE, so the server itself refuses to empty
// anything the plan did not list.
type ResetAction struct {
	// Environment is the environment the reset belongs to: a plan made for
	// another is refused.
	Environment string
	DatabaseURL string
	Schemas     []string // default public
	Keep        []string // tables never emptied besides alembic_version: name or schema.name
	RedisURL    string   // "" for none
	// RedisDBs are flushed; default the database of RedisURL.
	RedisDBs []int
	// LockTimeout bounds the wait for the tables' locks (default 5s): a reset
	// queued behind a long transaction would queue every query behind itself.
	LockTimeout time.Duration
	Scrubber    *redact.Scrubber
}

// DefaultResetLockTimeout is how long a reset waits for its locks.
const DefaultResetLockTimeout = 5 * time.Second

// TableID names one table for good: its OID, schema and name as the
// catalogue has them. SQL is built from these parts, never from display text.
type TableID struct {
	OID    uint32
	Schema string
	Name   string
}

// plainIdent is an identifier that reads the same quoted and unquoted.
var plainIdent = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

func displayIdent(s string) string {
	if plainIdent.MatchString(s) {
		return s
	}
	return pgx.Identifier{s}.Sanitize()
}

// String is schema.table, each part quoted when it needs to be, so that the
// table "a.b" of public (public."a.b") never reads like table b of schema a.
func (t TableID) String() string { return displayIdent(t.Schema) + "." + displayIdent(t.Name) }

// SQL is the table's name for a statement, quoted by the driver.
func (t TableID) SQL() string { return pgx.Identifier{t.Schema, t.Name}.Sanitize() }

// ResetPlan is the blast radius, shown before confirming. It belongs to one
// environment and one database: Execute acts on exactly these tables, in
// that database, and these Redis databases of that server, or refuses.
type ResetPlan struct {
	h        planHead
	reset    *ResetAction
	target   string // host:port/database
	tables   []PlannedTable
	redis    []PlannedDB
	redisErr string // why Redis could not be previewed
}

// PlannedTable is a table to empty with its estimated rows.
type PlannedTable struct {
	TableID
	// Rows is the table's own estimate; Total adds its partitions and
	// inheritance children, which a TRUNCATE of it empties too.
	Rows, Total int64
	Children    int
}

// PlannedDB is a Redis database to flush with its key count, on the server
// known by its run id: a failover to another server between the question
// and the yes is not flushed.
type PlannedDB struct {
	Addr  string
	RunID string
	DB    int
	Keys  int64
}

// ErrPlanChanged is returned when the tables differ from the plan
// confirmed: the new plan must be shown and confirmed instead.
type ErrPlanChanged struct{ New *ResetPlan }

func (e *ErrPlanChanged) Error() string { return e.Unwrap().Error() }

// Unwrap is the contract's form of the refusal.
func (e *ErrPlanChanged) Unwrap() error {
	return &ChangedError{What: "the tables changed since you were asked; it would now " + e.New.Describe()}
}

// ErrUnsafeReset is a reset refused before anything ran: emptying the
// planned tables would also empty tables the plan must not touch.
type ErrUnsafeReset struct{ Reasons []string }

func (e *ErrUnsafeReset) Error() string {
	return "reset refused, nothing was done: " + strings.Join(e.Reasons, "; ")
}

// ResetResult says exactly what was and was not done.
type ResetResult struct {
	Truncated []string
	Flushed   []int
	// RedisErr is set when the tables were truncated but Redis was not flushed.
	RedisErr string
}

func (r *ResetAction) schemas() []string {
	if len(r.Schemas) == 0 {
		return []string{"public"}
	}
	return r.Schemas
}

func (r *ResetAction) lockTimeout() time.Duration {
	if r.LockTimeout <= 0 {
		return DefaultResetLockTimeout
	}
	return r.LockTimeout
}

func (r *ResetAction) redisDBs() ([]int, *goredis.Options, error) {
	if r.RedisURL == "" {
		return nil, nil, nil
	}
	opts, err := goredis.ParseURL(r.RedisURL)
	if err != nil {
		return nil, nil, fmt.Errorf("redis url %s: %v", redact.URL(r.RedisURL), err)
	}
	dbs := r.RedisDBs
	if len(dbs) == 0 {
		dbs = []int{opts.DB}
	}
	return dbs, opts, nil
}

// catalogTablesSQL lists every table a TRUNCATE could reach, with what the
// plan needs to judge it.
const catalogTablesSQL = `SELECT c.oid, n.nspname, c.relname, c.relkind, c.relispartition,
       CASE WHEN c.reltuples >= 0 THEN c.reltuples::bigint ELSE pg_stat_get_live_tuples(c.oid) END,
       EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'f') AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'`

// catalogEdgesSQL is what a TRUNCATE of a table also empties: its
// inheritance children and partitions ('i'), and, with CASCADE, the tables
// whose foreign keys reference it ('f').
const catalogEdgesSQL = `SELECT inhparent, inhrelid, 'i' FROM pg_inherits
UNION ALL
SELECT confrelid, conrelid, 'f' FROM pg_constraint WHERE contype = 'f' AND conrelid <> confrelid`

// connect opens a plain protocol connection: the reset needs no type
// mapping.
func (r *ResetAction) connect(ctx context.Context) (*pgconn.PgConn, string, error) {
	cfg, err := pgconn.ParseConfig(r.DatabaseURL)
	if err != nil {
		return nil, "", fmt.Errorf("database url %s: %s", redact.URL(r.DatabaseURL), r.Scrubber.String(errtext.Cause(err.Error())))
	}
	cfg.RuntimeParams["application_name"] = "opsdeck reset"
	target := fmt.Sprintf("%s:%d/%s", cfg.Host, cfg.Port, cfg.Database)
	conn, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, target, fmt.Errorf("cannot connect to %s: %s", target, r.Scrubber.String(errtext.Cause(err.Error())))
	}
	return conn, target, nil
}

type catalogTable struct {
	TableID
	kind      byte
	partition bool
	rows      int64
	extension bool
}

type edge struct {
	child uint32
	fk    bool
}

func query(ctx context.Context, conn *pgconn.PgConn, sql string) ([][][]byte, error) {
	res := conn.ExecParams(ctx, sql, nil, nil, nil, nil).Read()
	return res.Rows, res.Err
}

func parseOID(b []byte) uint32 {
	n, _ := strconv.ParseUint(string(b), 10, 32)
	return uint32(n)
}

// plan reads the catalogue and works out what the reset would empty, or
// why it must not run.
func (r *ResetAction) plan(ctx context.Context, conn *pgconn.PgConn) ([]PlannedTable, error) {
	rows, err := query(ctx, conn, catalogTablesSQL)
	if err != nil {
		return nil, err
	}
	tables := make(map[uint32]*catalogTable, len(rows))
	for _, row := range rows {
		n, _ := strconv.ParseInt(string(row[5]), 10, 64)
		t := &catalogTable{TableID: TableID{OID: parseOID(row[0]), Schema: string(row[1]), Name: string(row[2])},
			kind: row[3][0], partition: string(row[4]) == "t", rows: n, extension: string(row[6]) == "t"}
		if t.kind == 'p' {
			t.rows = 0 // a partitioned table holds no rows; its estimate counts its partitions'
		}
		tables[t.OID] = t
	}
	rows, err = query(ctx, conn, catalogEdgesSQL)
	if err != nil {
		return nil, err
	}
	edges := map[uint32][]edge{}
	for _, row := range rows {
		parent, child := parseOID(row[0]), parseOID(row[1])
		if tables[parent] == nil || tables[child] == nil {
			continue // index inheritance, or a relation that is not a table
		}
		edges[parent] = append(edges[parent], edge{child: child, fk: string(row[2]) == "f"})
	}

	schemas := r.schemas()
	kept := func(t *catalogTable) bool {
		return t.Name == "alembic_version" || slices.Contains(r.Keep, t.Name) || slices.Contains(r.Keep, t.Schema+"."+t.Name)
	}
	seed := func(t *catalogTable) bool {
		return t.kind != 'f' && slices.Contains(schemas, t.Schema) && !kept(t) && !t.extension
	}
	// Every table of the closure, with how it was reached from a planned one.
	planned := map[uint32]bool{}
	var queue []uint32
	for oid, t := range tables {
		if seed(t) {
			planned[oid] = true
			queue = append(queue, oid)
		}
	}
	slices.Sort(queue)
	why := map[uint32]string{}
	seen := maps.Clone(planned)
	for len(queue) > 0 {
		oid := queue[0]
		queue = queue[1:]
		for _, e := range edges[oid] {
			if seen[e.child] {
				continue
			}
			seen[e.child] = true
			queue = append(queue, e.child)
			child, parent := tables[e.child], tables[oid]
			switch {
			case e.fk:
				why[e.child] = fmt.Sprintf("%s has a foreign key to %s", child, parent)
			case child.partition:
				why[e.child] = fmt.Sprintf("%s is a partition of %s", child, parent)
			default:
				why[e.child] = fmt.Sprintf("%s inherits from %s", child, parent)
			}
		}
	}
	var reasons []string
	for oid, reason := range why {
		t := tables[oid]
		switch {
		case kept(t) && t.Name == "alembic_version":
			reasons = append(reasons, reason+", and alembic_version is never emptied")
		case kept(t):
			reasons = append(reasons, reason+", and it is in keep:")
		case t.extension:
			reasons = append(reasons, reason+", and it belongs to an extension")
		case t.kind == 'f':
			reasons = append(reasons, reason+", and it is a foreign table")
		default:
			reasons = append(reasons, reason+fmt.Sprintf(", and schema %s is not in reset.schemas (%s)", displayIdent(t.Schema), strings.Join(schemas, ", ")))
		}
	}
	if len(reasons) > 0 {
		slices.Sort(reasons)
		return nil, &ErrUnsafeReset{Reasons: append(reasons, "emptying the planned tables would empty it too")}
	}
	var more []string
	for parent, es := range edges {
		for _, e := range es {
			if !e.fk && planned[e.child] && !planned[parent] {
				more = append(more, fmt.Sprintf("%s is a partition or child of %s, which the reset does not empty: emptying it empties part of %s",
					tables[e.child], tables[parent], tables[parent]))
			}
		}
	}
	for _, check := range []func(context.Context, *pgconn.PgConn, map[uint32]bool, map[uint32]*catalogTable) ([]string, error){truncateTriggers, sharedSequences} {
		reasons, err := check(ctx, conn, planned, tables)
		if err != nil {
			return nil, err
		}
		more = append(more, reasons...)
	}
	if len(more) > 0 {
		slices.Sort(more)
		return nil, &ErrUnsafeReset{Reasons: more}
	}

	// Estimates include what a TRUNCATE of the table also empties beneath it.
	var total func(oid uint32, seen map[uint32]bool) (int64, int)
	total = func(oid uint32, seen map[uint32]bool) (int64, int) {
		n, kids := tables[oid].rows, 0
		for _, e := range edges[oid] {
			if !e.fk && !seen[e.child] {
				seen[e.child] = true
				rows, k := total(e.child, seen)
				n, kids = n+max(rows, 0), kids+k+1
			}
		}
		return max(n, 0), kids
	}
	out := make([]PlannedTable, 0, len(planned))
	for oid := range planned {
		t := tables[oid]
		sum, kids := total(oid, map[uint32]bool{oid: true})
		out = append(out, PlannedTable{TableID: t.TableID, Rows: max(t.rows, 0), Total: sum, Children: kids})
	}
	slices.SortFunc(out, func(a, b PlannedTable) int {
		return strings.Compare(a.Schema+"\x00"+a.Name, b.Schema+"\x00"+b.Name)
	})
	return out, nil
}

// triggersSQL lists the triggers that fire on TRUNCATE and are not
// disabled (tgtype bit 5 is TRUNCATE). session_replication_role = replica
// does not stop those set ENABLE ALWAYS or ENABLE REPLICA.
const triggersSQL = `SELECT tgrelid, tgname, tgenabled FROM pg_trigger
WHERE NOT tgisinternal AND (tgtype & 32) <> 0 AND tgenabled <> 'D' ORDER BY tgrelid, tgname`

// truncateTriggers says which planned tables have a trigger that a
// TRUNCATE would fire: it runs with the reset's rights and may write
// anywhere, a kept table or another schema's included, so the reset refuses.
func truncateTriggers(ctx context.Context, conn *pgconn.PgConn, planned map[uint32]bool, tables map[uint32]*catalogTable) ([]string, error) {
	rows, err := query(ctx, conn, triggersSQL)
	if err != nil {
		return nil, err
	}
	how := map[string]string{"O": "enabled", "A": "enabled always", "R": "enabled for replicas"}
	var out []string
	for _, row := range rows {
		oid := parseOID(row[0])
		if !planned[oid] {
			continue
		}
		out = append(out, fmt.Sprintf("%s has trigger %s, which fires on TRUNCATE (%s): the reset would run it, and a trigger may write anywhere; drop or disable it, or keep the table",
			tables[oid], displayIdent(string(row[1])), how[string(row[2])]))
	}
	return out, nil
}

// sequencesSQL lists the sequences a table owns (a serial or identity
// column: RESTART IDENTITY restarts them) that another table's column
// default draws from.
const sequencesSQL = `SELECT o.refobjid, d.adrelid, n.nspname, s.relname
FROM pg_depend o
JOIN pg_class s ON s.oid = o.objid AND s.relkind = 'S'
JOIN pg_namespace n ON n.oid = s.relnamespace
JOIN pg_depend u ON u.refobjid = s.oid AND u.refclassid = 'pg_class'::regclass AND u.classid = 'pg_attrdef'::regclass
JOIN pg_attrdef d ON d.oid = u.objid
WHERE o.classid = 'pg_class'::regclass AND o.refclassid = 'pg_class'::regclass AND o.deptype IN ('a', 'i')
  AND d.adrelid <> o.refobjid ORDER BY 3, 4`

// sharedSequences says which sequences the reset would restart while a
// table it does not empty draws from them: that table's next insert
// would take a value it already holds.
func sharedSequences(ctx context.Context, conn *pgconn.PgConn, planned map[uint32]bool, tables map[uint32]*catalogTable) ([]string, error) {
	rows, err := query(ctx, conn, sequencesSQL)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, row := range rows {
		owner, user := parseOID(row[0]), parseOID(row[1])
		if !planned[owner] || planned[user] || tables[user] == nil {
			continue
		}
		seq := TableID{Schema: string(row[2]), Name: string(row[3])}
		out = append(out, fmt.Sprintf("sequence %s, restarted with %s, is also the default of a column of %s, which the reset does not empty: its next insert would collide",
			seq, tables[owner], tables[user]))
	}
	return out, nil
}

func sqlExec(ctx context.Context, conn *pgconn.PgConn, sql string) error {
	_, err := conn.Exec(ctx, sql).ReadAll()
	return err
}

// Preview reads the blast radius without changing anything.
func (r *ResetAction) Preview(ctx context.Context) (*ResetPlan, error) {
	conn, target, err := r.connect(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	p := &ResetPlan{h: planHead{action: "reset", env: r.Environment, danger: Reset}, reset: r, target: target}
	if p.tables, err = r.plan(ctx, conn); err != nil {
		return nil, r.catalogError(target, err)
	}
	dbs, opts, err := r.redisDBs()
	if err != nil {
		p.redisErr = err.Error()
		return p, nil
	}
	for _, db := range dbs {
		c := redisClient(opts, db)
		n, err := c.DBSize(ctx).Result()
		var runID string
		if err == nil {
			runID, err = redisRunID(ctx, c)
		}
		c.Close()
		if err != nil {
			p.redisErr = r.Scrubber.String(fmt.Sprintf("redis %s db %d: %v", opts.Addr, db, err))
			continue
		}
		p.redis = append(p.redis, PlannedDB{Addr: opts.Addr, RunID: runID, DB: db, Keys: n})
	}
	return p, nil
}

// redisClient is a one-connection client of database db: no retries, no
// identity handshake (a reset may meet any Redis).
func redisClient(opts *goredis.Options, db int) *goredis.Client {
	o := *opts
	o.DB, o.Protocol, o.DisableIdentity, o.MaxRetries, o.PoolSize = db, 2, true, -1, 1
	return goredis.NewClient(&o)
}

// redisRunID is the server's run id: another server (a failover, a
// restart) has another.
func redisRunID(ctx context.Context, c *goredis.Client) (string, error) {
	info, err := c.Info(ctx, "server").Result()
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "run_id:"); ok {
			return v, nil
		}
	}
	return "", errors.New("the server gave no run_id")
}

func (r *ResetAction) catalogError(target string, err error) error {
	var unsafe *ErrUnsafeReset
	if errors.As(err, &unsafe) {
		return err
	}
	return fmt.Errorf("reading the tables of %s: %s", target, r.Scrubber.String(err.Error()))
}

// Execute empties exactly the planned tables in one transaction, or
// nothing; then flushes the planned Redis databases. A plan made for another
// environment or database is refused before anything runs.
func (r *ResetAction) Execute(ctx context.Context, plan *ResetPlan) (ResetResult, error) {
	var res ResetResult
	if plan.h.env != r.Environment {
		return res, fmt.Errorf("reset refused, nothing was done: the plan was made for environment %q, not %q", plan.h.env, r.Environment)
	}
	_, opts, rerr := r.redisDBs()
	for _, db := range plan.redis {
		if opts == nil || db.Addr != opts.Addr {
			return res, fmt.Errorf("reset refused, nothing was done: the plan flushes redis %s, which is not this environment's Redis", db.Addr)
		}
	}
	for _, db := range plan.redis {
		c := redisClient(opts, db.DB)
		err := sameRedis(ctx, c, db)
		c.Close()
		if err != nil {
			return res, err
		}
	}
	conn, target, err := r.connect(ctx)
	if err != nil {
		return res, err
	}
	defer conn.Close(context.Background())
	if target != plan.target {
		return res, fmt.Errorf("reset refused, nothing was done: the plan was made for %s, and %s's database is %s", plan.target, r.Environment, target)
	}
	fail := func(format string, args ...any) (ResetResult, error) {
		_ = sqlExec(context.Background(), conn, "ROLLBACK")
		return res, fmt.Errorf(format, args...)
	}
	if err := sqlExec(ctx, conn, "BEGIN"); err != nil {
		return res, fmt.Errorf("%s: %s", target, r.Scrubber.String(err.Error()))
	}
	wait := r.lockTimeout()
	if err := sqlExec(ctx, conn, fmt.Sprintf("SET LOCAL lock_timeout = %d", wait.Milliseconds())); err != nil {
		return fail("%s: %s", target, r.Scrubber.String(err.Error()))
	}
	gaveUp := func(err error) bool {
		var pgErr *pgconn.PgError
		return errors.As(err, &pgErr) && pgErr.Code == "55P03"
	}
	waitedTooLong := func() (ResetResult, error) {
		return fail("gave up after %s waiting for the tables' locks in %s (another session holds one: see the Postgres pane's blocked sessions); nothing was truncated", wait, target)
	}
	changed := func(now []PlannedTable) (ResetResult, error) {
		_ = sqlExec(context.Background(), conn, "ROLLBACK")
		fresh, perr := r.Preview(ctx)
		if perr != nil {
			fresh = &ResetPlan{h: plan.h, reset: r, target: target, tables: now}
		}
		return res, &ErrPlanChanged{New: fresh}
	}
	// The planned tables are locked before the catalogue is read again:
	// while they are held, no partition can be attached to them and no
	// foreign key added to them, so what is read is what the TRUNCATE
	// empties.
	if len(plan.tables) > 0 {
		names := make([]string, len(plan.tables))
		for i, t := range plan.tables {
			names[i] = t.SQL()
		}
		if err := sqlExec(ctx, conn, "LOCK TABLE "+strings.Join(names, ", ")+" IN ACCESS EXCLUSIVE MODE"); err != nil {
			var pgErr *pgconn.PgError
			switch {
			case gaveUp(err):
				return waitedTooLong()
			case errors.As(err, &pgErr) && pgErr.Code == "42P01": // a planned table is gone
				return changed(nil)
			}
			return fail("locking the tables in %s: %s; nothing was truncated", target, r.Scrubber.String(err.Error()))
		}
	}
	now, err := r.plan(ctx, conn)
	if err != nil {
		_ = sqlExec(context.Background(), conn, "ROLLBACK")
		return res, r.catalogError(target, err)
	}
	if !sameTables(now, plan.tables) {
		return changed(now)
	}
	if len(now) > 0 {
		names := make([]string, len(now))
		for i, t := range now {
			names[i] = t.SQL()
		}
		// Triggers off for the transaction, as Origin's
		// clean_persistence_state does (needs a superuser).
		if err := sqlExec(ctx, conn, "SET LOCAL session_replication_role = replica"); err != nil {
			return fail("%s: %s (the reset needs a role allowed to set session_replication_role)", target, r.Scrubber.String(err.Error()))
		}
		// No CASCADE: every table the statement may empty is named, so a
		// foreign key created since the plan makes it fail, not spread.
		if err := sqlExec(ctx, conn, "TRUNCATE TABLE "+strings.Join(names, ", ")+" RESTART IDENTITY"); err != nil {
			if gaveUp(err) {
				return waitedTooLong()
			}
			return fail("truncating in %s: %s; nothing was truncated", target, r.Scrubber.String(err.Error()))
		}
	}
	if err := sqlExec(ctx, conn, "COMMIT"); err != nil {
		return fail("committing the truncate in %s: %s; nothing was truncated", target, r.Scrubber.String(err.Error()))
	}
	for _, t := range now {
		res.Truncated = append(res.Truncated, t.String())
	}
	if rerr != nil {
		res.RedisErr = rerr.Error()
		return res, nil
	}
	for _, db := range plan.redis {
		c := redisClient(opts, db.DB)
		err := sameRedis(ctx, c, db)
		if err == nil {
			err = c.FlushDB(ctx).Err()
		}
		c.Close()
		if err != nil {
			res.RedisErr = r.Scrubber.String(fmt.Sprintf("tables truncated, but redis db %d was NOT flushed: %v", db.DB, err))
			break
		}
		res.Flushed = append(res.Flushed, db.DB)
	}
	return res, nil
}

// sameRedis checks that c reaches the server the plan read.
func sameRedis(ctx context.Context, c *goredis.Client, db PlannedDB) error {
	id, err := redisRunID(ctx, c)
	switch {
	case err != nil:
		return fmt.Errorf("redis %s db %d: %v", db.Addr, db.DB, err)
	case id != db.RunID:
		return changed("redis %s is another server since you were asked (run id %s, not %s)", db.Addr, id, db.RunID)
	}
	return nil
}

// Lines say what was done, one line per step.
func (r ResetResult) Lines() []string {
	lines := []string{fmt.Sprintf("truncated %d table(s): %s", len(r.Truncated), strings.Join(r.Truncated, ", "))}
	for _, db := range r.Flushed {
		lines = append(lines, fmt.Sprintf("flushed redis db %d", db))
	}
	return lines
}

// sameTables compares by identity: a table dropped and created again under
// the same name is another table.
func sameTables(a, b []PlannedTable) bool {
	return slices.EqualFunc(a, b, func(x, y PlannedTable) bool { return x.TableID == y.TableID })
}

// Summary is the plan's first line: where, how much, and what is spared.
func (p *ResetPlan) Summary() string {
	var rows int64
	for _, t := range p.tables {
		rows += t.Rows
	}
	s := fmt.Sprintf("environment %s: empty %d table(s), ~%d rows, in %s (alembic_version and keep: spared)", p.h.env, len(p.tables), rows, p.target)
	for _, d := range p.redis {
		s += fmt.Sprintf("; FLUSHDB redis %s db %d (%d keys)", d.Addr, d.DB, d.Keys)
	}
	return s
}

// Items are the tables one per line, as the confirmation lists them.
func (p *ResetPlan) Items() []string {
	out := make([]string, len(p.tables))
	for i, t := range p.tables {
		out[i] = fmt.Sprintf("%s (~%d rows)", t, t.Total)
		if t.Children > 0 {
			out[i] = fmt.Sprintf("%s (~%d rows with its %d partition(s)/child table(s))", t, t.Total, t.Children)
		}
	}
	return out
}

// Describe is the whole plan in one line, for the audit log and the
// command line.
func (p *ResetPlan) Describe() string {
	items := p.Items()
	if len(items) == 0 {
		return p.Summary()
	}
	return p.Summary() + ": " + strings.Join(items, ", ")
}

func (p *ResetPlan) head() planHead { return p.h }

// Question is the blast radius: every table, every Redis database.
func (p *ResetPlan) Question() Question {
	q := Question{Action: p.h.action, Environment: p.h.env, Target: p.Describe(), Head: []string{"Reset " + p.Summary()}}
	if p.redisErr != "" {
		q.Head = append(q.Head, "redis: "+p.redisErr)
	}
	for _, it := range p.Items() {
		q.Items = append(q.Items, Item{Text: it})
	}
	return q
}

func (p *ResetPlan) execute(ctx context.Context, emit Emit) (int, []string, error) {
	res, err := p.reset.Execute(ctx, p)
	if err != nil {
		return 1, nil, err
	}
	lines := emitLines(emit, res.Lines()...)
	if res.RedisErr != "" {
		return 1, lines, errors.New(res.RedisErr)
	}
	return 0, lines, nil
}
