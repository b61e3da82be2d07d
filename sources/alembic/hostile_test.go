package alembic

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/opsdeck/opsdeck/internal/testenv/wait"
	"github.com/opsdeck/opsdeck/sources"
)

// TestHostileProjectDirectory: directory links back to the project, a FIFO
// named like a revision and a link to /dev/zero: each directory is walked
// once, only regular files are read, the rest are problems, and it ends
// at once.
func TestHostileProjectDirectory(t *testing.T) {
	t.Parallel()
	dir := writeProject(t, []fx{{"a1", "first", plain("a1", "")}})
	versions := filepath.Join(dir, "versions")
	must(t, os.Symlink(".", filepath.Join(versions, "loop1")))
	must(t, os.Symlink(".", filepath.Join(versions, "loop2")))
	must(t, os.Symlink(versions, filepath.Join(versions, "loop3")))
	must(t, syscall.Mkfifo(filepath.Join(versions, "x.py"), 0o600))
	must(t, os.Symlink("/dev/zero", filepath.Join(versions, "zero.py")))
	done := make(chan struct{})
	var g *Graph
	var err error
	go func() { g, err = Load(context.Background(), dir); close(done) }()
	wait.Eventually(t, "Load to return", func() error {
		select {
		case <-done:
			return nil
		default:
			return errors.New("Load hangs")
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, p := range g.Problems {
		msgs = append(msgs, p.Message)
	}
	all := strings.Join(msgs, "\n")
	if len(g.Revisions) != 1 || !strings.Contains(all, "x.py: not a regular file (p---------)") || !strings.Contains(all, "zero.py: not a regular file") {
		t.Fatalf("revisions %d, problems:\n%s", len(g.Revisions), all)
	}
	if strings.Contains(all, "duplicate") {
		t.Errorf("a file read twice through a link:\n%s", all)
	}
}

// TestLoadHonoursCancellation: an ended context ends the walk.
func TestLoadHonoursCancellation(t *testing.T) {
	t.Parallel()
	dir := writeProject(t, []fx{{"a1", "first", plain("a1", "")}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Load(ctx, dir); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

// TestCycleIsNotUpToDate: a graph whose revisions form a cycle has no head;
// a database at one of them is not "up to date".
func TestCycleIsNotUpToDate(t *testing.T) {
	t.Parallel()
	dir := writeProject(t, []fx{{"x", "one", plain("x", "y")}, {"y", "two", plain("y", "x")}})
	g, err := Load(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	st := g.Judge([]string{"x"}, true)
	if st.Status == sources.MigrationsUpToDate || st.Status != sources.MigrationsUnknown {
		t.Fatalf("status %s", st.Status)
	}
	if !strings.Contains(st.Problems[len(st.Problems)-1].Message, "no head") {
		t.Errorf("problems: %+v", st.Problems)
	}
}
