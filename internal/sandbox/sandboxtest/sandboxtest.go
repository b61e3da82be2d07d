// Package sandboxtest starts the sandbox's servers for one test each and
// stops them when the test ends; it holds what only tests need (skips in a
// -short run, a port nothing answers on), so that the sandbox program links
// none of it.
package sandboxtest

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
)

// SkipServers skips a test that needs real servers in a -short run; make
// test runs without -short, so nothing is skipped there.
func SkipServers(t testing.TB, what string) {
	if testing.Short() {
		t.Skip("-short: needs a real " + what + " (make test runs it)")
	}
}

// DeadPort is a loopback port nothing answers on, for as long as the test
// runs: a socket bound to it and never listening, so that a connection is
// refused, and no server started meanwhile by a parallel test takes it (a
// port FreePort returned may be anyone's by the time it is dialled).
func DeadPort(t testing.TB) int {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("a dead port: %v", err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatalf("a dead port: %v", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatalf("a dead port: %v", err)
	}
	return sa.(*syscall.SockaddrInet4).Port
}

// startFor starts a server for one test and stops it when the test ends.
func startFor[T interface{ Stop() error }](t testing.TB, what string, timeout time.Duration, start func(context.Context) (T, error)) T {
	t.Helper()
	SkipServers(t, what)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	srv, err := start(ctx)
	if err != nil {
		t.Fatalf("sandboxtest: %s: %v", what, err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Logf("sandboxtest: stopping %s: %v", what, err)
		}
	})
	return srv
}

// AlembicProjectAt writes an Alembic project with revs into a directory of
// its own (removed when the test ends) and upgrades pg's database to at
// ("" for none); it returns the directory.
func AlembicProjectAt(ctx context.Context, t testing.TB, pg *servers.Postgres, revs []servers.Revision, at string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "opsdeck-alembic-")
	if err != nil {
		t.Fatalf("alembic project: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := servers.WriteAlembicRevisions(dir, revs); err != nil {
		t.Fatalf("alembic project: %v", err)
	}
	if at != "" {
		if err := servers.Alembic(ctx, dir, pg.URL(), "upgrade", at); err != nil {
			t.Fatalf("alembic upgrade %s: %v", at, err)
		}
	}
	return dir
}
