package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/faults"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
)

// TestEveryEnvironmentHeadless: snapshot --all and check --all over three
// environments on real PostgreSQL servers: one at the Alembic heads, one
// behind, one whose server is dead, and one with nothing to check. Each is
// reported in the configuration's order; the dead one costs its own timeout,
// not the others'; check's exit code is the worst.
func TestEveryEnvironmentHeadless(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	prod := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	staging := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	// A server that accepts and never answers: each poll of it waits its
	// whole timeout.
	hung := faults.NewProxy(t, "127.0.0.1:1")
	hung.Set(faults.BlackHole)
	dir := t.TempDir()
	for name, src := range map[string]string{
		"a1_first.py":  "\"\"\"first\"\"\"\nrevision = 'a1'\ndown_revision = None\n",
		"b2_second.py": "\"\"\"second\"\"\"\nrevision = 'b2'\ndown_revision = 'a1'\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for pg, rev := range map[*servers.Postgres]string{prod: "b2", staging: "a1"} {
		if err := pg.Exec(ctx, "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY); INSERT INTO alembic_version VALUES ('"+rev+"')"); err != nil {
			t.Fatal(err)
		}
	}
	cfg := writeFile(t, "all.yaml", fmt.Sprintf(`environments:
  production:
    protected: true
    postgres: {url: %q}
    alembic: {dir: %q}
  staging:
    postgres: {url: %q}
    alembic: {dir: %q}
  dead:
    postgres: {url: "postgresql://u:pw@%s/app", timeout: 3s}
    alembic: {dir: %q}
  laptop: {}
  gone:
    postgres: {url: "postgresql://u:pw@%s/app", timeout: 3s}
`, prod.URL(), dir, staging.URL(), dir, hung.Addr(), dir, hung.Addr()))

	code, out, stderr := runCLI(t, nil, "--config", cfg, "check", "--all")
	if code != 1 {
		t.Fatalf("check --all: exit %d, want 1 (staging is behind)\n%s%s", code, out, stderr)
	}
	// gone has a database and nothing else: check judges whether it answers.
	for _, want := range []string{"ok: production: at the Alembic heads (b2)", "drift in staging:", "1 revision(s) pending (b2)", "drift in dead:",
		"drift in gone:", "skipped: nothing to check in environment laptop"} {
		if !strings.Contains(out, want) {
			t.Errorf("check --all lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "production") > strings.Index(out, "staging") || strings.Index(out, "staging") > strings.Index(out, "in dead") {
		t.Errorf("not in the configuration's order:\n%s", out)
	}
	code, out, _ = runCLI(t, nil, "--config", cfg, "check", "--all", "--format", "json")
	var res struct {
		OK           bool
		Environments []struct {
			Environment string
			OK          bool
		}
		Skipped []string
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 1 || res.OK || len(res.Environments) != 4 ||
		!res.Environments[0].OK || res.Environments[1].OK || res.Environments[2].Environment != "dead" ||
		res.Environments[3].Environment != "gone" || res.Environments[3].OK || len(res.Skipped) != 1 {
		t.Fatalf("check --all json: exit %d %v\n%s", code, err, out)
	}
	// Staging brought to the heads: only the dead one fails now.
	if err := staging.Exec(ctx, "UPDATE alembic_version SET version_num = 'b2'"); err != nil {
		t.Fatal(err)
	}
	if code, out, _ = runCLI(t, nil, "--config", cfg, "check", "--all"); code != 1 || !strings.Contains(out, "ok: staging") {
		t.Errorf("after the upgrade: exit %d\n%s", code, out)
	}

	start := time.Now()
	code, out, stderr = runCLI(t, nil, "--config", cfg, "snapshot", "--all")
	took := time.Since(start)
	var all struct {
		Environments []struct {
			Environment string
			Postgres    struct {
				Reachable bool
				Error     string
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &all); err != nil || code != 0 || len(all.Environments) != 5 {
		t.Fatalf("snapshot --all: exit %d %v\n%s%s", code, err, out, stderr)
	}
	for i, want := range []string{"production", "staging", "dead", "laptop", "gone"} {
		e := all.Environments[i]
		if e.Environment != want {
			t.Errorf("environment %d is %s, want %s", i, e.Environment, want)
		}
		if reachable := want == "production" || want == "staging"; e.Postgres.Reachable != reachable {
			t.Errorf("%s: reachable %v (%s)", want, e.Postgres.Reachable, e.Postgres.Error)
		}
	}
	t.Logf("snapshot --all with two hung servers: %v", took.Round(10*time.Millisecond))
	// Two hung servers cost one 3 s timeout, not two in a row.
	if took > 5500*time.Millisecond {
		t.Errorf("snapshot --all took %v: the environments were not read at once", took)
	}
	for _, format := range []string{"text", "markdown"} {
		code, out, _ = runCLI(t, nil, "--config", cfg, "snapshot", "--all", "--format", format)
		if code != 0 || strings.Count(out, "production") < 1 || !strings.Contains(out, "laptop") || !strings.Contains(out, "dead") {
			t.Errorf("snapshot --all --format %s: exit %d\n%s", format, code, out)
		}
	}
}
