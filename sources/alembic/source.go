package alembic

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/opsdeck/opsdeck/sources"
)

// VersionReader reads alembic_version (the environment's Postgres client
// does, through its pool).
type VersionReader interface {
	AlembicVersion(ctx context.Context) (current []string, hasTable bool, err error)
}

// Source is an environment's Alembic project and database, polled.
type Source struct {
	dir     string
	db      VersionReader // nil: project side only
	timeout time.Duration

	mu     sync.Mutex
	graph  *Graph
	stamp  string    // what the version directories looked like when graph was read
	readAt time.Time // when graph was read
}

// rereadEvery bounds how long an edit inside an existing file can go unseen
// (new and removed files are seen at once, through the directories' mtimes).
const rereadEvery = 30 * time.Second

// NewSource reads nothing yet. db may be nil (project side only).
func NewSource(dir string, db VersionReader) *Source {
	return &Source{dir: dir, db: db, timeout: 5 * time.Second}
}

// Poll reads the project (when it changed) and the database's revisions.
func (s *Source) Poll(ctx context.Context) (sources.MigrationState, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.project(ctx)
	if err != nil {
		return sources.MigrationState{}, err
	}
	st := sources.MigrationState{Dir: strings.Join(g.Dirs, ", "), Status: sources.MigrationsUnknown, Heads: g.Heads,
		Problems: append([]sources.Problem(nil), g.Problems...), Revisions: len(g.Revisions)}
	if s.db == nil {
		st.DatabaseError = "no database configured"
		return st, nil
	}
	current, hasTable, err := s.db.AlembicVersion(ctx)
	if err != nil {
		st.DatabaseError = "reading alembic_version: " + err.Error()
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
func (s *Source) project(ctx context.Context) (*Graph, error) {
	stamp := s.dirStamp()
	if s.graph != nil && stamp == s.stamp && time.Since(s.readAt) < rereadEvery {
		return s.graph, nil
	}
	g, err := Load(ctx, s.dir)
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
