// Command opsdeck is a terminal console for the engineers on call for a
// Python API behind Prometheus, PostgreSQL, Redis and Alembic: golden signals,
// alerts, database and cache state, schema drift, and guarded runbook actions
// on one screen.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"syscall"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/term"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/internal/demo"
	"github.com/opsdeck/opsdeck/internal/grafana"
	"github.com/opsdeck/opsdeck/internal/safetext"
	"github.com/opsdeck/opsdeck/internal/snapshot"
	"github.com/opsdeck/opsdeck/internal/wire"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui"
	"github.com/opsdeck/opsdeck/ui/actionpane"
	"github.com/opsdeck/opsdeck/ui/theme"
)

// version is set at build time (-ldflags "-X main.version=..."); otherwise the
// VCS revision Go recorded is used.
var version = ""

func buildVersion() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" {
			if dirty {
				rev += "-dirty"
			}
			return "dev-" + rev
		}
		if info.Main.Version != "" && info.Main.Version != "(devel)" {
			return info.Main.Version
		}
	}
	return "dev"
}

// reportActions is how many recent actions a report lists.
const reportActions = 10

// Exit codes: 2 for anything wrong with what the user typed or wrote.
const (
	exitOK     = 0
	exitFail   = 1
	exitConfig = 2
)

// app carries what commands need: streams and the environment, never globals.
type app struct {
	stdout, stderr io.Writer
	lookupEnv      func(string) (string, bool)
	cli            *cli
	// onScreen is set by the commands that open the console, which show the
	// configuration's file and warnings on screen rather than on stderr.
	onScreen bool
}

type runCmd struct{}

type snapshotCmd struct{ Format string }

type configPrintCmd struct{}

type demoCmd struct {
	Serve         bool
	IncidentEvery time.Duration
}

type versionCmd struct{}

// configError marks errors that exit with code 2.
type configError struct{ err error }

func (e configError) Error() string { return e.err.Error() }
func (e configError) Unwrap() error { return e.err }

func main() {
	stop := profile(os.Getenv("OPSDECK_CPUPROFILE"), os.Getenv("OPSDECK_MEMPROFILE"))
	// Headless output prints what sources said: it reaches the terminal as
	// text, never as controls. (The console draws through its own renderer.)
	code := run(os.Args[1:], safetext.Writer{W: os.Stdout}, safetext.Writer{W: os.Stderr}, os.LookupEnv)
	stop()
	os.Exit(code)
}

// profile writes CPU and heap profiles for performance work
// (OPSDECK_CPUPROFILE, OPSDECK_MEMPROFILE; see docs/PERFORMANCE.md).
func profile(cpuPath, memPath string) (stop func()) {
	var cpu *os.File
	if cpuPath != "" {
		if f, err := os.Create(cpuPath); err == nil && pprof.StartCPUProfile(f) == nil {
			cpu = f
		}
	}
	return func() {
		if cpu != nil {
			pprof.StopCPUProfile()
			cpu.Close()
		}
		if memPath != "" {
			if f, err := os.Create(memPath); err == nil {
				pprof.Lookup("heap").WriteTo(f, 0)
				f.Close()
			}
		}
	}
}

func run(args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) int {
	var c cli
	a := &app{stdout: stdout, stderr: stderr, lookupEnv: lookupEnv, cli: &c}
	p, err := parse(args, &c, lookupEnv)
	if p.help {
		usage(stdout, p.cmd, p.named, lookupEnv)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "opsdeck: %v\nRun 'opsdeck --help' for usage.\n", err)
		return exitConfig
	}
	if err := p.cmd.run(a, p.rest); err != nil {
		var ce configError
		var fe config.Errors
		switch {
		case errors.As(err, &fe):
			fmt.Fprintln(stderr, "opsdeck: configuration error:")
			for _, e := range fe {
				fmt.Fprintln(stderr, "  "+e.Error())
			}
			return exitConfig
		case errors.As(err, &ce):
			fmt.Fprintln(stderr, "opsdeck:", ce.err)
			return exitConfig
		case errors.Is(err, errDrift{}):
			return exitFail // what was found is already printed
		case errors.As(err, new(exitStatus)):
			var st exitStatus
			errors.As(err, &st)
			return int(st) // the action's own status, already reported
		default:
			fmt.Fprintln(stderr, "opsdeck:", err)
			return exitFail
		}
	}
	return exitOK
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
			return nil, configError{err}
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
		return "", configError{err}
	}
	return name, nil
}

func (versionCmd) Run(a *app) error {
	fmt.Fprintln(a.stdout, "opsdeck", buildVersion())
	return nil
}

func (configPrintCmd) Run(a *app) error {
	cfg, err := a.load()
	if err != nil {
		return err
	}
	out, err := cfg.Print()
	if err != nil {
		return err
	}
	_, err = a.stdout.Write(out)
	return err
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
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	return env, ctx, func() {
		cancel()
		if env.Close != nil {
			env.Close()
		}
	}, nil
}

func (s *snapshotCmd) Run(a *app) error {
	env, ctx, done, err := a.openEnv()
	if err != nil {
		return err
	}
	defer done()
	doc := snapshot.Take(ctx, env, time.Now())
	switch s.Format {
	case "text":
		_, err = io.WriteString(a.stdout, doc.Text())
		return err
	case "markdown":
		// A report without its actions is still a report: a broken audit log
		// is noted on stderr.
		if err := doc.AddActions(&actions.Audit{Path: actions.DefaultAuditPath(a.lookupEnv)}, reportActions); err != nil {
			fmt.Fprintln(a.stderr, "opsdeck: audit log:", err)
		}
		_, err = io.WriteString(a.stdout, doc.Markdown())
		return err
	}
	out, err := doc.JSON()
	if err != nil {
		return err
	}
	_, err = a.stdout.Write(out)
	return err
}

func (runCmd) Run(a *app) error {
	a.onScreen = true
	cfg, err := a.load()
	if err != nil {
		return err
	}
	return a.console(cfg)
}

// console runs the UI until the user quits.
func (a *app) console(cfg *config.Config) error {
	name, err := a.envName(cfg)
	if err != nil {
		return err
	}
	if !term.IsTerminal(os.Stdout.Fd()) || !term.IsTerminal(os.Stdin.Fd()) {
		return errors.New("the console needs a terminal; in scripts use 'opsdeck snapshot'")
	}
	ver := buildVersion()
	var envs []ui.EnvChoice
	for _, n := range cfg.Order {
		e := cfg.Environments[n]
		envs = append(envs, ui.EnvChoice{Name: n, Protected: e.Protected, Readonly: e.Readonly, Disposable: e.Disposable})
	}
	noColor := false
	if v, ok := a.lookupEnv("NO_COLOR"); ok && v != "" {
		noColor = true
	}
	audit := &actions.Audit{Path: actions.DefaultAuditPath(a.lookupEnv)}
	who := actions.Who{User: osUser(), Host: hostname()}
	model := ui.New(ui.Deps{
		Actions: func(n string) []actionpane.Action {
			return wire.ConsoleActions(cfg, n, a.cli.Readonly, audit, who)
		},
		Environments: envs,
		Initial:      name,
		Open:         func(n string) (*sources.Environment, error) { return wire.Open(cfg, n, ver) },
		Refresh:      cfg.Refresh.D(),
		Window:       cfg.Window.D(),
		Now:          time.Now,
		Styles:       theme.New(theme.Named(cfg.Theme), noColor),
		Bindings:     cfg.Bindings,
		Report: func(ctx context.Context, env *sources.Environment) (string, error) {
			return writeReport(ctx, env, audit, time.Now())
		},
		Version:      ver,
		Warnings:     cfg.Warnings,
		Notices:      actions.AbandonedWarnings(audit, who.Host),
		ConfigSource: configSource(cfg),
	})
	// The console's live heap is small (a few MiB, half of it the renderer's
	// cell buffers) and the rest is garbage from decoding replies: collecting
	// at a quarter of the default growth keeps resident memory down for no
	// measurable CPU (docs/PERFORMANCE.md).
	if _, set := a.lookupEnv("GOGC"); !set {
		debug.SetGCPercent(25)
	}
	// The renderer wakes up this often even when nothing changed; 10 frames a
	// second keeps a key press on screen within 100 ms at a sixth of the idle
	// CPU of the default 60.
	_, err = tea.NewProgram(model, tea.WithFPS(10)).Run()
	if errors.Is(err, tea.ErrInterrupted) {
		return nil
	}
	return err
}

// configSource is where the configuration came from, short enough for the
// header: a file's path, or "environment variables" (zero-config).
func configSource(cfg *config.Config) string {
	if cfg.FromEnvironment() {
		return "environment variables"
	}
	return cfg.Source
}

// writeReport writes env's Markdown report into the working directory, as
// opsdeck-report-ENV-YYYYMMDD-HHMMSS.md, readable by its owner only (it may
// hold query text and host names).
func writeReport(ctx context.Context, env *sources.Environment, audit *actions.Audit, now time.Time) (string, error) {
	doc := snapshot.Take(ctx, env, now)
	auditErr := doc.AddActions(audit, reportActions)
	text := doc.Markdown()
	if auditErr != nil {
		text += "\n(the audit log could not be read: " + env.Scrubber.Error(auditErr) + ")\n"
	}
	name := fmt.Sprintf("opsdeck-report-%s-%s.md", env.Name, now.Format("20060102-150405"))
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	if _, err := io.WriteString(f, text); err != nil {
		f.Close()
		os.Remove(name)
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	if abs, err := filepath.Abs(name); err == nil {
		name = abs
	}
	return name, nil
}

func (d *demoCmd) Run(a *app) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	fmt.Fprintln(a.stderr, "opsdeck demo: starting a throwaway sandbox on free loopback ports (removed on exit)")
	sb, err := demo.Start(ctx, demo.Options{IncidentEvery: d.IncidentEvery, Log: a.stderr})
	if err != nil {
		return err
	}
	defer func() {
		sb.Stop()
		fmt.Fprintln(a.stderr, "opsdeck demo: sandbox stopped and removed")
	}()
	if d.Serve {
		fmt.Fprintf(a.stdout, "config: %s\n", sb.ConfigPath)
		fmt.Fprintf(a.stderr, "opsdeck demo: ready; run: opsdeck --config %s   (ctrl+c stops the sandbox)\n", sb.ConfigPath)
		<-ctx.Done()
		return nil
	}
	a.cli.ConfigFile = sb.ConfigPath
	a.onScreen = true
	cfg, err := a.load()
	if err != nil {
		return err
	}
	return a.console(cfg)
}
