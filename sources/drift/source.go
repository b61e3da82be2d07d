package drift

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/opsdeck/opsdeck/internal/safefile"
	"github.com/opsdeck/opsdeck/sources"
)

// Source compares an environment's live schema with its reference. Schemas
// change rarely and reading one walks the whole catalogue, so a comparison
// is reused for a while.
type Source struct {
	live sources.SchemaReader
	// Exactly one of refDB and refFile is set.
	refDB   sources.SchemaReader
	refFile string
	name    string // what the reference is, for display

	mu      sync.Mutex
	last    sources.SchemaDrift
	lastAt  time.Time
	every   time.Duration
	fileMod time.Time
	file    sources.Schema
}

// maxSchemaDump bounds a reference file: a dump of a thousand tables is a
// few MiB.
const maxSchemaDump = 64 << 20

// Reuse is how long a comparison is reused.
const Reuse = 30 * time.Second

// AgainstDatabase compares live with another environment's database.
func AgainstDatabase(live, ref sources.SchemaReader, name string) *Source {
	return &Source{live: live, refDB: ref, name: "environment " + name, every: Reuse}
}

// AgainstFile compares live with a schema dump.
func AgainstFile(live sources.SchemaReader, path string) *Source {
	return &Source{live: live, refFile: path, name: path, every: Reuse}
}

// Unavailable is a reference that cannot be read at all (its environment's
// database URL does not parse): every comparison says why.
func Unavailable(name, why string) sources.Drift { return unavailable{name, why} }

type unavailable struct{ name, why string }

func (u unavailable) Compare(context.Context, bool) sources.SchemaDrift {
	return sources.SchemaDrift{Reference: u.name, Differences: []sources.Difference{}, Error: "reference: " + u.why}
}

// Reference describes the reference.
func (s *Source) Reference() string { return s.name }

// Compare returns the differences, at most Reuse old unless fresh.
func (s *Source) Compare(ctx context.Context, fresh bool) sources.SchemaDrift {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !fresh && !s.lastAt.IsZero() && time.Since(s.lastAt) < s.every && s.last.Error == "" {
		return s.last
	}
	out := sources.SchemaDrift{Reference: s.name, Differences: []sources.Difference{}}
	var (
		wg          sync.WaitGroup
		ref         sources.Schema
		refErr, err error
		live        sources.Schema
	)
	wg.Go(func() { ref, refErr = s.reference(ctx) })
	live, err = s.live.Schema(ctx)
	wg.Wait()
	switch {
	case err != nil:
		out.Error = "live schema: " + err.Error()
	case refErr != nil:
		out.Error = "reference: " + refErr.Error()
	default:
		out.Differences = Diff(live, ref)
	}
	s.last, s.lastAt = out, time.Now()
	return out
}

func (s *Source) reference(ctx context.Context) (sources.Schema, error) {
	if s.refDB != nil {
		return s.refDB.Schema(ctx)
	}
	st, err := os.Stat(s.refFile)
	if err != nil {
		return sources.Schema{}, err
	}
	if st.ModTime().Equal(s.fileMod) {
		return s.file, nil
	}
	data, err := safefile.Read(s.refFile, maxSchemaDump)
	if err != nil {
		return sources.Schema{}, err
	}
	var sc sources.Schema
	if err := json.Unmarshal(data, &sc); err != nil {
		return sources.Schema{}, fmt.Errorf("%s is not a schema dump (opsdeck schema dump > file): %v", s.refFile, err)
	}
	s.file, s.fileMod = sc, st.ModTime()
	return sc, nil
}
