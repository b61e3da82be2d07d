package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opsdeck/opsdeck/internal/testenv/harness"
)

func TestHeadlessActions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pg := harness.NewPostgres(t, harness.PostgresOptions{})
	rd := harness.NewRedis(t, harness.RedisOptions{})
	dir := t.TempDir()
	files := map[string]string{
		"alembic.ini": "[alembic]\nscript_location = %(here)s\n\n[loggers]\nkeys = root,alembic\n[handlers]\nkeys = console\n[formatters]\nkeys = generic\n" +
			"[logger_root]\nlevel = WARN\nhandlers = console\n[logger_alembic]\nlevel = INFO\nhandlers =\nqualname = alembic\n" +
			"[handler_console]\nclass = StreamHandler\nargs = (sys.stderr,)\nlevel = NOTSET\nformatter = generic\n[formatter_generic]\nformat = %(levelname)s %(message)s\n",
		"env.py": "import os\nfrom logging.config import fileConfig\nfrom alembic import context\nfrom sqlalchemy import create_engine, pool\n" +
			"fileConfig(context.config.config_file_name)\nassert os.environ['DB_ENCRYPTION_KEY'] == 'k3y'\n" +
			"engine = create_engine(os.environ['DATABASE_URL'], poolclass=pool.NullPool)\nwith engine.connect() as c:\n" +
			"    context.configure(connection=c)\n    with context.begin_transaction():\n        context.run_migrations()\n",
		"versions/a1_users.py": "\"\"\"users\"\"\"\nfrom alembic import op\nrevision = 'a1'\ndown_revision = None\n" +
			"def upgrade():\n    op.execute('CREATE TABLE users (id serial PRIMARY KEY, email text)')\ndef downgrade():\n    pass\n",
		"versions/b2_seed.py": "\"\"\"seed\"\"\"\nfrom alembic import op\nrevision = 'b2'\ndown_revision = 'a1'\n" +
			"def upgrade():\n    op.execute(\"INSERT INTO users (email) VALUES ('a'), ('b')\")\ndef downgrade():\n    pass\n",
	}
	for name, src := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Each environment its own database and Redis database: environments
	// naming one resource share the stricter guard (qaonprod below).
	for _, db := range []string{"prod", "sandbox", "checkprod"} {
		if err := pg.Exec(ctx, "CREATE DATABASE "+db); err != nil {
			t.Fatal(err)
		}
	}
	if err := rd.Do(ctx, 2, []string{"SET", "cache", "x"}); err != nil {
		t.Fatal(err)
	}
	common := func(db string, rdb int) string {
		return `postgres: {url: "` + pg.URLFor(db) + `"}
    redis: {url: "` + rd.URL(rdb) + `"}
    alembic: {dir: "` + dir + `", env: {DB_ENCRYPTION_KEY: k3y}}`
	}
	// prod's database and Redis, spelled another way.
	prodElsewhere := strings.Replace(pg.URLFor("prod"), "127.0.0.1", "localhost", 1)
	cfg := writeFile(t, "actions.yaml", `environments:
  qa:
    `+common(pg.Database, 0)+`
    actions:
      commands:
        - {name: failing, argv: [sh, -c, "echo about to fail; exit 3"]}
  prod:
    `+common("prod", 1)+`
    protected: true
  sandbox:
    `+common("sandbox", 2)+`
    disposable: true
    confirm: none
  checkprod:
    postgres: {url: "`+pg.URLFor("checkprod")+`"}
    alembic: {dir: "`+dir+`", env: {DB_ENCRYPTION_KEY: k3y}, check_command: alembic upgrade head}
    protected: true
  qaonprod:
    postgres: {url: "`+prodElsewhere+`"}
    redis: {url: "`+rd.URL(1)+`"}
    alembic: {dir: "`+dir+`", env: {DB_ENCRYPTION_KEY: k3y}}
`)
	state := t.TempDir()
	env := map[string]string{"XDG_STATE_HOME": state}

	// One configuration, one scenario per step; later steps read what earlier ones did.
	t.Run("guards refuse before anything runs", func(t *testing.T) {
		code, _, stderr := runCLI(t, env, "--config", cfg, "--env", "qa", "run", "migrate")
		if code != 2 || !strings.Contains(stderr, "migrate in qa needs confirmation: add --yes") {
			t.Fatalf("unconfirmed: exit %d %s", code, stderr)
		}
		code, _, stderr = runCLI(t, env, "--config", cfg, "--readonly", "--env", "qa", "run", "migrate", "--yes")
		if code != 2 || !strings.Contains(stderr, "refused: opsdeck runs with --readonly") {
			t.Fatalf("readonly: exit %d %s", code, stderr)
		}
		code, _, stderr = runCLI(t, env, "--config", cfg, "--env", "prod", "run", "migrate", "--yes")
		if code != 2 || !strings.Contains(stderr, "prod is protected: repeat its name with --confirm-env prod") {
			t.Fatalf("protected: exit %d %s", code, stderr)
		}
		code, _, stderr = runCLI(t, env, "--config", cfg, "--env", "prod", "run", "reset", "--confirm-env", "prod")
		if code != 2 || !strings.Contains(stderr, "refused: environment prod is protected; resets need allow_reset: true") {
			t.Fatalf("protected reset: exit %d %s", code, stderr)
		}
		// The drift pane's check is a command like any other: guarded, audited.
		code, _, stderr = runCLI(t, env, "--config", cfg, "--readonly", "--env", "qa", "run", "alembic-check")
		if code != 2 || !strings.Contains(stderr, "refused: opsdeck runs with --readonly") {
			t.Fatalf("readonly check: exit %d %s", code, stderr)
		}
		code, _, stderr = runCLI(t, env, "--config", cfg, "--env", "checkprod", "run", "alembic-check", "--yes")
		if code != 2 || !strings.Contains(stderr, "checkprod is protected: repeat its name with --confirm-env checkprod") {
			t.Fatalf("a check configured to migrate, in a protected environment: exit %d %s", code, stderr)
		}
		if err := pg.ExecIn(ctx, "checkprod", "DO $$ BEGIN IF to_regclass('alembic_version') IS NOT NULL THEN RAISE 'migrated'; END IF; END $$"); err != nil {
			t.Fatalf("the refused check ran: %v", err)
		}
		// An ordinary environment naming production's database (another
		// spelling of its host) and Redis is guarded as production.
		code, _, stderr = runCLI(t, env, "--config", cfg, "--env", "qaonprod", "run", "reset", "--yes")
		if code != 2 || !strings.Contains(stderr, "refused: environment qaonprod is protected (it shares prod (database 127.0.0.1:") ||
			!strings.Contains(stderr, "resets need allow_reset: true") || !strings.Contains(stderr, "environments.qaonprod.postgres.url: names the same database as environments.prod.postgres.url") {
			t.Fatalf("a reset of production's database from another environment: exit %d %s", code, stderr)
		}
		code, _, stderr = runCLI(t, env, "--config", cfg, "--env", "qaonprod", "run", "migrate", "--yes")
		if code != 2 || !strings.Contains(stderr, "qaonprod is protected (it shares prod (database") || !strings.Contains(stderr, "--confirm-env qaonprod") {
			t.Fatalf("a migration of production's database from another environment: exit %d %s", code, stderr)
		}
	})
	t.Run("alembic-check and migrate run", func(t *testing.T) {
		code, out, stderr := runCLI(t, env, "--config", cfg, "--env", "qa", "run", "alembic-check")
		// (Debian's alembic predates `alembic check`: it runs, and says so.)
		if strings.Contains(stderr, "refused") || !strings.Contains(stderr+out, "alembic") {
			t.Fatalf("alembic check in qa: exit %d\n%s%s", code, out, stderr)
		}
		code, out, stderr = runCLI(t, env, "--config", cfg, "--env", "prod", "run", "migrate", "--confirm-env", "prod")
		if code != 0 || !strings.Contains(stderr, "Running upgrade  -> a1") || !strings.Contains(stderr, "Running upgrade a1 -> b2") ||
			!strings.Contains(stderr, "2 pending, applied in this order, and no other:\nopsdeck:   a1 users\nopsdeck:   b2 seed") ||
			!strings.Contains(out, "the database is now at b2") {
			t.Fatalf("migrate: exit %d\n%s\n%s", code, out, stderr)
		}
		if err := pg.ExecIn(ctx, "prod", "DO $$ BEGIN IF (SELECT version_num FROM alembic_version) <> 'b2' THEN RAISE 'not at head'; END IF; END $$"); err != nil {
			t.Fatalf("alembic_version after migrate: %v", err)
		}
	})
	t.Run("reset empties what it planned", func(t *testing.T) {
		// confirm: none: the migration runs on one keystroke.
		if code, out, stderr := runCLI(t, env, "--config", cfg, "--env", "sandbox", "run", "migrate"); code != 0 {
			t.Fatalf("sandbox migrate: exit %d\n%s\n%s", code, out, stderr)
		}
		code, out, stderr := runCLI(t, env, "--config", cfg, "--env", "sandbox", "run", "reset")
		if code != 0 || !strings.Contains(out, "truncated 1 table(s): public.users") || !strings.Contains(out, "flushed redis db 2") ||
			!strings.Contains(stderr, "Reset environment sandbox: empty 1 table(s), ~2 rows") || !strings.Contains(stderr, "opsdeck: configuration: "+cfg) {
			t.Fatalf("reset: exit %d\n%s\n%s", code, out, stderr)
		}
		if err := pg.ExecIn(ctx, "sandbox", "DO $$ BEGIN IF (SELECT count(*) FROM users) <> 0 OR (SELECT count(*) FROM alembic_version) <> 1 THEN RAISE 'reset wrong'; END IF; END $$"); err != nil {
			t.Fatal(err)
		}
		if err := pg.ExecIn(ctx, "prod", "DO $$ BEGIN IF (SELECT count(*) FROM users) <> 2 THEN RAISE 'prod touched'; END IF; END $$"); err != nil {
			t.Fatal(err)
		}
		if info, _ := rd.Get(ctx, "INFO", "keyspace"); strings.Contains(info, "db2:") {
			t.Errorf("redis db 2 not flushed: %s", info)
		}
	})
	t.Run("a command's own status and an unknown action", func(t *testing.T) {
		code, out, _ := runCLI(t, env, "--config", cfg, "--env", "qa", "run", "failing")
		if code != 3 || !strings.Contains(out, "about to fail") {
			t.Fatalf("failing command: exit %d %s", code, out)
		}
		code, _, stderr := runCLI(t, env, "--config", cfg, "--env", "qa", "run", "nope")
		if code != 2 || !strings.Contains(stderr, `no action "nope" in environment qa (have: migrate, alembic-check, reset, failing)`) {
			t.Fatalf("unknown action: exit %d %s", code, stderr)
		}
	})
	t.Run("the audit log", func(t *testing.T) {
		// The audit log: a started and a finished record per run, private, no secrets.
		logPath := filepath.Join(state, "opsdeck", "audit.jsonl")
		data, err := os.ReadFile(logPath)
		if err != nil {
			t.Fatal(err)
		}
		if st, _ := os.Stat(logPath); st.Mode().Perm() != 0o600 {
			t.Errorf("audit log mode %v", st.Mode())
		}
		if strings.Contains(string(data), pg.Password) || strings.Contains(string(data), rd.Password) {
			t.Error("the audit log holds a password")
		}
		// Five runs, and the migrations' preflight renders (alembic --sql),
		// each a started and a finished record of its own.
		helpers := strings.Count(string(data), `"action":"migration-sql"`) / 2
		if n := strings.Count(string(data), `"phase":"started"`); n != 5+helpers || helpers == 0 || strings.Count(string(data), `"phase":"finished"`) != n || !strings.Contains(string(data), `"action":"alembic-check"`) {
			t.Errorf("audit records:\n%s", data)
		}
		code, out, _ := runCLI(t, env, "audit")
		if code != 0 || !strings.Contains(out, "migrate") || !strings.Contains(out, "reset") || !strings.Contains(out, "failing") || !strings.Contains(out, "finished") {
			t.Errorf("opsdeck audit: exit %d\n%s", code, out)
		}
	})
	t.Run("the report lists the environment's actions", func(t *testing.T) {
		// The report lists the environment's own actions, newest first.
		code, out, _ := runCLI(t, env, "--config", cfg, "--env", "qa", "snapshot", "--format", "markdown")
		if code != 0 || !strings.Contains(out, "## Recent actions") || !strings.Contains(out, "| failing | ") || !strings.Contains(out, "exit 3") ||
			strings.Contains(out, "| reset |") || strings.Contains(out, pg.Password) {
			t.Errorf("qa report:\n%s", out)
		}
		code, out, _ = runCLI(t, env, "--config", cfg, "--env", "sandbox", "snapshot", "--format", "markdown")
		if code != 0 || !strings.Contains(out, "| reset | ") || !strings.Contains(out, "exit 0") || !strings.Contains(out, "## Migrations\n\n- Status: **up to date**") {
			t.Errorf("sandbox report:\n%s", out)
		}
	})
}
