package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/sources"

	"github.com/opsdeck/opsdeck/internal/errtext"
)

// bouncer reads pgbouncer's admin console (SHOW POOLS, SHOW STATS) over one
// kept connection. The console speaks only the simple protocol, one command
// per message.
type bouncer struct {
	cfg    *pgconn.Config
	target string
	user   string
	opts   Options

	mu   sync.Mutex
	conn *pgconn.PgConn
}

func newBouncer(o Options) (*bouncer, error) {
	cfg, err := pgconn.ParseConfig(Driverless(o.PgbouncerURL))
	if err != nil {
		return nil, fmt.Errorf("pgbouncer url %s: %s", redact.URL(o.PgbouncerURL), o.Scrubber.String(errtext.Cause(err.Error())))
	}
	if o.Dial != nil {
		cfg.DialFunc = o.Dial
	}
	cfg.DialFunc = speaksPostgres(cfg.DialFunc)
	// The admin console rejects startup parameters it does not know.
	delete(cfg.RuntimeParams, "application_name")
	return &bouncer{cfg: cfg, target: target(*cfg), user: cfg.User, opts: o}, nil
}

func (b *bouncer) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.conn != nil {
		_ = b.conn.Close(context.Background())
		b.conn = nil
	}
}

// poll never fails the Postgres poll: a missing or refused console is
// reported in the pool section alone.
func (b *bouncer) poll(ctx context.Context) *sources.Pgbouncer {
	b.mu.Lock()
	defer b.mu.Unlock()
	pools, err := b.read(ctx)
	if err != nil {
		if b.conn != nil {
			_ = b.conn.Close(context.Background())
			b.conn = nil
		}
		return &sources.Pgbouncer{Error: b.opts.Scrubber.String(b.describe(ctx, err))}
	}
	return &sources.Pgbouncer{Pools: pools}
}

func (b *bouncer) read(ctx context.Context) ([]sources.PgbouncerPool, error) {
	if b.conn == nil || b.conn.IsClosed() {
		conn, err := pgconn.ConnectConfig(ctx, b.cfg)
		if err != nil {
			return nil, err
		}
		b.conn = conn
	}
	pools, err := b.conn.Exec(ctx, "SHOW POOLS").ReadAll()
	if err != nil {
		return nil, err
	}
	stats, err := b.conn.Exec(ctx, "SHOW STATS").ReadAll()
	if err != nil {
		return nil, err
	}
	if len(pools) != 1 || len(stats) != 1 {
		return nil, errors.New("unexpected answer to SHOW POOLS/SHOW STATS")
	}
	avgQuery := map[string]float64{}
	sc := columns(stats[0])
	for _, row := range stats[0].Rows {
		avgQuery[sc.str(row, "database")] = float64(sc.int(row, "avg_query_time")) / 1e6
	}
	pc := columns(pools[0])
	out := make([]sources.PgbouncerPool, 0, len(pools[0].Rows))
	for _, row := range pools[0].Rows {
		db := pc.str(row, "database")
		p := sources.PgbouncerPool{
			Database: db, User: pc.str(row, "user"), Mode: pc.str(row, "pool_mode"),
			ClientsActive: pc.int(row, "cl_active"), ClientsWait: pc.int(row, "cl_waiting"),
			ServersActive: pc.int(row, "sv_active"), ServersIdle: pc.int(row, "sv_idle"),
			MaxWait:  float64(pc.int(row, "maxwait")) + float64(pc.int(row, "maxwait_us"))/1e6,
			AvgQuery: avgQuery[db],
		}
		out = append(out, p)
	}
	// The console's own pseudo-database last, the busiest pools first.
	slices.SortStableFunc(out, func(a, b sources.PgbouncerPool) int {
		if (a.Database == "pgbouncer") != (b.Database == "pgbouncer") {
			if a.Database == "pgbouncer" {
				return 1
			}
			return -1
		}
		return (b.ClientsActive + b.ClientsWait) - (a.ClientsActive + a.ClientsWait)
	})
	return out, nil
}

func (b *bouncer) describe(ctx context.Context, err error) string {
	var pgErr *pgconn.PgError
	var notPg *notPostgresError
	switch {
	case errors.As(err, &notPg):
		return notPg.Error()
	case errors.As(err, &pgErr):
		switch pgErr.Code {
		case "28P01", "08P01", "28000":
			if pgErr.Message == "not allowed" || pgErr.Message == "no such user" {
				return fmt.Sprintf("admin console refused user %s at %s (%s): add it to admin_users or stats_users", b.user, b.target, pgErr.Message)
			}
			if pgErr.Message == "no such database: pgbouncer" || pgErr.Code == "08P01" {
				return fmt.Sprintf("%s at %s: is this pgbouncer's admin console (database pgbouncer)?", pgErr.Message, b.target)
			}
			return fmt.Sprintf("authentication failed for user %s at %s", b.user, b.target)
		}
		return fmt.Sprintf("%s (SQLSTATE %s)", pgErr.Message, pgErr.Code)
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Sprintf("no answer from %s in time", b.target)
	}
	return describeNet(err, b.target, "pgbouncer")
}

// cols finds pgbouncer's columns by name: their set changes between versions.
type cols map[string]int

func columns(r *pgconn.Result) cols {
	c := cols{}
	for i, f := range r.FieldDescriptions {
		c[f.Name] = i
	}
	return c
}

func (c cols) str(row [][]byte, name string) string {
	if i, ok := c[name]; ok && i < len(row) {
		return string(row[i])
	}
	return ""
}

func (c cols) int(row [][]byte, name string) int {
	if i, ok := c[name]; ok && i < len(row) {
		n, _ := strconv.Atoi(string(row[i]))
		return n
	}
	return 0
}
