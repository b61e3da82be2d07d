package postgres

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
	"github.com/opsdeck/opsdeck/sources"
)

// otherServer listens on a loopback port and answers each connection as a
// server of another protocol does: first (a banner), or to the client's
// first bytes (an HTTP server's 400 to bytes that are not HTTP, as nginx
// and Apache answer at once).
func otherServer(t *testing.T, answer string, speaksFirst bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if !speaksFirst {
					if _, err := c.Read(make([]byte, 1024)); err != nil {
						return
					}
				}
				c.Write([]byte(answer))
				c.Read(make([]byte, 1024)) // until the client hangs up
			}()
		}
	}()
	return ln.Addr().String()
}

// TestNotPostgresSaysSo: an HTTP server or an SSH server where the
// database should be is said not to speak PostgreSQL's protocol, with what
// it answered, at once and without the password; pgbouncer's console too.
// A real PostgreSQL, asked for TLS first or not, is read as ever.
func TestNotPostgresSaysSo(t *testing.T) {
	t.Parallel()
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	for _, mode := range []string{"prefer", "disable"} {
		url := strings.Replace(pg.URL(), "sslmode=disable", "sslmode="+mode, 1)
		if st := poll(t, newClient(t, Options{URL: url}), sources.DBRequest{}); st.Version == "" {
			t.Errorf("sslmode=%s: no state from PostgreSQL", mode)
		}
	}
	for _, c := range []struct {
		name, answer string
		speaksFirst  bool
		said         string
	}{
		{"an HTTP server", "HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n<html>400</html>", false, `"HTTP/1.1 400 Bad Request"`},
		{"an SSH server", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", true, `"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"`},
		{"a gRPC server", "\x00\x00\x06\x04\x00\x00\x00\x00\x00\x00\x05\x00\x00@\x00", true, `"\x00\x00\x06\x04`},
	} {
		addr := otherServer(t, c.answer, c.speaksFirst)
		want := "the server at " + addr + " does not speak the PostgreSQL protocol (it answered " + c.said
		for _, mode := range []string{"prefer", "disable"} {
			url := "postgresql://origin:s3cret-pw@" + addr + "/origin_db?sslmode=" + mode
			const timeout = 5 * time.Second
			cl := newClient(t, Options{URL: url, Timeout: timeout})
			start := time.Now()
			_, err := cl.Poll(context.Background(), sources.DBRequest{})
			if took := time.Since(start); took >= timeout {
				t.Errorf("%s, sslmode=%s: took %v, the whole timeout", c.name, mode, took)
			}
			if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "s3cret-pw") || strings.Contains(err.Error(), "expected at most") {
				t.Errorf("%s, sslmode=%s: %v\nwant %s…", c.name, mode, err, want)
			}
			if _, _, err := cl.AlembicVersion(context.Background()); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s, sslmode=%s: the revision's read: %v", c.name, mode, err)
			}
		}
		b, err := newBouncer(Options{PgbouncerURL: "postgresql://stats:st4ts-pw@" + addr + "/pgbouncer", Scrubber: redact.NewScrubber("st4ts-pw")})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := wait.Bounded(t)
		if p := b.poll(ctx); p == nil || !strings.Contains(p.Error, want) {
			t.Errorf("%s: pgbouncer's console: %+v", c.name, p)
		}
		cancel()
		b.close()
	}
}
