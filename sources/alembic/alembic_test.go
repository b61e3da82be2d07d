package alembic

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/sources/postgres"
)

// A fixture revision: how its file is written varies on purpose.
type fx struct {
	id, msg string
	file    string // revision file body after the docstring
}

const iniFile = `[alembic]
script_location = %(here)s
version_locations = %(here)s/versions

[loggers]
keys = root,alembic
[handlers]
keys = console
[formatters]
keys = generic
[logger_root]
level = WARN
handlers = console
[logger_alembic]
level = INFO
handlers =
qualname = alembic
[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic
[formatter_generic]
format = %(levelname)s [%(name)s] %(message)s
`

const envFile = `import os
from logging.config import fileConfig
from alembic import context
fileConfig(context.config.config_file_name)  # logs "Running upgrade a -> b"
from sqlalchemy import create_engine, pool
engine = create_engine(os.environ["DATABASE_URL"], poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
`

const body = `

def upgrade():
    pass


def downgrade():
    pass
`

func plain(id, down string) string {
	d := "None"
	if down != "" {
		d = "'" + down + "'"
	}
	return fmt.Sprintf("from alembic import op\n\nrevision = '%s'\ndown_revision = %s\nbranch_labels = None\ndepends_on = None\n", id, d) + body
}

// typed is what Alembic 1.13's template writes, with imports the machine lacks.
func typed(id, down string) string {
	d := "None"
	if down != "" {
		d = `"` + down + `"`
	}
	return fmt.Sprintf(`from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import pgvector.sqlalchemy  # not installed where opsdeck runs
from dotenv import load_dotenv

# revision identifiers, used by Alembic.
revision: str = "%s"
down_revision: Union[str, None] = %s
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None
`, id, d) + body
}

// merge spreads a tuple over lines, with a comment inside.
func merge(id string, downs ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "from alembic import op\n\nrevision = \"%s\"\ndown_revision = (\n", id)
	for _, d := range downs {
		fmt.Fprintf(&b, "    \"%s\",  # a parent\n", d)
	}
	b.WriteString(")\nbranch_labels = None\ndepends_on = None\n")
	return b.String() + body
}

func listDown(id string, down string) string {
	return fmt.Sprintf("from alembic import op\nrevision = '%s'\ndown_revision = ['%s']\nbranch_labels = ('feature',)\ndepends_on = None\n", id, down) + body
}

func writeProject(t *testing.T, revs []fx) string {
	t.Helper()
	// Alembic splits version_locations on spaces and commas: keep them out of the path.
	dir, err := os.MkdirTemp("", "opsdeck-alembic-")
	must(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	must(t, os.MkdirAll(filepath.Join(dir, "versions"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "alembic.ini"), []byte(iniFile), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "env.py"), []byte(envFile), 0o644))
	// Stubs for the modules the revision files import, so that real Alembic
	// can load them; opsdeck never needs them.
	stubs := filepath.Join(dir, "stubs")
	must(t, os.MkdirAll(filepath.Join(stubs, "pgvector"), 0o755))
	must(t, os.WriteFile(filepath.Join(stubs, "pgvector", "__init__.py"), nil, 0o644))
	must(t, os.WriteFile(filepath.Join(stubs, "pgvector", "sqlalchemy.py"), nil, 0o644))
	must(t, os.WriteFile(filepath.Join(stubs, "dotenv.py"), []byte("def load_dotenv(*a, **k):\n    pass\n"), 0o644))
	for _, r := range revs {
		src := fmt.Sprintf("\"\"\"%s\n\nRevision ID: %s\nCreate Date: 2026-11-25 10:00:00\n\"\"\"\n", r.msg, r.id) + r.file
		must(t, os.WriteFile(filepath.Join(dir, "versions", r.id+"_"+strings.ReplaceAll(r.msg, " ", "_")+".py"), []byte(src), 0o644))
	}
	return dir
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// alembic runs Debian's alembic in dir.
func alembic(t *testing.T, dir, dbURL string, args ...string) string {
	t.Helper()
	bin, err := servers.LookPath("alembic", "alembic")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"-c", filepath.Join(dir, "alembic.ini")}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL, "PYTHONPATH="+filepath.Join(dir, "stubs"), "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("alembic %v: %v\n%s", args, err, out)
	}
	return string(out)
}

var revID = regexp.MustCompile(`^([0-9a-z_]+)(?: \(.*\))?$`)

// historyLine is "down -> rev (head), message" or "<base> -> rev, message".
var historyLine = regexp.MustCompile(`^(.*) -> ([0-9a-z_]+)(?: \([^)]*\))*, (.*)$`)

var runningUpgrade = regexp.MustCompile(`Running upgrade (.*) -> ([0-9a-z_]+)`)

func ids(out string) []string {
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if m := revID.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
			got = append(got, m[1])
		}
	}
	sort.Strings(got)
	return got
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// TestAgreesWithAlembic: for each fixture, heads, history (order and
// messages), current and pending (in the order Alembic applies them) equal
// what Debian's alembic prints for the same project and database.
func TestAgreesWithAlembic(t *testing.T) {
	t.Parallel()
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	fixtures := []struct {
		name  string
		revs  []fx
		stamp []string // where the database is put before comparing
	}{
		{"linear typed annotations and missing imports", []fx{
			{"a1f0", "create users", typed("a1f0", "")},
			{"b2e1", "create conversations", typed("b2e1", "a1f0")},
			{"c3d2", "create messages", plain("c3d2", "b2e1")},
			{"d4c3", "add embeddings", typed("d4c3", "c3d2")},
		}, []string{"b2e1"}},
		{"branched and merged, multi-line tuple", []fx{
			{"base01", "base", plain("base01", "")},
			{"left02", "left branch", plain("left02", "base01")},
			{"right03", "right branch", listDown("right03", "base01")},
			{"left04", "left again", plain("left04", "left02")},
			{"merge05", "merge branches", merge("merge05", "left04", "right03")},
			{"after06", "after the merge", typed("after06", "merge05")},
		}, []string{"left02"}},
		{"two heads", []fx{
			{"r1", "one", plain("r1", "")},
			{"r2", "two", plain("r2", "r1")},
			{"r3x", "three x", plain("r3x", "r2")},
			{"r3y", "three y", plain("r3y", "r2")},
			{"r4x", "four x", plain("r4x", "r3x")},
			{"r4y", "four y", plain("r4y", "r3y")},
		}, []string{"r3x"}},
	}
	for i, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			dir := writeProject(t, f.revs)
			dbName := fmt.Sprintf("fixture%d", i)
			must(t, pg.Exec(context.Background(), "CREATE DATABASE "+dbName))
			url := pg.URLFor(dbName)
			g, err := Load(context.Background(), dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range g.Problems {
				if p.Severity == "critical" {
					t.Errorf("problem: %+v", p)
				}
			}

			if want := ids(alembic(t, dir, url, "heads")); !slices.Equal(sorted(g.Heads), want) {
				t.Errorf("heads %v, alembic heads %v", g.Heads, want)
			}
			var wantHist, wantMsg []string
			for _, l := range strings.Split(strings.TrimSpace(alembic(t, dir, url, "history")), "\n") {
				if m := historyLine.FindStringSubmatch(l); m != nil {
					wantHist, wantMsg = append(wantHist, m[2]), append(wantMsg, m[3])
				}
			}
			gotHist := g.History()
			var gotMsg []string
			for _, id := range gotHist {
				gotMsg = append(gotMsg, g.Revisions[id].Message)
			}
			if !slices.Equal(gotHist, wantHist) || !slices.Equal(gotMsg, wantMsg) {
				t.Errorf("history\n  ours    %v %q\n  alembic %v %q", gotHist, gotMsg, wantHist, wantMsg)
			}

			for _, s := range f.stamp {
				alembic(t, dir, url, "stamp", s)
			}
			db, err := postgres.New(postgres.Options{URL: url})
			must(t, err)
			defer db.Close()
			current, hasTable, err := db.AlembicVersion(context.Background())
			must(t, err)
			if want := ids(alembic(t, dir, url, "current")); !hasTable || !slices.Equal(sorted(current), want) {
				t.Errorf("current %v (table %v), alembic current %v", current, hasTable, want)
			}
			st := g.Judge(current, hasTable)
			var pending []string
			for _, r := range st.Pending {
				pending = append(pending, r.ID)
			}
			var applied []string
			for _, m := range runningUpgrade.FindAllStringSubmatch(alembic(t, dir, url, "upgrade", "heads"), -1) {
				applied = append(applied, m[2])
			}
			if st.Status != "behind" || !slices.Equal(pending, applied) || len(applied) == 0 {
				t.Errorf("status %s, pending %v; alembic upgrade heads applied %v", st.Status, pending, applied)
			}
			current, _, err = db.AlembicVersion(context.Background())
			must(t, err)
			if st := g.Judge(current, true); st.Status != "up_to_date" || len(st.Pending) != 0 {
				t.Errorf("after upgrade: %s, pending %v", st.Status, st.Pending)
			}
		})
	}
}
