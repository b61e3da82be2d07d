package wire

import (
	"context"
	"path/filepath"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/deploys"
)

// Deploys is environment name's repository (deploys.repo), nil when none
// is configured. Each git it runs is a step that reads, through the same
// guard and audit as the preflight's: refused with --readonly or in a
// read-only environment, audited as part of "deploy diff", argv only,
// never prompting, never taking a lock, never running a program the
// repository's configuration names.
func Deploys(cfg *config.Config, name string, readonly bool, audit *actions.Audit, who actions.Who) (sources.Deploys, error) {
	e, err := cfg.Get(name)
	if err != nil || e.Deploys.Repo == "" {
		return nil, err
	}
	env, err := GuardOver(cfg, name)
	if err != nil {
		return nil, err
	}
	steps := actions.StepsIn(env, readonly, audit, who)
	run := func(ctx context.Context, argv []string, dir string) (string, error) {
		plan, err := actions.PlanCommand(actions.CommandSpec{Action: "git-log", Environment: name, Name: "git", Danger: actions.Safe,
			Target: dir, PartOf: "deploy diff", Command: actions.Command{Argv: argv, Dir: dir, Timeout: 30 * time.Second,
				Env: deploys.GitEnv()}})
		if err != nil {
			return "", err
		}
		return steps(ctx, plan)
	}
	return deploys.Reader{Repo: e.Deploys.Repo, Versions: versionsIn(e.Deploys.Repo, e.Alembic.Dir), Run: run}.Cached(), nil
}

// versionsIn is the Alembic versions directory relative to the
// repository, "" when the project is not inside it.
func versionsIn(repo, alembicDir string) string {
	if alembicDir == "" {
		return ""
	}
	a, err1 := filepath.Abs(filepath.Join(alembicDir, "versions"))
	r, err2 := filepath.Abs(repo)
	if err1 != nil || err2 != nil {
		return ""
	}
	rel, err := filepath.Rel(r, a)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return ""
	}
	return filepath.ToSlash(rel)
}
