// Command opsdeck-sandbox runs the demo sandbox (package demo) in a process
// of its own, so that the console binary links none of it: `opsdeck demo`
// starts this program, reads the configuration's path from it and stops it
// on exit.
//
// What it says on stdout, one line each, for the program that started it:
//
//	start-within: 6m26s   the longest the start can take (first, at once)
//	stop-within: 45s      the longest a stop can take, once asked
//	config: PATH          ready: the generated opsdeck.yaml
//
// Its progress, and anything gone wrong, go to stderr in words. It stops
// every server and removes the sandbox's directory on SIGINT, SIGTERM or
// SIGHUP, or when its stdin, a pipe, reaches its end: the pipe is held by
// the console, so a console that dies, however it dies, stops its sandbox.
// (On a terminal or /dev/null stdin is not watched: ctrl+d would stop the
// sandbox, and a script's background job would stop at once.)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin *os.File, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("opsdeck-sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	every := fs.Duration("incident-every", 5*time.Minute, "length of one incident cycle (an error spike, then a latency spike)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: opsdeck-sandbox [--incident-every D]\n\n"+
			"Runs the demo sandbox until SIGINT, SIGTERM, SIGHUP or the end of its stdin (a pipe);\n"+
			"prints `config: PATH` when it is ready. `opsdeck demo` runs it for you.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "opsdeck-sandbox: unexpected arguments %q\n", fs.Args())
		return 2
	}

	// The limits first: whoever waits for the configuration waits no
	// longer than these say.
	fmt.Fprintf(stdout, "start-within: %s\nstop-within: %s\n", sandbox.StartTimeout, sandbox.StopTimeout)

	// A console that died leaves the other ends of stdout and stderr closed:
	// a write then fails with EPIPE instead of killing this process with
	// SIGPIPE halfway through its stop. (Notify, not Ignore: an ignored
	// signal would stay ignored in the servers it starts.)
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)

	ctx, stop := stopContext(stdin)
	defer stop(nil)

	start, cancel := context.WithTimeout(ctx, sandbox.StartTimeout)
	sb, err := sandbox.Start(start, sandbox.Options{IncidentEvery: *every, Log: stderr})
	cancel()
	if err != nil {
		if cause := context.Cause(ctx); cause != nil {
			fmt.Fprintf(stderr, "opsdeck-sandbox: stopped before it was ready (%v): %v\n", cause, err)
		} else {
			fmt.Fprintf(stderr, "opsdeck-sandbox: %v\n", err)
		}
		return 1
	}
	fmt.Fprintf(stdout, "config: %s\n", sb.ConfigPath)

	<-ctx.Done()
	fmt.Fprintf(stderr, "opsdeck-sandbox: stopping (%v)\n", context.Cause(ctx))
	sb.Stop()
	if _, err := os.Stat(sb.Dir); !errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(stderr, "opsdeck-sandbox: servers stopped, but %s is left behind (%v); the next sandbox removes it\n", sb.Dir, err)
		return 1
	}
	fmt.Fprintf(stderr, "opsdeck-sandbox: servers stopped, %s removed\n", sb.Dir)
	return 0
}

// stopContext ends, with its reason as the cause, on SIGINT, SIGTERM or
// SIGHUP, or at the end of stdin when stdin is a pipe.
func stopContext(stdin *os.File) (context.Context, context.CancelCauseFunc) {
	ctx, stop := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		select {
		case s := <-sigs:
			stop(fmt.Errorf("%v", s))
		case <-ctx.Done():
		}
	}()
	if isPipe(stdin) {
		go func() {
			// Whatever is written is ignored: the end is what counts.
			if _, err := io.Copy(io.Discard, stdin); err != nil {
				stop(fmt.Errorf("stdin: %w", err))
			}
			stop(errors.New("its stdin closed"))
		}()
	}
	return ctx, stop
}

// isPipe says whether f is a pipe or a socket: something another process
// holds the other end of.
func isPipe(f *os.File) bool {
	if f == nil {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&(os.ModeNamedPipe|os.ModeSocket) != 0
}
