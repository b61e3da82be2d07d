package wire

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opsdeck/opsdeck/actions"
)

// repoWithDeploy is a real git checkout: v1 tagged, then a commit with a
// migration under the Alembic project, tagged v2.
func repoWithDeploy(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir, "GIT_AUTHOR_NAME=Ana", "GIT_AUTHOR_EMAIL=a@x",
			"GIT_COMMITTER_NAME=Ana", "GIT_COMMITTER_EMAIL=a@x")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q", "-b", "main")
	if err := os.WriteFile(filepath.Join(dir, "README"), []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git("add", ".")
	git("commit", "-q", "-m", "start")
	git("tag", "v1")
	if err := os.MkdirAll(filepath.Join(dir, "db", "alembic", "versions"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "db", "alembic", "versions", "a1_users.py"), []byte("revision = 'a1'\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git("add", ".")
	git("commit", "-q", "-m", "create users")
	git("tag", "v2")
	return dir
}

// TestDeploysReadThroughTheAuditedGuard: deploys.repo's log between two
// versions is read by git run as an audited step of "deploy diff" (every
// run recorded, none an action on the time axis); the migration is found
// under alembic.dir's versions; --readonly refuses git like any step,
// said so, never taken for a version the repository lacks.
func TestDeploysReadThroughTheAuditedGuard(t *testing.T) {
	repo := repoWithDeploy(t)
	cfg := parse(t, "environments:\n  qa:\n    alembic: {dir: "+filepath.Join(repo, "db", "alembic")+"}\n    deploys: {repo: "+repo+"}\n")
	audit := &actions.Audit{Path: filepath.Join(t.TempDir(), "audit.jsonl")}
	d, err := Deploys(cfg, "qa", false, audit, actions.Who{User: "ana"})
	if err != nil || d == nil {
		t.Fatalf("no reader: %v", err)
	}
	diff, err := d.Between(context.Background(), "v1", "v2")
	if err != nil || len(diff.Commits) != 1 || diff.Commits[0].Subject != "create users" || !diff.Commits[0].Migration {
		t.Fatalf("diff %+v, %v", diff, err)
	}
	recs, err := audit.Recent(50)
	if err != nil || len(recs) < 2 {
		t.Fatalf("audit %v %v", recs, err)
	}
	for _, r := range recs {
		if r.Kind != "git-log" || r.PartOf != "deploy diff" || !strings.HasPrefix(r.Command, "git ") {
			t.Errorf("audit record %+v", r)
		}
	}
	if marks, _ := audit.Marks("qa"); len(marks) != 0 {
		t.Errorf("git is marked as an action: %+v", marks)
	}
	ro, err := Deploys(cfg, "qa", true, audit, actions.Who{User: "ana"})
	if err != nil {
		t.Fatal(err)
	}
	if diff, err := ro.Between(context.Background(), "v1", "v2"); err == nil || !strings.Contains(err.Error(), "--readonly") || len(diff.Missing) != 0 {
		t.Errorf("--readonly: %+v %v", diff, err)
	}
	if d, _ := Deploys(parse(t, "environments:\n  qa: {}\n"), "qa", false, audit, actions.Who{}); d != nil {
		t.Error("a reader without deploys.repo")
	}
}
