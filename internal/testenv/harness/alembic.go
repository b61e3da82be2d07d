package harness

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Alembic runs alembic with args in the project at dir against databaseURL
// (env.py reads DATABASE_URL); the URL is left out of a failure's output.
func Alembic(ctx context.Context, dir, databaseURL string, args ...string) error {
	bin, err := LookPath("alembic", "alembic")
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, bin, append([]string{"-c", filepath.Join(dir, "alembic.ini")}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DATABASE_URL="+databaseURL, "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("alembic %s: %v\n%s", strings.Join(args, " "), err, strings.ReplaceAll(string(out), databaseURL, "$DATABASE_URL"))
	}
	return nil
}

// WriteAlembicProject writes a two-revision Alembic project into dir: a1
// creates a users table, b2 (its child) adds a column.
func WriteAlembicProject(dir string) error {
	files := map[string]string{
		"alembic.ini": "[alembic]\nscript_location = %(here)s\n\n[loggers]\nkeys = root\n[handlers]\nkeys = console\n[formatters]\nkeys = generic\n" +
			"[logger_root]\nlevel = WARN\nhandlers = console\n" +
			"[handler_console]\nclass = StreamHandler\nargs = (sys.stderr,)\nlevel = NOTSET\nformatter = generic\n[formatter_generic]\nformat = %(levelname)s %(message)s\n",
		"env.py": "import os\nfrom alembic import context\nfrom sqlalchemy import create_engine, pool\n" +
			"engine = create_engine(os.environ['DATABASE_URL'], poolclass=pool.NullPool)\nwith engine.connect() as c:\n" +
			"    context.configure(connection=c)\n    with context.begin_transaction():\n        context.run_migrations()\n",
		"script.py.mako": "",
		"versions/a1_users.py": "\"\"\"users\"\"\"\nfrom alembic import op\nrevision = 'a1'\ndown_revision = None\n" +
			"def upgrade():\n    op.execute('CREATE TABLE users (id serial PRIMARY KEY, email text)')\ndef downgrade():\n    op.execute('DROP TABLE users')\n",
		"versions/b2_name.py": "\"\"\"name\"\"\"\nfrom alembic import op\nrevision = 'b2'\ndown_revision = 'a1'\n" +
			"def upgrade():\n    op.execute('ALTER TABLE users ADD COLUMN name text')\ndef downgrade():\n    op.execute('ALTER TABLE users DROP COLUMN name')\n",
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
