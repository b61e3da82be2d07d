package config

import (
	"os"
	"path/filepath"
)

// Deploys says where the application's code is: a local git checkout
// whose log names the commits between a deploy's two versions.
type Deploys struct {
	Repo string `yaml:"repo,omitempty"`
}

// deploys checks deploys.repo: a directory holding a git checkout,
// resolved against the configuration's directory.
func (v *validator) deploys(base string, e *Environment) {
	if e.Deploys.Repo == "" {
		return
	}
	e.Deploys.Repo = v.relative(e.Deploys.Repo)
	if st, err := os.Stat(e.Deploys.Repo); err != nil || !st.IsDir() {
		v.fail(base+".deploys.repo", "%q is not a directory: point it at a git checkout of the application", e.Deploys.Repo)
		return
	}
	if _, err := os.Stat(filepath.Join(e.Deploys.Repo, ".git")); err != nil {
		v.fail(base+".deploys.repo", "%q is not a git checkout (no .git in it)", e.Deploys.Repo)
	}
}
