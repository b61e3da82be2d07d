package alembic

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/sources"
)

// Source is an environment's Alembic project and database, polled.
type Source struct {
	dir      string
	dbURL    string
	scrubber *redact.Scrubber
	timeout  time.Duration

	mu      sync.Mutex
	graph   *Graph
	stamp   string    // what the version directories looked like when graph was read
	readAt  time.Time // when graph was read
	conn    *pgx.Conn
	connErr error
}

// rereadEvery bounds how long an edit inside an existing file can go unseen
// (new and removed files are seen at once, through the directories' mtimes).
const rereadEvery = 30 * time.Second

// NewSource reads nothing yet. dbURL may be empty (project side only).
func NewSource(dir, dbURL string, scrubber *redact.Scrubber) *Source {
	if scrubber == nil {
		scrubber = redact.NewScrubber(redact.SecretsOf(dbURL)...)
	}
	return &Source{dir: dir, dbURL: dbURL, scrubber: scrubber, timeout: 5 * time.Second}
}

// Close releases the database connection.
func (s *Source) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		_ = s.conn.Close(context.Background())
		s.conn = nil
	}
}

// Poll reads the project (when it changed) and the database's revisions.
func (s *Source) Poll(ctx context.Context) (sources.MigrationState, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.project()
	if err != nil {
		return sources.MigrationState{}, err
	}
	st := sources.MigrationState{Dir: strings.Join(g.Dirs, ", "), Status: sources.MigrationsUnknown, Heads: g.Heads,
		Problems: append([]sources.Problem(nil), g.Problems...), Revisions: len(g.Revisions)}
	if s.dbURL == "" {
		st.DatabaseError = "no database configured"
		return st, nil
	}
	current, hasTable, err := s.readVersion(ctx)
	if err != nil {
		st.DatabaseError = s.scrubber.String(err.Error())
		return st, nil
	}
	j := g.Judge(current, hasTable)
	st.Status, st.Current, st.Pending, st.Problems = j.Status, j.Current, j.Pending, j.Problems
	if st.Current == nil {
		st.Current = []string{}
	}
	return st, nil
}

// project returns the graph, re-reading it when the directories changed.
func (s *Source) project() (*Graph, error) {
	stamp := s.dirStamp()
	if s.graph != nil && stamp == s.stamp && time.Since(s.readAt) < rereadEvery {
		return s.graph, nil
	}
	g, err := Load(s.dir)
	if err != nil {
		return nil, fmt.Errorf("no Alembic project: %w (looked for alembic.ini, env.py with versions/, or revision files)", err)
	}
	s.graph, s.stamp, s.readAt = g, stamp, time.Now()
	return g, nil
}

func (s *Source) dirStamp() string {
	if s.graph == nil {
		return ""
	}
	var b strings.Builder
	for _, d := range s.graph.Dirs {
		if st, err := os.Stat(d); err == nil {
			fmt.Fprintf(&b, "%s=%d;", d, st.ModTime().UnixNano())
		}
	}
	return b.String()
}

// readVersion keeps one connection (no pool: one query per poll).
func (s *Source) readVersion(ctx context.Context) ([]string, bool, error) {
	if s.conn == nil || s.conn.IsClosed() {
		cfg, err := pgx.ParseConfig(driverless(s.dbURL))
		if err != nil {
			return nil, false, fmt.Errorf("database url %s: %s", redact.URL(s.dbURL), s.scrubber.String(err.Error()))
		}
		cfg.RuntimeParams["application_name"] = "opsdeck"
		// Through pgbouncer in transaction mode: no prepared statements.
		cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			return nil, false, fmt.Errorf("reading alembic_version: %s", lastLine(err.Error()))
		}
		s.conn = conn
	}
	current, hasTable, err := ReadVersion(ctx, s.conn)
	if err != nil {
		_ = s.conn.Close(context.Background())
		s.conn = nil
		return nil, false, fmt.Errorf("reading alembic_version: %s", lastLine(err.Error()))
	}
	return current, hasTable, nil
}

func lastLine(s string) string {
	if i := strings.LastIndex(s, ": "); i >= 0 && i < len(s)-2 && strings.Contains(s, "failed to connect") {
		return s[i+2:]
	}
	return s
}

// driverless turns SQLAlchemy's postgresql+psycopg2:// into postgresql://.
func driverless(u string) string {
	if scheme, rest, ok := strings.Cut(u, "://"); ok {
		if base, _, ok := strings.Cut(scheme, "+"); ok {
			return base + "://" + rest
		}
	}
	return u
}
