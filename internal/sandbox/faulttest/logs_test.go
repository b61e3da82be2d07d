package faulttest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/internal/sandbox/faults"
	"github.com/opsdeck/opsdeck/internal/sandbox/otellogs"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/snapshot"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
	"github.com/opsdeck/opsdeck/internal/wire"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/victorialogs"
)

// logsEnv is an environment whose log backend is the VictoriaLogs behind
// proxy, opened from its configuration as the console opens it.
func logsEnv(t *testing.T, proxy *faults.Proxy, timeout time.Duration) *sources.Environment {
	t.Helper()
	path := filepath.Join(t.TempDir(), "logs.yaml")
	yaml := fmt.Sprintf("environments:\n  faults:\n    tracing: {service: origin-api}\n    logs: {url: \"http://%s\", timeout: %s, limit: 1000}\n", proxy.Addr(), timeout)
	must(t, os.WriteFile(path, []byte(yaml), 0o600))
	cfg, err := config.Load(config.Options{Path: path})
	must(t, err)
	env, err := wire.Open(cfg, "faults", "test")
	must(t, err)
	t.Cleanup(env.Close)
	return env
}

// TestVictoriaLogsFaults: a real VictoriaLogs behind a fault proxy, read as
// the console's readers read it (the log backend opened from its
// configuration; the snapshot, the report and the overview's cell). Lines
// sent through the OpenTelemetry SDK hold a message of 5 MB, control and
// bidi characters, and a flood of 100,000 lines. VictoriaLogs is killed,
// hung, slowed past the timeout, black-holed, reset, answers a 500, a
// login page, cut-off JSON lines or invalid UTF-8, and goes down: each time
// a read says so in words within the timeout (derived from healthy reads
// measured here), the report says it, and the next read after the fault
// recovers. Every line read is bounded and safe to show.
func TestVictoriaLogsFaults(t *testing.T) {
	sandboxtest.SkipServers(t, "VictoriaLogs")
	vl := sandboxtest.NewVictoriaLogs(t)
	ctx, cancel := wait.Bounded(t)
	defer cancel()
	proxy := faults.NewProxy(t, strings.TrimPrefix(vl.URL(), "http://"))

	// The hostile lines and the flood, through the SDK as a service sends them.
	lg, err := otellogs.New(ctx, vl.OTLPLogsURL(), "origin-api")
	must(t, err)
	now := time.Now()
	hostile := "boom \x1b]0;pwned\x07 \x1b[2J \u202egnp.exe \u200b \u0085 end"
	must(t, lg.Emit(ctx, otellogs.Record{Time: now.Add(-time.Minute), Level: "error", Message: hostile, Attributes: map[string]string{"k\u202e": "v\x1b[31m"}}))
	// VictoriaLogs refuses a record over 2 MiB (its default): the line of
	// 5 MB is served to the client below, as a server allowing it would.
	must(t, lg.Emit(ctx, otellogs.Record{Time: now.Add(-time.Minute), Level: "error", Message: "pool timeout after 5000ms"}))
	const flood = 100_000
	started := time.Now()
	for i := range flood {
		must(t, lg.Emit(ctx, otellogs.Record{Time: now.Add(-2 * time.Minute).Add(time.Duration(i) * time.Microsecond), Level: "info",
			Message: fmt.Sprintf("GET /api/chat/%d 200", i)}))
		if i%10_000 == 9_999 {
			must(t, lg.Flush(ctx)) // the SDK drops what its queue cannot hold
		}
	}
	must(t, lg.Shutdown(ctx))
	t.Logf("%d lines sent through the SDK in %v", flood+2, time.Since(started).Round(time.Millisecond))
	big := strings.Repeat("5 MB of one line. ", 5<<20/18)

	probe := logsEnv(t, proxy, time.Minute)
	window := sources.LogQuery{Start: now.Add(-10 * time.Minute), End: now.Add(time.Second)}
	wait.Eventually(t, "every line searchable", func() error {
		v, err := probe.Logs.Source.Volume(ctx, window, 10*time.Minute)
		if err != nil {
			return err
		}
		n := 0
		for _, s := range v {
			n += s.ByLevel["info"] + s.ByLevel["error"]
		}
		if n != flood+2 {
			return fmt.Errorf("%d lines", n)
		}
		return nil
	}, wait.Context(ctx))
	// The pace: the slowest of the reads made below (a snapshot, the
	// newest 1,000 lines), a few times each.
	var worst time.Duration
	for range 3 {
		start := time.Now()
		_ = snapshot.Take(ctx, probe, time.Now())
		worst = max(worst, time.Since(start))
		start = time.Now()
		_, _ = probe.Logs.Source.Lines(ctx, window)
		worst = max(worst, time.Since(start))
	}
	timeout := max(400*time.Millisecond, (10 * worst).Round(100*time.Millisecond))
	t.Logf("slowest healthy read %v: timeout %v", worst.Round(time.Millisecond), timeout)
	env := logsEnv(t, proxy, timeout)
	src := env.Logs.Source

	// Bounded and safe: the newest 1,000 of the flood, the 5 MB line cut,
	// the hostile one shown with visible stand-ins.
	lines, err := src.Lines(ctx, window)
	must(t, err)
	if len(lines) != 1000 || !slices.ContainsFunc(lines, func(l sources.LogLine) bool { return l.Message == "GET /api/chat/99999 200" }) ||
		slices.ContainsFunc(lines, func(l sources.LogLine) bool { return l.Message == "GET /api/chat/0 200" }) {
		t.Errorf("the flood read: %d lines, not the newest", len(lines))
	}
	errs, err := src.Lines(ctx, sources.LogQuery{Start: window.Start, End: window.End, MinLevel: "error"})
	must(t, err)
	if len(errs) != 2 {
		t.Fatalf("%d error lines, want 2", len(errs))
	}
	proxy.SetWith(faults.Serve, 0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-ndjson")
		fmt.Fprintf(w, "{\"_time\":\"2026-12-06T08:00:00Z\",\"_msg\":%q,\"level\":\"error\",\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\"}\n", big)
	}))
	cut, err := src.Lines(ctx, window)
	proxy.Set(faults.Pass)
	must(t, err)
	if len(cut) != 1 || cut[0].TraceID != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Fatalf("the 5 MB line: %d lines", len(cut))
	}
	for _, l := range append(errs, cut...) {
		if len(l.Message) > victorialogs.MaxMessage+100 {
			t.Errorf("a line of %d bytes kept", len(l.Message))
		}
		for _, s := range append([]string{l.Message}, flatFields(l.Fields)...) {
			if faults.HasControl(s) {
				t.Errorf("a control or bidi character reaches the screen: %q", s)
			}
		}
		if strings.HasPrefix(l.Message, "5 MB") && !strings.Contains(l.Message, fmt.Sprintf("(%d bytes in all)", len(big))) {
			t.Errorf("the 5 MB line does not say it was cut: …%q", l.Message[len(l.Message)-60:])
		}
	}
	d := snapshot.Take(ctx, env, time.Now())
	if d.Logs == nil || !d.Logs.Reachable || d.Logs.ByLevel["info"] != flood || len(d.Logs.Patterns) != 2 {
		t.Errorf("the snapshot's logs: %+v", d.Logs)
	}

	serve := func(h http.HandlerFunc) func() { return func() { proxy.SetWith(faults.Serve, 0, h) } }
	withinTimeout := "within " + timeout.String()
	for _, tc := range []struct {
		name, want string
		start, end func()
	}{
		{"killed", "cannot reach", func() { must(t, vl.Kill()) }, func() {
			must(t, vl.Restart(ctx))
			proxy.Retarget(strings.TrimPrefix(vl.URL(), "http://"))
		}},
		{"hung", withinTimeout, func() { proxy.Set(faults.Stall) }, nil},
		{"slow past the timeout", "within " + timeout.String(), func() { proxy.SetWith(faults.Slow, 2*timeout, nil) }, nil},
		{"black hole", withinTimeout, func() { proxy.Set(faults.BlackHole) }, nil},
		{"reset", "reset", func() { proxy.Set(faults.Reset) }, nil},
		{"500", "500 Internal Server Error", serve(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "internal server error", http.StatusInternalServerError)
		}), nil},
		{"login page", "answered an HTML page", serve(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<!doctype html><html><body><h1>Sign in</h1></body></html>")
		}), nil},
		{"cut-off JSON", "not VictoriaLogs's", serve(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/x-ndjson")
			io.WriteString(w, `{"hits":[{"fields":{"severity_text":"ERR`)
		}), nil},
		{"down", "refused", proxy.Down, func() { must(t, proxy.Up()) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.start()
			start := time.Now()
			d := snapshot.Take(ctx, env, time.Now())
			took := time.Since(start)
			if d.Logs == nil || d.Logs.Reachable || !strings.Contains(d.Logs.Error, tc.want) || !strings.Contains(d.Markdown(), d.Logs.Error) {
				t.Errorf("the snapshot's logs during the fault: %+v", d.Logs)
			}
			if took > timeout+timeout/2 {
				t.Errorf("said after %v with a timeout of %v", took, timeout)
			}
			// A second read meets the fault in its own state (a hung proxy
			// may have dropped the connection by then): it fails, in words.
			_, err := src.Lines(ctx, window)
			if err == nil || !strings.Contains(err.Error(), "127.0.0.1") {
				t.Errorf("lines during the fault: %v", err)
			}
			t.Logf("%s (%.2fs): %s; lines: %v", tc.name, took.Seconds(), d.Logs.Error, err)
			if tc.end != nil {
				tc.end()
			}
			proxy.Set(faults.Pass)
			if d := snapshot.Take(ctx, env, time.Now()); d.Logs == nil || !d.Logs.Reachable {
				t.Errorf("not recovered after the fault: %+v", d.Logs)
			}
		})
	}

	// Invalid UTF-8 and control characters in an answer (the SDK cannot send
	// invalid UTF-8): read, and shown safe.
	proxy.SetWith(faults.Serve, 0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-ndjson")
		io.WriteString(w, "{\"_time\":\"2026-12-06T08:00:00Z\",\"_msg\":\"bad \xff\xfe bytes \\u001b[2J\",\"level\":\"error\",\"k\xff\":\"\xc3\"}\n")
	}))
	bad, err := src.Lines(ctx, window)
	proxy.Set(faults.Pass)
	if err != nil || len(bad) != 1 || !strings.Contains(bad[0].Message, "bad \ufffd\ufffd bytes ␛[2J") {
		t.Fatalf("invalid UTF-8: %v %+v", err, bad)
	}
	for _, s := range append([]string{bad[0].Message}, flatFields(bad[0].Fields)...) {
		if faults.HasControl(s) || !strings.Contains(s+"\ufffd", "\ufffd") {
			t.Errorf("invalid UTF-8 or a control character shown: %q", s)
		}
	}

	// A tail flooded by a server sending as fast as it can holds no more
	// than its channel, and ends when its reader stops.
	proxy.SetWith(faults.Serve, 0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		line := `{"_time":"2026-12-06T08:00:00Z","_msg":"flood \u001b[2J","level":"info"}` + "\n"
		for r.Context().Err() == nil {
			io.WriteString(w, line)
		}
	}))
	tailCtx, stop := context.WithCancel(ctx)
	tailed := make(chan sources.LogLine, 100)
	ended := make(chan error, 1)
	go func() { ended <- src.Tail(tailCtx, "", tailed) }()
	for range 10_000 {
		if l := <-tailed; faults.HasControl(l.Message) {
			t.Fatalf("tailed %q", l.Message)
		}
	}
	stop()
	if err := <-ended; err == nil {
		t.Error("a tail stopped by its reader says nothing")
	}
	proxy.Set(faults.Pass)
}

func flatFields(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k, v)
	}
	return out
}
