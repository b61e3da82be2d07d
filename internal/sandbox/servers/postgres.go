package servers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// PostgresOptions shape a throwaway server. Zero values give user "opsdeck",
// a random password and database "opsdeck".
type PostgresOptions struct {
	User, Password, Database string
	// Settings are extra postgres -c name=value settings.
	Settings map[string]string
}

// Postgres is a running throwaway PostgreSQL server.
type Postgres struct {
	server
	Port                     int
	User, Password, Database string
}

// URL is a libpq URL for the server's database (password included: keep it to yourself).
func (p *Postgres) URL() string { return p.URLFor(p.Database) }

// URLFor is the URL of another database on the same server.
func (p *Postgres) URLFor(database string) string {
	u := url.URL{Scheme: "postgresql", User: url.UserPassword(p.User, p.Password),
		Host: "127.0.0.1:" + strconv.Itoa(p.Port), Path: "/" + database, RawQuery: "sslmode=disable"}
	return u.String()
}

func randomSecret() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// StartPostgres runs initdb and postgres (as the "postgres" OS user when root)
// on a free loopback port, waits until it accepts connections and creates the
// database.
func StartPostgres(ctx context.Context, opts PostgresOptions) (*Postgres, error) {
	if err := refuseShort(); err != nil {
		return nil, err
	}
	if opts.User == "" {
		opts.User = "opsdeck"
	}
	if opts.Password == "" {
		opts.Password = randomSecret()
	}
	if opts.Database == "" {
		opts.Database = "opsdeck"
	}
	initdb, err := LookPath("initdb", "postgresql")
	if err != nil {
		return nil, err
	}
	if _, err := LookPath("postgres", "postgresql"); err != nil {
		return nil, err
	}
	// The harness talks to the server with its own client tools, so that the
	// opsdeck binary (which embeds the demo) does not link a driver for it.
	if _, err := LookPath("psql", "postgresql"); err != nil {
		return nil, err
	}
	su, err := lookupServiceUser()
	if err != nil {
		return nil, err
	}
	dir, err := makeDir("opsdeck-pg-", su)
	if err != nil {
		return nil, err
	}
	pg := &Postgres{server: server{Dir: dir, stopSignal: syscall.SIGINT}, User: opts.User, Password: opts.Password, Database: opts.Database}
	fail := func(err error) (*Postgres, error) {
		os.RemoveAll(dir)
		return nil, err
	}
	data := filepath.Join(dir, "data")
	pwfile := filepath.Join(dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(opts.Password+"\n"), 0o600); err != nil {
		return fail(err)
	}
	if err := su.chown(pwfile); err != nil {
		return fail(err)
	}
	initProc, err := startProcess("initdb", dir, su, initdb, "-D", data, "-U", opts.User,
		"--pwfile", pwfile, "--auth-host=scram-sha-256", "--auth-local=trust",
		"-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
	if err != nil {
		return fail(err)
	}
	select {
	case <-initProc.done:
	case <-ctx.Done():
		initProc.stop(syscall.SIGKILL, time.Second)
		return fail(ctx.Err())
	}
	if initProc.err != nil {
		return fail(fmt.Errorf("initdb failed: %v\n%s", initProc.err, initProc.logTail()))
	}
	os.Remove(pwfile)

	if err := pg.run(ctx, su, opts.Settings); err != nil {
		return fail(err)
	}
	if err := pg.execIn(ctx, "postgres", "CREATE DATABASE "+quoteIdent(opts.Database)); err != nil {
		pg.Stop()
		return nil, fmt.Errorf("create database: %w", err)
	}
	return pg, nil
}

// run starts postgres on the data directory under p.Dir, on a free port.
func (p *Postgres) run(ctx context.Context, su *serviceUser, settings map[string]string) error {
	postgresBin, err := LookPath("postgres", "postgresql")
	if err != nil {
		return err
	}
	args := []string{"-D", filepath.Join(p.Dir, "data"), "-k", p.Dir, "-c", "listen_addresses=127.0.0.1",
		// A throwaway server need not survive a crash: skip the disk flushes.
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"}
	for k, v := range settings {
		args = append(args, "-c", k+"="+v)
	}
	p.killSignal, p.port = syscall.SIGQUIT, &p.Port
	p.relaunch = func(ctx context.Context, port int) (*process, error) {
		p.Port = port
		ready := func(ctx context.Context) error { return p.execIn(ctx, "postgres", "SELECT 1") }
		return launch(ctx, "postgres", p.Dir, su, ready, postgresBin, append(args, "-p", strconv.Itoa(port))...)
	}
	proc, err := withPortRetry(func(port int) (*process, error) { return p.relaunch(ctx, port) })
	if err != nil {
		return err
	}
	p.proc = proc
	return nil
}

// StartReplica makes a streaming replica of primary with pg_basebackup and
// starts it on its own port. Stop it before the primary.
func StartReplica(ctx context.Context, primary *Postgres) (*Postgres, error) {
	if err := refuseShort(); err != nil {
		return nil, err
	}
	basebackup, su, dir, err := prepare("pg_basebackup", "postgresql", "opsdeck-pgreplica-")
	if err != nil {
		return nil, err
	}
	r := &Postgres{server: server{Dir: dir, stopSignal: syscall.SIGINT}, User: primary.User, Password: primary.Password, Database: primary.Database}
	cmd := exec.CommandContext(ctx, basebackup, "-D", filepath.Join(dir, "data"), "-R", "-X", "stream", "--no-sync", "--checkpoint=fast",
		"-d", fmt.Sprintf("host=127.0.0.1 port=%d user=%s application_name=replica1", primary.Port, primary.User))
	cmd.Dir = dir
	cmd.SysProcAttr = su.attr()
	cmd.Env = append(os.Environ(), "PGPASSWORD="+primary.Password, "PGSSLMODE=disable", "LC_ALL=C")
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pg_basebackup: %v: %s", err, strings.TrimSpace(string(out)))
	}
	if err := r.run(ctx, su, nil); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return r, nil
}

// Exec runs SQL (several statements allowed) in the server's database with
// psql, stopping at the first error.
func (p *Postgres) Exec(ctx context.Context, sql string) error {
	return p.execIn(ctx, p.Database, sql)
}

// ExecIn runs sql through psql in another database of the server.
func (p *Postgres) ExecIn(ctx context.Context, database, sql string) error {
	return p.execIn(ctx, database, sql)
}

func (p *Postgres) execIn(ctx context.Context, database, sql string) error {
	psql, err := LookPath("psql", "postgresql")
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, psql, "--no-psqlrc", "--quiet", "-v", "ON_ERROR_STOP=1",
		"-h", "127.0.0.1", "-p", strconv.Itoa(p.Port), "-U", p.User, "-d", database)
	cmd.Stdin = strings.NewReader(sql)
	// The password goes through the environment, never argv.
	cmd.Env = append(os.Environ(), "PGPASSWORD="+p.Password, "PGCONNECT_TIMEOUT=5", "PGSSLMODE=disable")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("psql: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// quoteIdent quotes a PostgreSQL identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// Stop shuts the server down (fast shutdown, then kill) and removes its directory.
func (p *Postgres) Stop() error {
	if p == nil {
		return nil
	}
	return p.stop()
}

// Session is a psql client left running one statement (a long query for the
// demo's Postgres pane to find).
type Session struct{ cmd *exec.Cmd }

// StartSession runs sql in a psql named app, in the background, until Stop.
func (p *Postgres) StartSession(app, sql string) (*Session, error) {
	psql, err := LookPath("psql", "postgresql")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(psql, "--no-psqlrc", "--quiet", "-h", "127.0.0.1", "-p", strconv.Itoa(p.Port), "-U", p.User, "-d", p.Database, "-c", sql)
	cmd.Env = append(os.Environ(), "PGPASSWORD="+p.Password, "PGAPPNAME="+app, "PGSSLMODE=disable")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go cmd.Wait() //nolint:errcheck // reaped; killed by Stop
	return &Session{cmd: cmd}, nil
}

// Stop ends the session.
func (s *Session) Stop() error {
	if s == nil {
		return nil
	}
	return syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
}

// ActivePID is the backend pid of the active session whose application is
// app (one StartSession began), waiting for it until ctx ends.
func (p *Postgres) ActivePID(ctx context.Context, app string) (int, error) {
	return p.pidWhere(ctx, app, "state = 'active'", "no active session")
}

// WaitingPID waits until a session of app waits for a lock, and returns
// its pid.
func (p *Postgres) WaitingPID(ctx context.Context, app string) (int, error) {
	return p.pidWhere(ctx, app, "wait_event_type = 'Lock'", "no session waiting for a lock")
}

// pidWhere polls pg_stat_activity for a session of app meeting cond.
func (p *Postgres) pidWhere(ctx context.Context, app, cond, missing string) (int, error) {
	psql, err := LookPath("psql", "postgresql")
	if err != nil {
		return 0, err
	}
	query := "SELECT pid FROM pg_stat_activity WHERE " + cond + " AND application_name = '" + strings.ReplaceAll(app, "'", "''") + "' LIMIT 1"
	for {
		cmd := exec.CommandContext(ctx, psql, "--no-psqlrc", "-At", "-h", "127.0.0.1", "-p", strconv.Itoa(p.Port), "-U", p.User, "-d", p.Database, "-c", query)
		cmd.Env = append(os.Environ(), "PGPASSWORD="+p.Password, "PGCONNECT_TIMEOUT=5", "PGSSLMODE=disable")
		if out, err := cmd.Output(); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(out))); err == nil {
				return pid, nil
			}
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("%s %s: %w", missing, app, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
