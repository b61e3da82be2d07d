package alembic

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/sources"
)

// Probe runs the project's own check (by default `alembic check`, which
// compares the models with the migrations) on demand, never by itself.
type Probe struct {
	Dir         string
	Command     []string // argv; no shell
	DatabaseURL string
	Env         map[string]string
	Scrubber    *redact.Scrubber
	Timeout     time.Duration
}

// maxProbeOutput bounds what is kept of the output.
const maxProbeOutput = 16 << 10

// Run executes the command in the Alembic directory with DATABASE_URL and the
// configured variables. A command that cannot start is an error; one that
// fails is a result with its exit code.
func (p *Probe) Run(ctx context.Context) (sources.ProbeResult, error) {
	res := sources.ProbeResult{Command: strings.Join(p.Command, " ")}
	if len(p.Command) == 0 {
		return res, errors.New("no check command configured (alembic.check_command)")
	}
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, p.Command[0], p.Command[1:]...)
	cmd.Dir = p.Dir
	cmd.Env = append(os.Environ(), "DATABASE_URL="+p.DatabaseURL)
	for k, v := range p.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	// Its own process group, so that a timeout stops what it started too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	res.Took = time.Since(start)
	text := out.String()
	if len(text) > maxProbeOutput {
		text = "…" + text[len(text)-maxProbeOutput:]
	}
	res.Output = p.Scrubber.String(strings.TrimRight(text, "\n"))
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case ctx.Err() == context.DeadlineExceeded:
		return res, fmt.Errorf("%s did not finish within %s", res.Command, timeout)
	case errors.As(err, &exitErr):
		res.ExitCode = exitErr.ExitCode()
	default:
		return res, fmt.Errorf("cannot run %s: %s", res.Command, p.Scrubber.String(err.Error()))
	}
	return res, nil
}
