package servers

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// PgbouncerOptions shape a throwaway pgbouncer in front of a Postgres.
type PgbouncerOptions struct {
	// Users are extra users (name -> password) pgbouncer knows, besides the
	// server's own user; they log in to the admin console only.
	Users map[string]string
	// AdminUsers and StatsUsers may use the admin console; the server's user
	// is an admin unless AdminUsers is set.
	AdminUsers, StatsUsers []string
	// PoolMode defaults to transaction, as Origin runs it.
	PoolMode string
}

// Pgbouncer is a running throwaway pgbouncer serving the server's database.
type Pgbouncer struct {
	server
	Port     int
	Database string
	users    map[string]string
}

// URL is the URL of database db through pgbouncer as user (password included).
func (b *Pgbouncer) URL(db, user string) string {
	u := url.URL{Scheme: "postgresql", User: url.UserPassword(user, b.users[user]),
		Host: "127.0.0.1:" + strconv.Itoa(b.Port), Path: "/" + db, RawQuery: "sslmode=disable"}
	return u.String()
}

// StartPgbouncer runs pgbouncer (as the service user: it refuses root) in
// front of pg on a free loopback port.
func StartPgbouncer(ctx context.Context, pg *Postgres, opts PgbouncerOptions) (*Pgbouncer, error) {
	if err := refuseShort(); err != nil {
		return nil, err
	}
	bin, su, dir, err := prepare("pgbouncer", "pgbouncer", "opsdeck-pgbouncer-")
	if err != nil {
		return nil, err
	}
	users := map[string]string{pg.User: pg.Password}
	for u, p := range opts.Users {
		users[u] = p
	}
	if len(opts.AdminUsers) == 0 {
		opts.AdminUsers = []string{pg.User}
	}
	if opts.PoolMode == "" {
		opts.PoolMode = "transaction"
	}
	b := &Pgbouncer{server: server{Dir: dir, stopSignal: syscall.SIGINT}, Database: pg.Database, users: users}
	fail := func(err error) (*Pgbouncer, error) {
		os.RemoveAll(dir)
		return nil, err
	}
	var userlist strings.Builder
	for u, p := range users {
		fmt.Fprintf(&userlist, "%q %q\n", u, p)
	}
	authFile := filepath.Join(dir, "userlist.txt")
	if err := os.WriteFile(authFile, []byte(userlist.String()), 0o600); err != nil {
		return fail(err)
	}
	if err := su.chown(authFile); err != nil {
		return fail(err)
	}
	proc, err := withPortRetry(func(port int) (*process, error) {
		b.Port = port
		ini := fmt.Sprintf(`[databases]
%s = host=127.0.0.1 port=%d dbname=%s
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = scram-sha-256
auth_file = %s
admin_users = %s
stats_users = %s
pool_mode = %s
max_client_conn = 400
default_pool_size = 20
ignore_startup_parameters = extra_float_digits
`, pg.Database, pg.Port, pg.Database, port, authFile, strings.Join(opts.AdminUsers, ","), strings.Join(opts.StatsUsers, ","), opts.PoolMode)
		iniPath := filepath.Join(dir, "pgbouncer.ini")
		if err := os.WriteFile(iniPath, []byte(ini), 0o600); err != nil {
			return nil, err
		}
		if err := su.chown(iniPath); err != nil {
			return nil, err
		}
		ready := func(ctx context.Context) error {
			return psql(ctx, port, opts.AdminUsers[0], users[opts.AdminUsers[0]], "pgbouncer", "SHOW VERSION")
		}
		return launch(ctx, "pgbouncer", dir, su, ready, bin, iniPath)
	})
	if err != nil {
		return fail(err)
	}
	b.proc = proc
	return b, nil
}

// psql runs sql against 127.0.0.1:port as user.
func psql(ctx context.Context, port int, user, password, database, sql string) error {
	bin, err := LookPath("psql", "postgresql")
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, bin, "--no-psqlrc", "--quiet", "-v", "ON_ERROR_STOP=1",
		"-h", "127.0.0.1", "-p", strconv.Itoa(port), "-U", user, "-d", database, "-c", sql)
	cmd.Env = append(os.Environ(), "PGPASSWORD="+password, "PGCONNECT_TIMEOUT=5", "PGSSLMODE=disable")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("psql: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// Stop shuts pgbouncer down and removes its directory.
func (b *Pgbouncer) Stop() error {
	if b == nil {
		return nil
	}
	return b.stop()
}
