package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
)

func TestCheckGate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	dir := t.TempDir()
	for name, src := range map[string]string{
		"a1_first.py":  "\"\"\"first\"\"\"\nrevision = 'a1'\ndown_revision = None\n",
		"b2_second.py": "\"\"\"second\"\"\"\nrevision = 'b2'\ndown_revision = 'a1'\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := pg.Exec(ctx, "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY); INSERT INTO alembic_version VALUES ('a1')"); err != nil {
		t.Fatal(err)
	}
	cfg := writeFile(t, "check.yaml", `environments:
  ci:
    postgres: {url: "`+pg.URL()+`"}
    alembic: {dir: "`+dir+`"}
  none: {}
`)
	code, out, stderr := runCLI(t, nil, "--config", cfg, "--env", "ci", "check")
	if code != 1 || !strings.Contains(out, "the database is behind: 1 revision(s) pending (b2)") || strings.Contains(out+stderr, pg.Password) {
		t.Fatalf("behind: exit %d\n%s%s", code, out, stderr)
	}
	if err := pg.Exec(ctx, "UPDATE alembic_version SET version_num = 'b2'"); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCLI(t, nil, "--config", cfg, "--env", "ci", "check", "--format", "json")
	var res struct {
		OK         bool     `json:"ok"`
		Findings   []string `json:"findings"`
		Migrations struct {
			Status string `json:"status"`
		} `json:"migrations"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 || !res.OK || res.Migrations.Status != "up_to_date" || len(res.Findings) != 0 {
		t.Fatalf("at head: exit %d %v\n%s", code, err, out)
	}
	// A second head makes `alembic upgrade head` fail: the gate fails too.
	if err := os.WriteFile(filepath.Join(dir, "c3_other.py"), []byte("revision = 'c3'\ndown_revision = 'a1'\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCLI(t, nil, "--config", cfg, "--env", "ci", "check")
	if code != 1 || !strings.Contains(out, "2 heads") {
		t.Fatalf("two heads: exit %d\n%s", code, out)
	}
	code, _, stderr = runCLI(t, nil, "--config", cfg, "--env", "none", "check")
	if code != 2 || !strings.Contains(stderr, "nothing to check in environment none") {
		t.Fatalf("no project: exit %d %s", code, stderr)
	}
}

func TestSchemaDumpSnapshotAndCheck(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	if err := pg.Exec(ctx, "CREATE DATABASE staging; CREATE DATABASE qa"); err != nil {
		t.Fatal(err)
	}
	schema := "CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL);"
	for db, sql := range map[string]string{"staging": schema, "qa": schema + "ALTER TABLE users DROP COLUMN email;"} {
		cp := *pg
		cp.Database = db
		if err := cp.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	cfgText := `environments:
  staging: {postgres: {url: "` + pg.URLFor("staging") + `"}}
  qa: {postgres: {url: "` + pg.URLFor("qa") + `"}, schema_reference: staging}
`
	cfg := filepath.Join(dir, "opsdeck.yaml")
	if err := os.WriteFile(cfg, []byte(cfgText), 0o600); err != nil {
		t.Fatal(err)
	}
	code, dump, stderr := runCLI(t, nil, "--config", cfg, "--env", "staging", "schema", "dump")
	if code != 0 || !strings.Contains(dump, `"name": "users"`) || strings.Contains(dump, pg.Password) {
		t.Fatalf("schema dump: exit %d\n%s%s", code, dump, stderr)
	}
	if err := os.WriteFile(filepath.Join(dir, "schema.json"), []byte(dump), 0o600); err != nil {
		t.Fatal(err)
	}
	// The same reference as a file, relative to the configuration.
	if err := os.WriteFile(cfg, []byte(cfgText+`  qa-file: {postgres: {url: "`+pg.URLFor("qa")+`"}, schema_reference: schema.json}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, env := range []string{"qa", "qa-file"} {
		code, out, stderr := runCLI(t, nil, "--config", cfg, "--env", env, "snapshot")
		var doc struct {
			SchemaDrift struct {
				Reference   string `json:"reference"`
				Differences []struct {
					Kind, Object, Detail, SQL string
					Hazardous                 bool
				} `json:"differences"`
			} `json:"schema_drift"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil || code != 0 {
			t.Fatalf("%s: exit %d %v %s", env, code, err, stderr)
		}
		d := doc.SchemaDrift.Differences
		if len(d) != 1 || d[0].Kind != "column_missing" || d[0].Object != "users.email" || d[0].SQL != "ALTER TABLE users ADD COLUMN email text NOT NULL;" || d[0].Hazardous {
			t.Errorf("%s: schema_drift %+v", env, doc.SchemaDrift)
		}
		var raw map[string]any
		_ = json.Unmarshal([]byte(out), &raw)
		readme, _ := os.ReadFile("../README.md")
		for f := range fieldNames(raw["schema_drift"], map[string]bool{}) {
			if !strings.Contains(string(readme), "`"+f+"`") && !strings.Contains(string(readme), `"`+f+`"`) {
				t.Errorf("README does not document the snapshot field %q", f)
			}
		}
		code, out, _ = runCLI(t, nil, "--config", cfg, "--env", env, "check")
		if code != 1 || !strings.Contains(out, "schema: column users.email text does not exist") {
			t.Errorf("%s check: exit %d\n%s", env, code, out)
		}
	}
	code, out, _ := runCLI(t, nil, "--config", cfg, "--env", "staging", "snapshot", "--format", "text")
	if code != 0 || !strings.Contains(out, "Schema: not compared (no schema reference") {
		t.Errorf("no reference:\n%s", out)
	}
}
