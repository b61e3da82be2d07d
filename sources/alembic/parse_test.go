package alembic

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/postgres"
)

func TestParseFileForms(t *testing.T) {
	cases := []struct {
		name, src string
		id        string
		down      []string
		labels    []string
		deps      []string
		msg       string
	}{
		{"plain", "\"\"\"create users\n\nRevision ID: a\n\"\"\"\nrevision = 'a'\ndown_revision = None\n", "a", nil, nil, nil, "create users"},
		{"typed", "'''typed'''\nrevision: str = \"b\"\ndown_revision: Union[str, None] = \"a\"\nbranch_labels: Union[str, Sequence[str], None] = None\n", "b", []string{"a"}, nil, nil, "typed"},
		{"tuple over lines", "revision = 'm'\ndown_revision = (\n    'a',  # left ( not a bracket\n    \"b\",\n)\n", "m", []string{"a", "b"}, nil, nil, ""},
		{"list and labels", "revision = 'c'\ndown_revision = ['a']\nbranch_labels = ('feature',)\ndepends_on = 'x'\n", "c", []string{"a"}, []string{"feature"}, []string{"x"}, ""},
		{"comment after value", "revision = 'd'  # the id\ndown_revision = 'c' # parent\n", "d", []string{"c"}, nil, nil, ""},
		{"indented names are not module level", "revision = 'e'\ndef f():\n    revision = 'zzz'\n    down_revision = 'q'\n", "e", nil, nil, nil, ""},
		{"multi-line docstring paragraph", "\"\"\"first line\nsecond line\n\nRevision ID: f\n\"\"\"\nrevision = 'f'\n", "f", nil, nil, nil, "first line\nsecond line"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, ok, problems := ParseFile("x.py", []byte(c.src))
			if !ok || len(problems) > 0 || r.ID != c.id || !slices.Equal(r.Down, c.down) || !slices.Equal(r.BranchLabels, c.labels) ||
				!slices.Equal(r.DependsOn, c.deps) || r.Message != c.msg {
				t.Errorf("got %+v ok=%v problems=%v", r, ok, problems)
			}
		})
	}
}

func TestParseProblemsNameFileAndLine(t *testing.T) {
	_, ok, problems := ParseFile("v/bad.py", []byte("\"\"\"x\"\"\"\nrevision = 'a'\ndown_revision = compute_parent()\n"))
	if !ok || len(problems) != 1 || !strings.Contains(problems[0].Message, "v/bad.py:3: down_revision is not a string") {
		t.Errorf("ok %v problems %+v", ok, problems)
	}
	_, ok, problems = ParseFile("v/open.py", []byte("revision = 'a'\ndown_revision = ('b',\n"))
	if len(problems) != 1 || !strings.Contains(problems[0].Message, "unclosed bracket") {
		t.Errorf("unclosed: ok %v %+v", ok, problems)
	}
}

func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, src := range files {
		p := filepath.Join(dir, name)
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.WriteFile(p, []byte(src), 0o644))
	}
}

// TestGraphProblems: each broken shape is found, said in words, and the
// graph is built from the rest.
func TestGraphProblems(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"a.py":        plain("a", ""),
		"b.py":        plain("b", "a"),
		"c.py":        plain("c", "a"),
		"dup.py":      plain("b", "a"),
		"orphan.py":   plain("o", "gone"),
		"notes.py":    "# helpers, no revision\nX = 1\n",
		"sub/deep.py": plain("d", "c"),
		"cyc1.py":     plain("x", "y"),
		"cyc2.py":     plain("y", "x"),
		"__init__.py": "",
		"broken.py":   "revision = 'z'\ndown_revision = parent()\n",
	})
	g, err := Load(context.Background(), dir)
	must(t, err)
	var msgs []string
	for _, p := range g.Problems {
		msgs = append(msgs, p.Severity+": "+p.Message)
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{
		"critical: revision b is declared twice",
		"critical: revision o has down_revision gone, which no file declares",
		"notes.py declares no revision",
		"critical: revisions form a cycle: x -> y -> x",
		"heads (", "alembic merge heads",
		"broken.py:2: down_revision is not a string",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("problems lack %q:\n%s", want, all)
		}
	}
	if g.Revisions["d"] != nil || !slices.Contains(g.BranchPoints, "a") {
		t.Errorf("a sub-folder's revision read where Alembic reads none, or the branch point missing: heads %v branch points %v", g.Heads, g.BranchPoints)
	}
	st := g.Judge([]string{"nope"}, true)
	if st.Status != "unknown_revision" || !strings.Contains(st.Problems[len(st.Problems)-1].Message, "nope, which no migration file here declares") {
		t.Errorf("unknown revision: %+v", st)
	}
	if st := g.Judge(nil, false); st.Status != "no_table" {
		t.Errorf("no table: %s", st.Status)
	}
}

func TestLocateProject(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"alembic.ini":              "[alembic]\nscript_location = migrations\nversion_locations = %(here)s/migrations/versions %(here)s/extra\n",
		"migrations/env.py":        "",
		"migrations/versions/a.py": plain("a", ""),
		"extra/b.py":               plain("b", "a"),
	})
	for _, start := range []string{dir, filepath.Join(dir, "alembic.ini")} {
		g, err := Load(context.Background(), start)
		must(t, err)
		if len(g.Revisions) != 2 || !slices.Equal(g.Heads, []string{"b"}) {
			t.Errorf("from %s: dirs %v revisions %d heads %v", start, g.Dirs, len(g.Revisions), g.Heads)
		}
	}
	g, err := Load(context.Background(), filepath.Join(dir, "migrations"))
	must(t, err)
	if len(g.Revisions) != 1 {
		t.Errorf("script directory: %v", g.Dirs)
	}
	if _, err := Load(context.Background(), filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing directory: %v", err)
	}
}

func FuzzParseFile(f *testing.F) {
	for _, s := range []string{
		typed("a", "b"), merge("m", "a", "b"), listDown("c", "a"), plain("x", ""),
		"revision = (\n", "\"\"\"unterminated\nrevision = 'a'", "revision: Union[str = 'a'", "down_revision = ('a' # )\n)",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			r, ok, _ := ParseFile("f.py", src)
			if ok && r.ID == "" {
				t.Error("ok without an id")
			}
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("ParseFile hangs")
		}
	})
}

// BenchmarkLoad: parse 2,000 revision files and build the graph. Budget
// (docs/PERFORMANCE.md): 150 ms.
func BenchmarkLoad(b *testing.B) {
	const n, budget = 2000, 150 * time.Millisecond
	dir := b.TempDir()
	for i := 0; i < n; i++ {
		down := ""
		if i > 0 {
			down = fmt.Sprintf("r%04d", i-1)
		}
		src := fmt.Sprintf("\"\"\"revision %d\n\nRevision ID: r%04d\n\"\"\"\n", i, i) + typed(fmt.Sprintf("r%04d", i), down)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("r%04d_step.py", i)), []byte(src), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	var worst time.Duration
	for b.Loop() {
		start := time.Now()
		g, err := Load(context.Background(), dir)
		if err != nil || len(g.Revisions) != n || len(g.Heads) != 1 {
			b.Fatalf("%v: %d revisions, heads %v", err, len(g.Revisions), g.Heads)
		}
		if p, err := g.Pending([]string{"r0000"}); err != nil || len(p) != n-1 {
			b.Fatalf("pending %d: %v", len(p), err)
		}
		worst = max(worst, time.Since(start))
	}
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
	if per := b.Elapsed() / time.Duration(b.N); per > budget {
		b.Errorf("%s per load: over the %s budget", per, budget)
	}
}

// TestSourcePolls: the project side and the database side together, a
// database without alembic_version, one that is down, and a missing project.
func TestSourcePolls(t *testing.T) {
	t.Parallel()
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	dir := t.TempDir()
	write(t, dir, map[string]string{"a.py": plain("a", ""), "b.py": plain("b", "a"), "c.py": plain("c", "b")})
	ctx := context.Background()

	db, err := postgres.New(postgres.Options{URL: pg.URL()})
	must(t, err)
	defer db.Close()
	src := NewSource(dir, db)
	st, err := src.Poll(ctx)
	must(t, err)
	if st.Status != "no_table" || len(st.Pending) != 3 || st.Revisions != 3 {
		t.Errorf("no table: %+v", st)
	}
	must(t, pg.Exec(ctx, "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY); INSERT INTO alembic_version VALUES ('a')"))
	st, err = src.Poll(ctx)
	must(t, err)
	if st.Status != "behind" || len(st.Pending) != 2 || st.Pending[0].ID != "b" || !slices.Equal(st.Current, []string{"a"}) {
		t.Errorf("behind: %+v", st)
	}
	// A new file is seen at once (the directory changed): time let pass on
	// purpose, for a new modification time even on coarse clocks.
	time.Sleep(10 * time.Millisecond)
	write(t, dir, map[string]string{"d.py": plain("d", "c")})
	st, err = src.Poll(ctx)
	must(t, err)
	if len(st.Pending) != 3 || !slices.Equal(st.Heads, []string{"d"}) {
		t.Errorf("after adding d.py: heads %v pending %d", st.Heads, len(st.Pending))
	}

	port := sandboxtest.DeadPort(t)
	downDB, err := postgres.New(postgres.Options{URL: "postgresql://u:s3cret-pw@127.0.0.1:" + strconv.Itoa(port) + "/db"})
	must(t, err)
	defer downDB.Close()
	st, err = NewSource(dir, downDB).Poll(ctx)
	must(t, err)
	if st.Status != "unknown" || !strings.Contains(st.DatabaseError, "connection refused") || strings.Contains(st.DatabaseError, "s3cret") || len(st.Heads) != 1 {
		t.Errorf("database down: %+v", st)
	}
	if _, err := NewSource(filepath.Join(dir, "nope"), nil).Poll(ctx); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("missing project: %v", err)
	}
}

// TestLoadReadsWhatAlembicLoads: Alembic loads every .py of a version
// location but __init__ and editor files (.#), hidden ones included, and
// sub-folders only with recursive_version_locations; sourceless projects
// load .pyc files no one can read here, said as critical. Configuration
// file and env.py are known by their digests.
func TestLoadReadsWhatAlembicLoads(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"alembic.ini":            "[alembic]\nscript_location = %(here)s\nrecursive_version_locations = true\n",
		"env.py":                 "# env\n",
		"versions/a.py":          plain("a", ""),
		"versions/.hidden.py":    plain("h", "a"),
		"versions/.#a.py":        plain("e", "a"),
		"versions/sub/deep.py":   plain("d", "h"),
		"versions/__init__.py":   "",
		"other.ini":              "[alembic]\nscript_location = %(here)s\nsourceless = true\n",
		"versions/__pycache__/x": "",
	})
	g, err := Load(context.Background(), dir)
	must(t, err)
	if g.Revisions["h"] == nil || g.Revisions["d"] == nil || g.Revisions["e"] != nil || !slices.Equal(g.Heads, []string{"d"}) {
		t.Errorf("revisions %v heads %v: want the hidden file and the sub-folder read, the editor's file not", slices.Sorted(maps.Keys(g.Revisions)), g.Heads)
	}
	if g.Support[filepath.Join(dir, "alembic.ini")] == "" || g.Support[filepath.Join(dir, "env.py")] == "" {
		t.Errorf("support files: %v", g.Support)
	}
	g, err = Load(context.Background(), filepath.Join(dir, "other.ini"))
	must(t, err)
	if g.Revisions["d"] != nil || !slices.ContainsFunc(g.Problems, func(p sources.Problem) bool {
		return p.Severity == sources.SeverityCritical && strings.Contains(p.Message, "sourceless")
	}) {
		t.Errorf("a sourceless project: revisions %v problems %v", slices.Sorted(maps.Keys(g.Revisions)), g.Problems)
	}
}
