package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/opsdeck/opsdeck/internal/demo"
)

// demoFlags are `opsdeck demo`'s own flags.
type demoFlags struct {
	Serve         bool
	IncidentEvery time.Duration
}

// runDemo is `opsdeck demo`: the console against a throwaway sandbox.
func runDemo(a *app, d demoFlags) error {
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
	return a.console(ctx, cfg)
}
