package actions

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	goredis "github.com/redis/go-redis/v9"

	"github.com/opsdeck/opsdeck/internal/redact"
)

// ResetAction is Origin's clean_persistence_state: truncate every table of the
// configured schemas except alembic_version and a keep list, in one
// transaction with triggers and foreign keys off, then FLUSHDB the
// environment's Redis database (never FLUSHALL).
type ResetAction struct {
	DatabaseURL string
	Schemas     []string // default public
	Keep        []string // tables never truncated, besides alembic_version
	RedisURL    string   // "" for none
	// RedisDBs are flushed; default the database of RedisURL.
	RedisDBs []int
	Scrubber *redact.Scrubber
}

// Plan is the blast radius, shown before confirming. Execute acts on exactly
// these tables or refuses.
type Plan struct {
	Target   string // host:port/database
	Tables   []PlannedTable
	Redis    []PlannedDB
	RedisErr string // why Redis could not be previewed
}

// PlannedTable is a table to truncate with its estimated rows.
type PlannedTable struct {
	Name string
	Rows int64
}

// PlannedDB is a Redis database to flush with its key count.
type PlannedDB struct {
	Addr string
	DB   int
	Keys int64
}

// ErrPlanChanged is returned when the tables differ from the plan
// confirmed: the new plan must be shown and confirmed instead.
type ErrPlanChanged struct{ New Plan }

func (e *ErrPlanChanged) Error() string {
	return "the tables changed since the preview; nothing was done. Confirm the new list: it would now " + e.New.Describe()
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

// tablesSQL lists the tables to truncate with their estimated rows.
const tablesSQL = `SELECT CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END,
       CASE WHEN c.reltuples >= 0 THEN c.reltuples::bigint ELSE pg_stat_get_live_tuples(c.oid) END
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY($1) AND NOT c.relispartition
  AND c.relname <> 'alembic_version' AND NOT (c.relname = ANY($2))
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1`

// connect opens a plain protocol connection: the reset needs no type
// mapping, and linking pgx's would cost the console 0.8 MB of code.
func (r *ResetAction) connect(ctx context.Context) (*pgconn.PgConn, string, error) {
	cfg, err := pgconn.ParseConfig(r.DatabaseURL)
	if err != nil {
		return nil, "", fmt.Errorf("database url %s: %s", redact.URL(r.DatabaseURL), r.Scrubber.String(lastPart(err.Error())))
	}
	cfg.RuntimeParams["application_name"] = "opsdeck reset"
	target := fmt.Sprintf("%s:%d/%s", cfg.Host, cfg.Port, cfg.Database)
	conn, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, target, fmt.Errorf("cannot connect to %s: %s", target, r.Scrubber.String(lastPart(err.Error())))
	}
	return conn, target, nil
}

func lastPart(s string) string {
	if i := strings.LastIndex(s, ": "); i >= 0 && i < len(s)-2 {
		return s[i+2:]
	}
	return s
}

// arrayParam is a text[] parameter in PostgreSQL's array syntax, every
// element quoted: values are bound, never spliced into the SQL.
func arrayParam(vals []string) []byte {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`
	}
	return []byte("{" + strings.Join(parts, ",") + "}")
}

func listTables(ctx context.Context, conn *pgconn.PgConn, schemas, keep []string) ([]PlannedTable, error) {
	res := conn.ExecParams(ctx, tablesSQL, [][]byte{arrayParam(schemas), arrayParam(keep)}, nil, nil, nil).Read()
	if res.Err != nil {
		return nil, res.Err
	}
	out := make([]PlannedTable, 0, len(res.Rows))
	for _, row := range res.Rows {
		n, _ := strconv.ParseInt(string(row[1]), 10, 64)
		out = append(out, PlannedTable{Name: string(row[0]), Rows: n})
	}
	return out, nil
}

func sqlExec(ctx context.Context, conn *pgconn.PgConn, sql string) error {
	_, err := conn.Exec(ctx, sql).ReadAll()
	return err
}

// Preview reads the blast radius without changing anything.
func (r *ResetAction) Preview(ctx context.Context) (Plan, error) {
	conn, target, err := r.connect(ctx)
	if err != nil {
		return Plan{}, err
	}
	defer conn.Close(context.Background())
	p := Plan{Target: target}
	if p.Tables, err = listTables(ctx, conn, r.schemas(), r.Keep); err != nil {
		return Plan{}, fmt.Errorf("listing tables in %s: %s", target, r.Scrubber.String(err.Error()))
	}
	dbs, opts, err := r.redisDBs()
	if err != nil {
		p.RedisErr = err.Error()
		return p, nil
	}
	for _, db := range dbs {
		o := *opts
		o.DB, o.Protocol, o.DisableIdentity, o.MaxRetries = db, 2, true, -1
		c := goredis.NewClient(&o)
		n, err := c.DBSize(ctx).Result()
		c.Close()
		if err != nil {
			p.RedisErr = r.Scrubber.String(fmt.Sprintf("redis %s db %d: %v", o.Addr, db, err))
			continue
		}
		p.Redis = append(p.Redis, PlannedDB{Addr: o.Addr, DB: db, Keys: n})
	}
	return p, nil
}

// Execute truncates exactly the planned tables in one transaction, or
// nothing; then flushes the planned Redis databases.
func (r *ResetAction) Execute(ctx context.Context, plan Plan) (ResetResult, error) {
	var res ResetResult
	conn, target, err := r.connect(ctx)
	if err != nil {
		return res, err
	}
	defer conn.Close(context.Background())
	fail := func(format string, args ...any) (ResetResult, error) {
		_ = sqlExec(context.Background(), conn, "ROLLBACK")
		return res, fmt.Errorf(format, args...)
	}
	if err := sqlExec(ctx, conn, "BEGIN"); err != nil {
		return res, fmt.Errorf("%s: %s", target, r.Scrubber.String(err.Error()))
	}
	now, err := listTables(ctx, conn, r.schemas(), r.Keep)
	if err != nil {
		return fail("listing tables in %s: %s", target, r.Scrubber.String(err.Error()))
	}
	if !sameTables(now, plan.Tables) {
		_ = sqlExec(ctx, conn, "ROLLBACK")
		fresh, perr := r.Preview(ctx)
		if perr != nil {
			fresh = Plan{Target: target, Tables: now}
		}
		return res, &ErrPlanChanged{New: fresh}
	}
	if len(now) > 0 {
		names := make([]string, len(now))
		for i, t := range now {
			names[i] = quoteName(t.Name)
		}
		// Triggers and foreign-key checks off for the transaction, as
		// Origin's clean_persistence_state does (needs a superuser).
		if err := sqlExec(ctx, conn, "SET LOCAL session_replication_role = replica"); err != nil {
			return fail("%s: %s (the reset needs a role allowed to set session_replication_role)", target, r.Scrubber.String(err.Error()))
		}
		if err := sqlExec(ctx, conn, "TRUNCATE TABLE "+strings.Join(names, ", ")+" RESTART IDENTITY CASCADE"); err != nil {
			return fail("truncating in %s: %s; nothing was truncated", target, r.Scrubber.String(err.Error()))
		}
	}
	if err := sqlExec(ctx, conn, "COMMIT"); err != nil {
		return fail("committing the truncate in %s: %s; nothing was truncated", target, r.Scrubber.String(err.Error()))
	}
	for _, t := range now {
		res.Truncated = append(res.Truncated, t.Name)
	}
	_, opts, err := r.redisDBs()
	if err != nil {
		res.RedisErr = err.Error()
		return res, nil
	}
	for _, db := range plan.Redis {
		o := *opts
		o.DB, o.Protocol, o.DisableIdentity, o.MaxRetries = db.DB, 2, true, -1
		c := goredis.NewClient(&o)
		err := c.FlushDB(ctx).Err()
		c.Close()
		if err != nil {
			res.RedisErr = r.Scrubber.String(fmt.Sprintf("tables truncated, but redis db %d was NOT flushed: %v", db.DB, err))
			break
		}
		res.Flushed = append(res.Flushed, db.DB)
	}
	return res, nil
}

// Lines say what was done, one line per step.
func (r ResetResult) Lines() []string {
	lines := []string{fmt.Sprintf("truncated %d table(s): %s", len(r.Truncated), strings.Join(r.Truncated, ", "))}
	for _, db := range r.Flushed {
		lines = append(lines, fmt.Sprintf("flushed redis db %d", db))
	}
	return lines
}

func sameTables(a, b []PlannedTable) bool {
	return slices.EqualFunc(a, b, func(x, y PlannedTable) bool { return x.Name == y.Name })
}

// quoteName quotes schema.table for SQL.
func quoteName(name string) string {
	q := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
	if schema, rel, ok := strings.Cut(name, "."); ok {
		return q(schema) + "." + q(rel)
	}
	return q(name)
}

// Describe is the plan in words, for the confirmation.
func (p Plan) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "truncate %d table(s) in %s (alembic_version kept):", len(p.Tables), p.Target)
	for _, t := range p.Tables {
		fmt.Fprintf(&b, " %s (~%d rows)", t.Name, t.Rows)
	}
	for _, d := range p.Redis {
		fmt.Fprintf(&b, "; FLUSHDB redis %s db %d (%d keys)", d.Addr, d.DB, d.Keys)
	}
	return b.String()
}
