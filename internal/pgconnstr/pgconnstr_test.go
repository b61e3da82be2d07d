package pgconnstr

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
)

func TestForChild(t *testing.T) {
	cases := []struct {
		in       string
		conninfo string
		env      []string
		service  map[string]string
		err      string
	}{
		{in: "postgresql://u:s3cret@db.example.com:5433/origin?sslmode=require",
			conninfo: "user='u' host='db.example.com' port='5433' dbname='origin' sslmode='require'", env: []string{"PGPASSWORD=s3cret"}},
		{in: "postgresql+psycopg2://u:p%40ss%3Aw@h/db", conninfo: "user='u' host='h' dbname='db'", env: []string{"PGPASSWORD=p@ss:w"}},
		{in: "postgres://u@h/db?password=s3cret&application_name=ops%20deck",
			conninfo: "user='u' host='h' dbname='db' application_name='ops deck'", env: []string{"PGPASSWORD=s3cret"}},
		{in: "postgresql://u:first@h/db?password=second", conninfo: "user='u' host='h' dbname='db'", env: []string{"PGPASSWORD=second"}},
		{in: "host=h port=5432 dbname=db user=u password=s3cret", conninfo: "host='h' port='5432' dbname='db' user='u'", env: []string{"PGPASSWORD=s3cret"}},
		{in: `host=h password='it\'s a \\secret' dbname='my db'`, conninfo: `host='h' dbname='my db'`, env: []string{`PGPASSWORD=it's a \secret`}},
		{in: "host = h  password =s3cret\tdbname= db", conninfo: "host='h' dbname='db'", env: []string{"PGPASSWORD=s3cret"}},
		{in: "postgresql://u@h/db?sslpassword=keypass&sslkey=/k.pem&passfile=/p/.pgpass",
			conninfo: "user='u' host='h' dbname='db' sslkey='/k.pem'", env: []string{"PGPASSFILE=/p/.pgpass"}, service: map[string]string{"sslpassword": "keypass"}},
		{in: "host=h sslpassword=kp password=pw", conninfo: "host='h'", env: []string{"PGPASSWORD=pw"}, service: map[string]string{"sslpassword": "kp"}},
		{in: "postgresql://u:pw@h1:5432,h2:5433/db", conninfo: "user='u' host='h1,h2' port='5432,5433' dbname='db'", env: []string{"PGPASSWORD=pw"}},
		{in: "postgresql://u:pw@h1,h2:5433/db", conninfo: "user='u' host='h1,h2' port=',5433' dbname='db'", env: []string{"PGPASSWORD=pw"}},
		{in: "postgresql://u:pw@[::1]:5432/db", conninfo: "user='u' host='::1' port='5432' dbname='db'", env: []string{"PGPASSWORD=pw"}},
		{in: "postgresql://%2Fvar%2Frun%2Fpostgresql/db", conninfo: "host='/var/run/postgresql' dbname='db'"},
		{in: "postgresql:///db?host=/tmp&user=u", conninfo: "dbname='db' host='/tmp' user='u'"},
		{in: "postgresql://u:@h/db", conninfo: "user='u' host='h' dbname='db'"},
		{in: "postgresql://h/db?ssl=true", conninfo: "host='h' dbname='db' sslmode='require'"},
		{in: "origin_db", conninfo: "dbname='origin_db'"},
		{in: "postgresql://u:pw@h", conninfo: "user='u' host='h'", env: []string{"PGPASSWORD=pw"}},
		{in: "host=h sslpassword=kp service=origin", err: "names a service and an sslpassword"},
		{in: "host=h password='unterminated", err: "unterminated"},
		{in: "host s3cret dbname=x", err: `a word without "=" after it (at byte 0)`},
		{in: "host h", conninfo: "dbname='host h'"}, // no "=": a database name, as for libpq
		{in: "postgresql://h/db?x%zz=1", err: "percent-encoded"},
		{in: "postgresql://u:%00@h/db", err: "percent-encoded"},
		{in: "postgresql://h/db?s3cret", err: "a parameter without a value"},
		{in: "postgresql://[::1/db", err: "closing ]"},
	}
	for _, c := range cases {
		got, err := ForChild(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || strings.Contains(err.Error(), "s3cret") {
				t.Errorf("%s: error %v, want one saying %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got.Conninfo != c.conninfo || !slices.Equal(got.Env, c.env) || fmt.Sprint(got.Service) != fmt.Sprint(c.service) {
			t.Errorf("%s:\n got %q %q %v (%v)\nwant %q %q %v", c.in, got.Conninfo, got.Env, got.Service, err, c.conninfo, c.env, c.service)
		}
		for _, secret := range []string{"s3cret", "p@ss", "secret", "keypass", "first", "second", "pw'", "kp'"} {
			if strings.Contains(got.Conninfo, secret) {
				t.Errorf("%s: %q is in the child's argument %q", c.in, secret, got.Conninfo)
			}
		}
	}
}

// TestWriteService: sslpassword reaches libpq through a service file only
// its owner reads; a value a service file cannot hold is refused.
func TestWriteService(t *testing.T) {
	dir := t.TempDir()
	c := Child{Service: map[string]string{"sslpassword": "kp"}}
	env, err := c.WriteService(dir)
	if err != nil || !slices.Equal(env, []string{"PGSERVICEFILE=" + filepath.Join(dir, "pg_service.conf"), "PGSERVICE=opsdeck"}) {
		t.Fatalf("%q %v", env, err)
	}
	st, err := os.Stat(filepath.Join(dir, "pg_service.conf"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("the service file: %v %v", st, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "pg_service.conf")); string(b) != "[opsdeck]\nsslpassword=kp\n" {
		t.Errorf("the service file holds %q", b)
	}
	if env, err := (Child{}).WriteService(dir); env != nil || err != nil {
		t.Errorf("nothing to write: %q %v", env, err)
	}
	if _, err := (Child{Service: map[string]string{"sslpassword": "a\nb"}}).WriteService(dir); err == nil {
		t.Error("a line break in a service file's value")
	}
}

// TestNoSecretInPgDumpsArgv runs the real pg_dump with what ForChild makes
// of a connection in each form, through a wrapper that records the argv
// the child was started with (/proc/PID/cmdline): the dump succeeds (the
// password reached libpq) and no secret is in the argv.
func TestNoSecretInPgDumpsArgv(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	if err := pg.Exec(ctx, "CREATE TABLE argv_canary (id int)"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pgpass := filepath.Join(dir, "pgpass")
	if err := os.WriteFile(pgpass, []byte(fmt.Sprintf("127.0.0.1:%d:*:%s:%s\n", pg.Port, pg.User, pg.Password)), 0o600); err != nil {
		t.Fatal(err)
	}
	wrapper := newPgDumpWrapper(t)
	at := fmt.Sprintf("127.0.0.1:%d", pg.Port)
	forms := []string{
		fmt.Sprintf("postgresql://%s:%s@%s/%s?sslmode=disable", pg.User, pg.Password, at, pg.Database),
		fmt.Sprintf("postgresql+psycopg2://%s@%s/%s?sslmode=disable&password=%s", pg.User, at, pg.Database, pg.Password),
		fmt.Sprintf("host=127.0.0.1 port=%d user=%s password=%s dbname=%s sslmode=disable", pg.Port, pg.User, pg.Password, pg.Database),
		fmt.Sprintf("host=127.0.0.1 port=%d user=%s password='%s' dbname=%s sslmode=disable sslpassword=KeyPass%s", pg.Port, pg.User, pg.Password, pg.Database, pg.Password),
		fmt.Sprintf("postgresql://%s@%s/%s?sslmode=disable&passfile=%s", pg.User, at, pg.Database, pgpass),
	}
	for _, form := range forms {
		c, err := ForChild(form)
		if err != nil {
			t.Fatal(err)
		}
		env, err := c.WriteService(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		argv, out, err := wrapper.run(ctx, append(c.Env, env...), "--schema-only", "--dbname", c.Conninfo)
		if err != nil || !strings.Contains(out, "argv_canary") {
			t.Errorf("%s: the dump failed: %v", c.Conninfo, err)
		}
		t.Logf("pg_dump ran as: %s", argv)
		if strings.Contains(argv, pg.Password) || strings.Contains(argv, "KeyPass") || strings.Contains(argv, "password") {
			t.Errorf("a secret is in pg_dump's argv: %q", argv)
		}
	}
}

// pgDumpWrapper is pg_dump behind a script that first records the argv it
// was started with, as the kernel holds it (/proc/PID/cmdline).
type pgDumpWrapper struct{ path string }

func newPgDumpWrapper(t *testing.T) pgDumpWrapper {
	t.Helper()
	real, err := servers.LookPath("pg_dump", "postgresql")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "pg_dump")
	script := "#!/bin/sh\ntr '\\000' ' ' < /proc/$$/cmdline > \"$0.argv\"\nexec " + real + " \"$@\"\n"
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return pgDumpWrapper{path: p}
}

// run runs pg_dump with args and env on top of this process's, and
// returns the argv it saw and its output.
func (w pgDumpWrapper) run(ctx context.Context, env []string, args ...string) (argv, out string, err error) {
	cmd := exec.CommandContext(ctx, w.path, args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		err = fmt.Errorf("%v: %s", err, stderr.String())
	}
	a, rerr := os.ReadFile(w.path + ".argv")
	if rerr != nil {
		return "", "", rerr
	}
	return string(a), string(b), err
}
