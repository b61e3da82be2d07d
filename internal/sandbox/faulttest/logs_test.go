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
	"unicode/utf8"

	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/internal/sandbox/faults"
	"github.com/opsdeck/opsdeck/internal/sandbox/otellogs"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
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
	now := time.Now()
	sent := sendHostileLogs(t, ctx, vl.OTLPLogsURL(), now)
	window := sources.LogQuery{Start: now.Add(-10 * time.Minute), End: now.Add(time.Second)}
	timeout := logsPace(t, ctx, proxy, window, sent)
	env := logsEnv(t, proxy, timeout)
	t.Run("bounded and safe", func(t *testing.T) { checkBoundedLogs(t, ctx, env, proxy, window) })
	runLogsFaults(t, ctx, vl, proxy, env, window, timeout)
	t.Run("invalid UTF-8", func(t *testing.T) { checkInvalidUTF8(t, ctx, env, proxy, window) })
	t.Run("flooding tail", func(t *testing.T) { checkFloodingTail(t, ctx, env, proxy) })
}

// floodLines is how many lines the flood sends.
const floodLines = 100_000

// sendHostileLogs sends through the SDK, as a service does, a line of
// control and bidi characters, an ordinary error line and a flood of
// floodLines info lines, and returns how many it sent. (VictoriaLogs
// refuses a record over 2 MiB, its default: the line of 5 MB is served to
// the client by the proxy, as a server allowing it would.)
func sendHostileLogs(t *testing.T, ctx context.Context, otlpURL string, now time.Time) int {
	lg, err := otellogs.New(ctx, otlpURL, "origin-api")
	must(t, err)
	hostile := "boom \x1b]0;pwned\x07 \x1b[2J \u202egnp.exe \u200b \u0085 end"
	must(t, lg.Emit(ctx, otellogs.Record{Time: now.Add(-time.Minute), Level: "error", Message: hostile, Attributes: map[string]string{"k\u202e": "v\x1b[31m"}}))
	must(t, lg.Emit(ctx, otellogs.Record{Time: now.Add(-time.Minute), Level: "error", Message: "pool timeout after 5000ms"}))
	started := time.Now()
	for i := range floodLines {
		must(t, lg.Emit(ctx, otellogs.Record{Time: now.Add(-2 * time.Minute).Add(time.Duration(i) * time.Microsecond), Level: "info",
			Message: fmt.Sprintf("GET /api/chat/%d 200", i)}))
		if i%10_000 == 9_999 {
			must(t, lg.Flush(ctx)) // the SDK drops what its queue cannot hold
		}
	}
	must(t, lg.Shutdown(ctx))
	t.Logf("%d lines sent through the SDK in %v", floodLines+2, time.Since(started).Round(time.Millisecond))
	return floodLines + 2
}

// logsPace waits until the sent lines are counted and read, then derives the
// timeout from the slowest of the reads the test makes (a snapshot, the
// newest 1,000 lines), a few times each.
func logsPace(t *testing.T, ctx context.Context, proxy *faults.Proxy, window sources.LogQuery, sent int) time.Duration {
	probe := logsEnv(t, proxy, time.Minute)
	wait.Eventually(t, "every line searchable", func() error {
		v, err := probe.Logs.Source.Volume(ctx, window, 10*time.Minute)
		if err != nil {
			return err
		}
		n := 0
		for _, s := range v {
			n += s.ByLevel["info"] + s.ByLevel["error"]
		}
		if n != sent {
			return fmt.Errorf("%d lines counted", n)
		}
		// VictoriaLogs counts new lines (hits) a moment before a query
		// with a limit returns them.
		lines, err := probe.Logs.Source.Lines(ctx, window)
		if err == nil && len(lines) != 1000 {
			err = fmt.Errorf("%d lines read", len(lines))
		}
		return err
	}, wait.Context(ctx))
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
	return timeout
}

// checkBoundedLogs: the newest 1,000 of the flood, the 5 MB line cut
// saying how long it was, the hostile one shown with visible stand-ins,
// the snapshot counting every line and grouping the errors.
func checkBoundedLogs(t *testing.T, ctx context.Context, env *sources.Environment, proxy *faults.Proxy, window sources.LogQuery) {
	src := env.Logs.Source
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
	big := strings.Repeat("5 MB of one line. ", 5<<20/18)
	proxy.SetWith(faults.Serve, 0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-ndjson")
		fmt.Fprintf(w, "{\"_time\":\"2026-12-06T08:00:00Z\",\"_msg\":%q,\"level\":\"error\",\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\"}\n", big)
	}))
	cut, err := src.Lines(ctx, window)
	proxy.Set(faults.Pass)
	must(t, err)
	if len(cut) != 1 || cut[0].TraceID != "4bf92f3577b34da6a3ce929d0e0e4736" || !strings.HasSuffix(cut[0].Message, fmt.Sprintf("(%d bytes in all; opsdeck keeps the first 64 KiB)", len(big))) {
		t.Fatalf("the 5 MB line: %d lines, not cut as said", len(cut))
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
	}
	d := snapshot.Take(ctx, env, time.Now())
	if d.Logs == nil || !d.Logs.Reachable || d.Logs.ByLevel["info"] != floodLines || len(d.Logs.Patterns) != 2 {
		t.Errorf("the snapshot's logs: %+v", d.Logs)
	}
}

// runLogsFaults puts each fault on VictoriaLogs in turn: the snapshot says
// so in words within the timeout and its report with it, a second read
// fails in words, and the first read after the fault recovers.
func runLogsFaults(t *testing.T, ctx context.Context, vl *servers.VictoriaLogs, proxy *faults.Proxy, env *sources.Environment, window sources.LogQuery, timeout time.Duration) {
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
		{"slow past the timeout", withinTimeout, func() { proxy.SetWith(faults.Slow, 2*timeout, nil) }, nil},
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
			_, err := env.Logs.Source.Lines(ctx, window)
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
}

// checkInvalidUTF8: invalid UTF-8 and control characters in an answer (the
// SDK cannot send invalid UTF-8) are read, and shown as stand-ins.
func checkInvalidUTF8(t *testing.T, ctx context.Context, env *sources.Environment, proxy *faults.Proxy, window sources.LogQuery) {
	proxy.SetWith(faults.Serve, 0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-ndjson")
		io.WriteString(w, "{\"_time\":\"2026-12-06T08:00:00Z\",\"_msg\":\"bad \xff\xfe bytes \\u001b[2J\",\"level\":\"error\",\"k\xff\":\"\xc3\"}\n")
	}))
	defer proxy.Set(faults.Pass)
	bad, err := env.Logs.Source.Lines(ctx, window)
	if err != nil || len(bad) != 1 || !strings.Contains(bad[0].Message, "bad \ufffd\ufffd bytes ␛[2J") {
		t.Fatalf("invalid UTF-8: %v %+v", err, bad)
	}
	for _, s := range append([]string{bad[0].Message}, flatFields(bad[0].Fields)...) {
		if faults.HasControl(s) || !utf8.ValidString(s) {
			t.Errorf("invalid UTF-8 or a control character shown: %q", s)
		}
	}
}

// checkFloodingTail: a tail fed by a server sending as fast as it can holds
// no more than its channel, and ends when its reader stops.
func checkFloodingTail(t *testing.T, ctx context.Context, env *sources.Environment, proxy *faults.Proxy) {
	proxy.SetWith(faults.Serve, 0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		line := `{"_time":"2026-12-06T08:00:00Z","_msg":"flood \u001b[2J","level":"info"}` + "\n"
		for r.Context().Err() == nil {
			io.WriteString(w, line)
		}
	}))
	defer proxy.Set(faults.Pass)
	tailCtx, stop := context.WithCancel(ctx)
	tailed := make(chan sources.LogLine, 100)
	ended := make(chan error, 1)
	go func() { ended <- env.Logs.Source.Tail(tailCtx, "", tailed) }()
	for range 10_000 {
		if l := <-tailed; faults.HasControl(l.Message) || l.Message == "" {
			t.Fatalf("tailed %q", l.Message)
		}
	}
	stop()
	if err := <-ended; err == nil {
		t.Error("a tail stopped by its reader says nothing")
	}
}

func flatFields(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k, v)
	}
	return out
}
