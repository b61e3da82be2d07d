package servers

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// Alembic runs alembic with args in the project at dir against databaseURL
// (env.py reads DATABASE_URL); the URL is left out of a failure's output.
func Alembic(ctx context.Context, dir, databaseURL string, args ...string) error {
	_, err := AlembicOutput(ctx, dir, databaseURL, args...)
	return err
}

// Revision is one migration of a test project: its id, its parent ("" for
// the first) and the SQL its upgrade runs, a statement per op.execute.
type Revision struct {
	ID, Down string
	Upgrade  []string
}

// WriteAlembicProject writes a two-revision Alembic project into dir: a1
// creates a users table, b2 (its child) adds a column.
func WriteAlembicProject(dir string) error {
	return WriteAlembicRevisions(dir, []Revision{
		{ID: "a1", Upgrade: []string{"CREATE TABLE users (id serial PRIMARY KEY, email text)"}},
		{ID: "b2", Down: "a1", Upgrade: []string{"ALTER TABLE users ADD COLUMN name text"}},
	})
}

// WriteAlembicRevisions writes an Alembic project with revs into dir. Its
// env.py reads DATABASE_URL and runs offline too (`upgrade a:b --sql`).
func WriteAlembicRevisions(dir string, revs []Revision) error {
	files := map[string]string{
		"alembic.ini": "[alembic]\nscript_location = %(here)s\n\n[loggers]\nkeys = root\n[handlers]\nkeys = console\n[formatters]\nkeys = generic\n" +
			"[logger_root]\nlevel = WARN\nhandlers = console\n" +
			"[handler_console]\nclass = StreamHandler\nargs = (sys.stderr,)\nlevel = NOTSET\nformatter = generic\n[formatter_generic]\nformat = %(levelname)s %(message)s\n",
		"env.py": "import os\nfrom alembic import context\nfrom sqlalchemy import create_engine, pool\n" +
			"url = os.environ['DATABASE_URL']\n" +
			"if context.is_offline_mode():\n    context.configure(url=url, literal_binds=True)\n    with context.begin_transaction():\n        context.run_migrations()\n" +
			"else:\n    engine = create_engine(url, poolclass=pool.NullPool)\n    with engine.connect() as c:\n" +
			"        context.configure(connection=c)\n        with context.begin_transaction():\n            context.run_migrations()\n",
		"script.py.mako": "",
	}
	for _, r := range revs {
		down := "None"
		if r.Down != "" {
			down = "'" + r.Down + "'"
		}
		var body strings.Builder
		for _, sql := range r.Upgrade {
			fmt.Fprintf(&body, "    op.execute(%q)\n", sql)
		}
		if len(r.Upgrade) == 0 {
			body.WriteString("    pass\n")
		}
		files["versions/"+r.ID+".py"] = fmt.Sprintf("\"\"\"%s\"\"\"\nfrom alembic import op\nrevision = '%s'\ndown_revision = %s\n"+
			"def upgrade():\n%sdef downgrade():\n    pass\n", r.ID, r.ID, down, body.String())
	}
	for name, src := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// AlembicOutput runs alembic like Alembic and returns its standard output
// (an offline run's SQL).
func AlembicOutput(ctx context.Context, dir, databaseURL string, args ...string) (string, error) {
	bin, err := LookPath("alembic", "alembic")
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, bin, append([]string{"-c", filepath.Join(dir, "alembic.ini")}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DATABASE_URL="+databaseURL, "PYTHONDONTWRITEBYTECODE=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("alembic %s: %v\n%s", strings.Join(args, " "), err, strings.ReplaceAll(stderr.String(), databaseURL, "$DATABASE_URL"))
	}
	return string(out), nil
}

// DumpSchema is pg_dump --schema-only of the database, as the preflight's
// rehearsal restores it.
func (p *Postgres) DumpSchema(ctx context.Context) (string, error) {
	bin, err := LookPath("pg_dump", "postgresql")
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, bin, "--schema-only", "--no-owner", "--no-privileges",
		"-h", "127.0.0.1", "-p", strconv.Itoa(p.Port), "-U", p.User, "-d", p.Database)
	cmd.Env = append(os.Environ(), "PGPASSWORD="+p.Password, "PGSSLMODE=disable")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("pg_dump: %v: %s", err, stderr.String())
	}
	return string(out), nil
}
