package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/term"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/internal/snapshot"
	"github.com/opsdeck/opsdeck/internal/wire"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui"
	"github.com/opsdeck/opsdeck/ui/theme"
)

// openConsole is `opsdeck` and `opsdeck console`: the console on the
// configured environments.
func openConsole(a *app) error {
	a.onScreen = true
	cfg, err := a.load()
	if err != nil {
		return err
	}
	oneP(a.lookupEnv)
	return a.console(context.Background(), cfg)
}

// oneP runs the console's goroutines on one processor, unless GOMAXPROCS
// says otherwise. The console waits on the network and draws a frame a
// refresh; with more processors the scheduler wakes idle threads to steal
// that little work from each other, some 15 % of the idle CPU on two cores
// (docs/PERFORMANCE.md). A long decode still yields to the UI: goroutines
// are preempted every 10 ms. The demo's console too: its sandbox is a
// process of its own (opsdeck-sandbox).
func oneP(lookup func(string) (string, bool)) {
	if _, set := lookup("GOMAXPROCS"); !set {
		runtime.GOMAXPROCS(1)
	}
}

// console runs the UI until the user quits or ctx ends (the demo's sandbox
// going away: a hung-up terminal must not leave it running).
func (a *app) console(ctx context.Context, cfg *config.Config) error {
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
		// The badges say the guard as it holds, lent by an environment
		// that shares a resource with this one included.
		g, err := cfg.Guard(n)
		if err != nil {
			return err
		}
		envs = append(envs, ui.EnvChoice{Name: n, Protected: g.Protected, Readonly: g.Readonly, Disposable: g.Disposable})
	}
	noColor := false
	if v, ok := a.lookupEnv("NO_COLOR"); ok && v != "" {
		noColor = true
	}
	audit := &actions.Audit{Path: actions.DefaultAuditPath(a.lookupEnv)}
	who := actions.Who{User: osUser(), Host: hostname()}
	ac := actor{cfg: cfg, readonly: a.cli.Readonly, audit: audit, who: who}
	nk := newNoteKeeper(cfg, audit, who)
	model := ui.New(ui.Deps{
		Actions:         ac.keys,
		Silences:        ac.silences,
		Signal:          ac.signal,
		Celery:          ac.celery,
		Mode:            gcFor(a.lookupEnv),
		Overview:        a.cli.Overview,
		OverviewRefresh: cfg.OverviewRefresh.D(),
		Environments:    envs,
		Initial:         name,
		Open: func(n string) (*sources.Environment, error) {
			env, err := wire.Open(cfg, n, ver)
			if err == nil {
				env.Deploys, err = wire.Deploys(cfg, n, a.cli.Readonly, audit, who)
			}
			return env, err
		},
		Refresh:    cfg.Refresh.D(),
		Window:     cfg.Window.D(),
		Now:        time.Now,
		Styles:     theme.New(theme.Named(cfg.Theme), noColor),
		Bindings:   cfg.Bindings,
		AuditMarks: func(_ context.Context, env string) ([]sources.Mark, error) { return audit.Marks(env) },
		AddNote:    nk.add,
		NoteMarks:  nk.marks,
		Report: func(ctx context.Context, env *sources.Environment) (string, error) {
			return writeReport(ctx, env, audit, time.Now())
		},
		Version:      ver,
		Warnings:     cfg.Warnings,
		Notices:      actions.AbandonedWarnings(audit, who.Host),
		ConfigSource: configSource(cfg),
	})
	// The renderer's rate: the root holds its frame for one of its frames.
	_, err = tea.NewProgram(model, tea.WithFPS(ui.FrameRate), tea.WithContext(ctx)).Run()
	if errors.Is(err, tea.ErrInterrupted) || (errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil) {
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
	auditErr := addActions(doc, audit, reportActions)
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

// gcFor tunes the collector to the screen that is up, unless GOGC says
// otherwise. The live heap is small (a few MiB, half of it the renderer's
// cell buffers) and the rest is garbage from decoding replies: collecting
// below the default growth keeps resident memory down. A console, every
// pane live, collects at 35 % growth: 0.6 MiB of anonymous memory less than
// at 50 % for CPU within the measurements' spread, where 25 % cost some 15 %
// more CPU; a memory limit (debug.SetMemoryLimit) saved no more than 25 %
// does and thrashed once the heap neared it. The overview, holding every
// environment's clients and drawing little, collects at a quarter
// (docs/PERFORMANCE.md).
func gcFor(lookup func(string) (string, bool)) func(overview bool) {
	if _, set := lookup("GOGC"); set {
		return nil
	}
	return func(overview bool) {
		if overview {
			debug.SetGCPercent(overviewGC)
		} else {
			debug.SetGCPercent(consoleGC)
		}
	}
}

// The collector's growth percentages (GOGC) of each screen.
const (
	consoleGC  = 35
	overviewGC = 25
)
