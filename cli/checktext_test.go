package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/testenv/harness"
)

// TestCheckTextSaysWhyThePreflightCouldNotJudge: a pending migration whose
// SQL Alembic cannot render offline; `opsdeck check`'s text says so (the
// preflight's summary), not only its JSON.
func TestCheckTextSaysWhyThePreflightCouldNotJudge(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pg := harness.NewPostgres(t, harness.PostgresOptions{})
	dir := harness.AlembicProjectAt(ctx, t, pg, []harness.Revision{
		{ID: "r0", Upgrade: []string{"CREATE TABLE accounts (id serial PRIMARY KEY)"}},
		{ID: "r1", Down: "r0", Upgrade: []string{"ALTER TABLE accounts ADD COLUMN note text"}},
	}, "r0")
	// r1 cannot be rendered without a live database.
	r1 := filepath.Join(dir, "versions", "r1.py")
	src, err := os.ReadFile(r1)
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(src), "def upgrade():\n", "def upgrade():\n    raise RuntimeError('r1 reads the live accounts table')\n", 1)
	if err := os.WriteFile(r1, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := writeFile(t, "pf.yaml", fmt.Sprintf("environments:\n  qa:\n    postgres: {url: %q}\n    alembic: {dir: %q}\n", pg.URL(), dir))
	code, out, stderr := runCLI(t, nil, "--config", cfg, "--env", "qa", "check")
	if code != 1 || !strings.Contains(out, "migration preflight:") ||
		!strings.Contains(out, "preflight: the SQL could not be rendered: ") || !strings.Contains(out, "r1 reads the live accounts table") {
		t.Fatalf("check: exit %d\n%s%s", code, out, stderr)
	}
}

// TestCheckTextShowsThePreflightSummary: the summary is the first line of
// the preflight's part of the text, whether the gate passes or fails.
func TestCheckTextShowsThePreflightSummary(t *testing.T) {
	p := &checkPreflight{Summary: "preflight: no hazard in 1 statement(s)", Lines: []checkPreflightLine{
		{Severity: "note", Text: "preflight: no hazard in 1 statement(s)"}, {Severity: "note", Text: "r1: ALTER TABLE accounts ADD COLUMN note text"}}}
	for _, r := range []checkResult{
		{Environment: "qa", OK: true, Preflight: p},
		{Environment: "qa", Findings: []string{"the database is behind: 1 revision(s) pending (r1)"}, Preflight: p},
	} {
		text := r.text()
		head := strings.Index(text, "preflight: no hazard in 1 statement(s)")
		if head < 0 || !strings.Contains(text[head:], "r1: ALTER TABLE accounts ADD COLUMN note text") {
			t.Errorf("ok %v:\n%s", r.OK, text)
		}
	}
	// A verdict without lines (JSON written by hand) is not a crash.
	_ = checkResult{Environment: "qa", Preflight: &checkPreflight{Summary: "preflight: x"}}.text()
}
