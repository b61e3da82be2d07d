package servers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opsdeck/opsdeck/internal/testenv/wait"
)

// alive reports whether a process id still exists.
func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

func gone(t *testing.T, what string, pid int, dir string) {
	t.Helper()
	if err := wait.For(t, func() error {
		if alive(pid) {
			return fmt.Errorf("%s process %d still running after Stop", what, pid)
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s directory %s left behind", what, dir)
	}
}

func TestPostgresStartsAnswersAndCleansUp(t *testing.T) {
	skipServers(t, "PostgreSQL")
	t.Parallel()
	ctx := context.Background()
	pg, err := StartPostgres(ctx, PostgresOptions{User: "app", Password: "pw-123", Database: "origin_db"})
	if err != nil {
		t.Fatal(err)
	}
	if pg.Port == 5432 {
		t.Fatal("harness used the default port")
	}
	conn, err := pgx.Connect(ctx, pg.URL())
	if err != nil {
		pg.Stop()
		t.Fatal(err)
	}
	var db, user string
	err = conn.QueryRow(ctx, "select current_database(), current_user").Scan(&db, &user)
	conn.Close(ctx)
	if err != nil || db != "origin_db" || user != "app" {
		t.Errorf("connected to %q as %q (%v)", db, user, err)
	}
	// The password is really checked: a wrong one is refused.
	wrong := strings.Replace(pg.URL(), "pw-123", "nope", 1)
	if c, err := pgx.Connect(ctx, wrong); err == nil {
		c.Close(ctx)
		t.Error("wrong password accepted")
	}
	pid, dir := pg.Pid(), pg.Dir
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	gone(t, "postgres", pid, dir)
}

func TestRedisStartsAnswersAndCleansUp(t *testing.T) {
	skipServers(t, "Redis")
	t.Parallel()
	r, err := StartRedis(context.Background(), RedisOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Port == 6379 || r.Password == "" {
		t.Fatalf("port %d password %q", r.Port, r.Password)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := r.ping(ctx); err != nil {
		t.Error(err)
	}
	bad := &Redis{Port: r.Port, Password: "wrong"}
	if err := bad.ping(ctx); err == nil {
		t.Error("wrong password accepted")
	}
	pid, dir := r.Pid(), r.Dir
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	gone(t, "redis", pid, dir)
}

// TestPrometheusScrapesTarget: the system's Prometheus and the current
// release each scrape, answer, say which version they are and clean up.
func TestPrometheusScrapesTarget(t *testing.T) {
	skipServers(t, "Prometheus")
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "# TYPE harness_probe gauge\nharness_probe 42")
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	for _, current := range []bool{false, true} {
		t.Run(fmt.Sprintf("current=%v", current), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute) // the first build of the current release
			defer cancel()
			p, err := StartPrometheus(ctx, PrometheusOptions{Targets: []string{l.Addr().String()}, Job: "probe", Current: current})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel = wait.Bounded(t)
			defer cancel()
			err = p.WaitFor(ctx, `harness_probe{job="probe"}`, func(s []Sample) bool { return len(s) == 1 && s[0].Value == 42 })
			if err != nil {
				t.Error(err)
			}
			version, err := p.Version(ctx)
			if err != nil || current && version != PrometheusVersion || !current && version == PrometheusVersion {
				t.Errorf("current=%v: Prometheus %q, %v (the current release is %s)", current, version, err, PrometheusVersion)
			}
			pid, dir := p.Pid(), p.Dir
			if err := p.Stop(); err != nil {
				t.Fatal(err)
			}
			gone(t, "prometheus", pid, dir)
		})
	}
}

func TestMissingBinaryNamesPackage(t *testing.T) {
	_, err := LookPath("opsdeck-no-such-server", "opsdeck-pkg")
	var mb *MissingBinaryError
	if !errors.As(err, &mb) || !strings.Contains(err.Error(), "install the Debian package opsdeck-pkg") {
		t.Fatalf("err = %v", err)
	}
}

// TestStartWithoutItsBinaryNamesThePackage needs a full run: under -short
// StartRedis refuses before it looks for its binary.
func TestStartWithoutItsBinaryNamesThePackage(t *testing.T) {
	skipServers(t, "redis-server's absence")
	t.Setenv("PATH", t.TempDir())
	_, err := StartRedis(context.Background(), RedisOptions{})
	if err == nil || !strings.Contains(err.Error(), "redis-server not found: install the Debian package redis-server") {
		t.Fatalf("StartRedis without redis-server: %v", err)
	}
}

// TestVictoriaLogsStartsAnswersAndCleansUp: the pinned VictoriaLogs takes
// a line, finds it within its flush interval and some, and leaves nothing
// behind when stopped.
func TestVictoriaLogsStartsAnswersAndCleansUp(t *testing.T) {
	skipServers(t, "VictoriaLogs")
	t.Parallel()
	ctx := context.Background()
	v, err := StartVictoriaLogs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Stop()
	line := `{"_msg":"probe line 42","level":"error","trace_id":"abc123"}`
	resp, err := http.Post(v.URL()+"/insert/jsonline", "application/stream+json", strings.NewReader(line+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("insert: %s", resp.Status)
	}
	if err := wait.For(t, func() error {
		resp, err := http.PostForm(v.URL()+"/select/logsql/query", url.Values{"query": {`trace_id:"abc123"`}})
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if !strings.Contains(string(body), "probe line 42") {
			return fmt.Errorf("query answered %s %q", resp.Status, body)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	pid, dir := v.Pid(), v.Dir
	if err := v.Stop(); err != nil {
		t.Fatal(err)
	}
	gone(t, "victorialogs", pid, dir)
}

// skipServers skips in a -short run (sandboxtest has the same; it imports
// this package, so this package's own tests cannot use it).
func skipServers(t *testing.T, what string) {
	if testing.Short() {
		t.Skip("-short: needs a real " + what + " (make test runs it)")
	}
}
