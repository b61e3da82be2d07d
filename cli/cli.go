package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/internal/grafana"
	"github.com/opsdeck/opsdeck/internal/safetext"
	"github.com/opsdeck/opsdeck/internal/wire"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui"
)

// ExitCode is how opsdeck ends.
type ExitCode int

const (
	ExitOK ExitCode = 0
	// ExitFailed is a runtime failure, or a gate (check, dashboard lint)
	// that found something.
	ExitFailed ExitCode = 1
	// ExitUsage is anything wrong with what the user typed or wrote.
	ExitUsage ExitCode = 2
)

// exit ends a command with its code; err, when set, is printed first (nil:
// the command has said what it found).
type exit struct {
	code ExitCode
	err  error
}

func (e exit) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e exit) Unwrap() error { return e.err }

// usageError ends with exit code 2.
func usageError(err error) error { return exit{code: ExitUsage, err: err} }

// found ends a gate that found something (and printed it) with exit code 1.
func found() error { return exit{code: ExitFailed} }

// app carries what commands need: streams and the environment, never globals.
type app struct {
	stdout, stderr io.Writer
	lookupEnv      func(string) (string, bool)
	cli            *cli
	// onScreen is set by the commands that open the console, which show the
	// configuration's file and warnings on screen rather than on stderr.
	onScreen bool
}

// Main runs the command line args and returns how opsdeck ends.
func Main(args []string, lookupEnv func(string) (string, bool)) ExitCode {
	stop := profile(os.Getenv("OPSDECK_CPUPROFILE"), os.Getenv("OPSDECK_MEMPROFILE"))
	defer stop()
	// Headless output prints what sources said: it reaches the terminal as
	// text, never as controls. (The console draws through its own renderer.)
	return run(args, safetext.Writer{W: os.Stdout}, safetext.Writer{W: os.Stderr}, lookupEnv)
}

func run(args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) ExitCode {
	var c cli
	a := &app{stdout: stdout, stderr: stderr, lookupEnv: lookupEnv, cli: &c}
	p, err := parse(args, &c, lookupEnv)
	if p.help {
		usage(stdout, p.cmd, p.named, lookupEnv)
		return ExitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "opsdeck: %v\nRun 'opsdeck --help' for usage.\n", err)
		return ExitUsage
	}
	err = p.cmd.run(a, p.rest)
	var fe config.Errors
	var ex exit
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &fe):
		fmt.Fprintln(stderr, "opsdeck: configuration error:")
		for _, e := range fe {
			fmt.Fprintln(stderr, "  "+e.Error())
		}
		return ExitUsage
	case errors.As(err, &ex):
		if ex.err != nil {
			fmt.Fprintln(stderr, "opsdeck:", ex.err)
		}
		return ex.code
	}
	fmt.Fprintln(stderr, "opsdeck:", err)
	return ExitFailed
}

// load reads the configuration and applies the global flags.
func (a *app) load() (*config.Config, error) {
	wd, _ := os.Getwd()
	cfg, err := config.Load(config.Options{Path: a.cli.ConfigFile, LookupEnv: a.lookupEnv, WorkDir: wd, Bindings: ui.Specs()})
	if err != nil {
		return nil, err
	}
	if err := cfg.Override(config.Overrides{Refresh: a.cli.Refresh, Window: a.cli.Window, Theme: a.cli.Theme, Dashboard: a.cli.Dashboard}); err != nil {
		return nil, err
	}
	if !a.onScreen {
		// Which file is in force decides what is protected: say it.
		fmt.Fprintln(a.stderr, "opsdeck: configuration:", cfg.Source)
		for _, w := range cfg.Warnings {
			fmt.Fprintln(a.stderr, "opsdeck: warning:", w)
		}
	}
	// A dashboard that does not parse is a configuration error, found now
	// rather than when an environment opens.
	if path := cfg.GrafanaDashboard; path != "" {
		if _, err := grafana.Load(path, grafana.Options{}); err != nil {
			return nil, usageError(err)
		}
	}
	return cfg, nil
}

func (a *app) envName(cfg *config.Config) (string, error) {
	name := a.cli.Env
	if name == "" {
		name = cfg.DefaultEnvironment
	}
	if _, err := cfg.Get(name); err != nil {
		return "", usageError(err)
	}
	return name, nil
}

// openEnv opens the chosen environment's sources for a one-shot command,
// with a context that ends on ctrl+c; done releases both.
func (a *app) openEnv() (env *sources.Environment, ctx context.Context, done func(), err error) {
	cfg, err := a.load()
	if err != nil {
		return nil, nil, nil, err
	}
	return a.openEnvOf(cfg)
}

// openEnvOf is openEnv for a configuration already loaded.
func (a *app) openEnvOf(cfg *config.Config) (env *sources.Environment, ctx context.Context, done func(), err error) {
	name, err := a.envName(cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	env, err = wire.Open(cfg, name, buildVersion())
	if err != nil {
		return nil, nil, nil, err
	}
	// What a deploy brought: git run as an audited read.
	env.Deploys, err = wire.Deploys(cfg, name, a.cli.Readonly, &actions.Audit{Path: actions.DefaultAuditPath(a.lookupEnv)}, actions.Who{User: osUser(), Host: hostname()})
	if err != nil {
		if env.Close != nil {
			env.Close()
		}
		return nil, nil, nil, err
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	return env, ctx, func() {
		cancel()
		if env.Close != nil {
			env.Close()
		}
	}, nil
}
