package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/faults"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
)

// evil moves the cursor, clears the screen and writes the clipboard when a
// terminal reads it raw.
const evil = "\n\r\x1b[1A\x1b[K\x1b]52;c;cHduZWQ=\x07\x1b[2J\u009b31m"

// controlChar finds a control character other than a line break or tab.
func controlChar(s string) (rune, bool) {
	for _, r := range s {
		if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r <= 0x9f) {
			return r, true
		}
	}
	return 0, false
}

// TestHostileSourcesInReports: a query text with escapes in a live session,
// a Redis key with escapes in the slow log, and a Prometheus whose alerts and
// error bodies carry escapes: the text and Markdown reports show them as
// text, with no control character in them.
func TestHostileSourcesInReports(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	rd := sandboxtest.NewRedis(t, servers.RedisOptions{})
	sess, err := pg.StartSession("hostile", "SELECT pg_sleep(60) /* "+strings.ReplaceAll(evil, "*/", "")+" */")
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Stop()
	if err := rd.Do(ctx, 0, []string{"CONFIG", "SET", "slowlog-log-slower-than", "0"}, []string{"SET", "key" + evil, "v"}); err != nil {
		t.Fatal(err)
	}
	prom := faults.NewProxy(t, "127.0.0.1:1")
	prom.SetWith(faults.Serve, 0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/alerts") {
			fmt.Fprintf(w, `{"status":"success","data":{"alerts":[{"labels":{"alertname":"Disk%s","severity":"critical"},"annotations":{"summary":"full%s"},"state":"firing","activeAt":"2026-11-29T10:00:00Z"}]}}`,
				jsonEscape(evil), jsonEscape(evil))
			return
		}
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprint(w, "upstream said"+evil)
	}))
	cfg := writeFile(t, "hostile.yaml", `environments:
  qa:
    prometheus: {url: "http://`+prom.Addr()+`", timeout: 2s}
    postgres: {url: "`+pg.URL()+`"}
    redis: {url: "`+rd.URL(0)+`"}
`)
	// The session must be running before the snapshot reads it.
	wait.Eventually(t, "the hostile session in the snapshot", func() error {
		if _, out, _ := runCLI(t, nil, "--config", cfg, "snapshot", "--format", "text"); !strings.Contains(out, "pg_sleep(60)") {
			return fmt.Errorf("not shown:\n%s", out)
		}
		return nil
	})
	for _, format := range []string{"text", "markdown"} {
		code, out, stderr := runCLI(t, nil, "--config", cfg, "snapshot", "--format", format)
		if code != 0 {
			t.Fatalf("%s: exit %d %s", format, code, stderr)
		}
		if r, bad := controlChar(out + stderr); bad {
			t.Errorf("%s: control %U in the report:\n%q", format, r, out)
		}
		for _, want := range []string{"pg_sleep(60) /* ␛[1A␛[K␛]52;c;cHduZWQ=␇␛[2J", "Disk  ␛[1A", "upstream said"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: %q not shown as text:\n%s", format, want, out)
			}
		}
	}
}

func jsonEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
			fmt.Fprintf(&b, `\u%04x`, r)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TestSnapshotJSONSurvivesOddFigures: inf and nan in Redis INFO and a save
// time in year 3170843 give a JSON document with those figures null and
// listed, not "json: unsupported value" and exit 1.
func TestSnapshotJSONSurvivesOddFigures(t *testing.T) {
	t.Parallel()
	srv := faults.NewRESPServer(t, faults.RedisAnswers(faults.Bulk("# Server\r\nredis_version:7.0.15\r\nmem_fragmentation_ratio:inf\r\ninstantaneous_ops_per_sec:nan\r\nrdb_last_save_time:99999999999999\r\n")))
	cfg := writeFile(t, "odd.yaml", "environments:\n  qa:\n    redis: {url: \"redis://"+srv.Addr()+"/0\"}\n")
	code, out, stderr := runCLI(t, nil, "--config", cfg, "snapshot")
	var doc struct {
		Environment string `json:"environment"`
		Redis       struct {
			Reachable bool     `json:"reachable"`
			Version   string   `json:"version"`
			Frag      *float64 `json:"fragmentation_ratio"`
		} `json:"redis"`
		Unrepresentable []struct{ Field, Reason string } `json:"unrepresentable"`
	}
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if doc.Environment != "qa" || !doc.Redis.Reachable || doc.Redis.Version != "7.0.15" || doc.Redis.Frag != nil || len(doc.Unrepresentable) != 3 {
		t.Fatalf("document: %+v\n%s", doc, out)
	}
}

// TestDirectModeKeepsItsTimeout: an endpoint that never answers costs a
// snapshot and a check about one timeout, not one per golden signal.
func TestDirectModeKeepsItsTimeout(t *testing.T) {
	t.Parallel()
	// A server that accepts and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	cfg := writeFile(t, "hung.yaml", "environments:\n  qa:\n    metrics_url: http://"+ln.Addr().String()+"/metrics\n    prometheus: {timeout: 1s}\n")
	for _, args := range [][]string{{"snapshot", "--format", "text"}, {"check", "--metrics"}} {
		// (direct mode has no alerts to read: it must not say "none firing")
		start := time.Now()
		_, out, stderr := runCLI(t, nil, append([]string{"--config", cfg}, args...)...)
		if took := time.Since(start); took > 3500*time.Millisecond {
			t.Errorf("%v took %s with a 1s timeout", args, took)
		}
		if !strings.Contains(out+stderr, "no answer from") || strings.Contains(out, "none firing") {
			t.Errorf("%v says:\n%s%s", args, out, stderr)
		}
	}
}

// TestDirectModeSaysItsLimit: an endpoint with 300,000 series is refused in
// words naming the limit, not read as "no requests".
func TestDirectModeSaysItsLimit(t *testing.T) {
	t.Parallel()
	var body strings.Builder
	for i := range 300_000 {
		fmt.Fprintf(&body, "http_requests_total{handler=\"/h%d\",status=\"200\"} %d\n", i, i)
	}
	big := faults.NewProxy(t, "127.0.0.1:1")
	big.SetWith(faults.Serve, 0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		io.WriteString(w, body.String())
	}))
	// A limit of 1 MiB: the refusal comes after 1 MiB read, well within the
	// timeout on a busy machine too (the default 8 MiB took longer than 5 s
	// through the proxy beside two busy loops).
	cfg := writeFile(t, "big.yaml", "environments:\n  qa:\n    metrics_url: http://"+big.Addr()+"/metrics\n    prometheus: {max_response_bytes: 1MiB}\n")
	_, out, stderr := runCLI(t, nil, "--config", cfg, "snapshot", "--format", "text")
	if !strings.Contains(out, "larger than 1 MiB (max_response_bytes)") || strings.Contains(out, "no requests") {
		t.Fatalf("snapshot:\n%s%s", out, stderr)
	}
}

// TestFIFOsAreNotRead: a FIFO where a file is expected (a dashboard, a
// token file, a schema dump) is said to be one; nothing waits for a writer.
func TestFIFOsAreNotRead(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	cases := []struct{ name, yaml, args, want string }{
		{"dashboard", "grafana_dashboard: " + fifo + "\nenvironments: {qa: {}}\n", "config print", "not a regular file"},
		{"token file", "environments:\n  qa:\n    prometheus: {url: 'http://127.0.0.1:1', bearer_token_file: " + fifo + "}\n", "snapshot --format text", "not a regular file"},
		{"schema dump", "environments:\n  qa:\n    postgres: {url: '" + pg.URL() + "'}\n    schema_reference: " + fifo + "\n", "snapshot --format text", "not a regular file"},
	}
	for _, c := range cases {
		cfg := writeFile(t, c.name+".yaml", c.yaml)
		done := make(chan string, 1)
		go func() {
			_, out, stderr := runCLI(t, nil, append([]string{"--config", cfg}, strings.Fields(c.args)...)...)
			done <- out + stderr
		}()
		select {
		case said := <-done:
			if !strings.Contains(said, c.want) {
				t.Errorf("%s: %s", c.name, said)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: waits on the FIFO", c.name)
		}
	}
}
