package servers

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// pinned is a server built from the Go module proxy at the version a module
// under tools/ pins (its go.mod and go.sum), once, into the user's cache.
type pinned struct {
	name    string // the binary, and the module's directory under tools/
	version string // the module version go.mod requires
	pkg     string // the main package
	tags    string // build tags
	ldflags string
}

// orSystem is the pinned build when current (built first if need be), else
// the system's bin from Debian's pkg.
func (p pinned) orSystem(ctx context.Context, current bool, bin, pkg string) (string, error) {
	if current {
		return p.build(ctx)
	}
	return LookPath(bin, pkg)
}

// path is where the built binary is cached.
func (p pinned) path() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "opsdeck", p.name+"-"+p.version, p.name), nil
}

func (p pinned) built() bool {
	bin, err := p.path()
	return err == nil && isExecutable(bin)
}

// build builds the binary into the cache when it is not there yet (minutes
// the first time), one build at a time across processes.
func (p pinned) build(ctx context.Context) (string, error) {
	bin, err := p.path()
	if err != nil {
		return "", err
	}
	if p.built() {
		return bin, nil
	}
	if err := refuseShort(); err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return "", err
	}
	lock, err := os.OpenFile(filepath.Join(filepath.Dir(bin), "build.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if p.built() { // another process built it while this one waited
		return bin, nil
	}
	mod, err := p.module()
	if err != nil {
		return "", err
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", &MissingBinaryError{Binary: "go (to build " + p.name + " " + p.version + ")", Package: "golang"}
	}
	tmp := bin + ".tmp"
	args := []string{"build", "-trimpath", "-o", tmp}
	if p.tags != "" {
		args = append(args, "-tags", p.tags)
	}
	if p.ldflags != "" {
		args = append(args, "-ldflags", p.ldflags)
	}
	cmd := exec.CommandContext(ctx, goBin, append(args, p.pkg)...)
	cmd.Dir = mod
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("building %s %s in %s: %v\n%s", p.name, p.version, mod, err, lastLines(string(out), 12))
	}
	return bin, os.Rename(tmp, bin)
}

// module is tools/<name> of this repository, looked for from the working
// directory upwards (tests run in their package's directory).
func (p pinned) module() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "tools", p.name, "go.mod")); err == nil {
			return filepath.Join(dir, "tools", p.name), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%s is not built and tools/%s (its module) is not above the working directory: run `make %s` in the opsdeck checkout", p.name, p.name, p.name)
		}
		dir = parent
	}
}
