package cli

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNotPostgresOnTheDatabasePort: an HTTP server where postgres.url
// points (it answers bytes that are not HTTP with a 400 at once, as nginx
// does): `opsdeck check` and `opsdeck snapshot` say it does not speak
// PostgreSQL's protocol and what it answered, not a message length.
func TestNotPostgresOnTheDatabasePort(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if _, err := c.Read(make([]byte, 1024)); err == nil {
					c.Write([]byte("HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nConnection: close\r\n\r\n"))
				}
			}()
		}
	}()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a1_first.py"), []byte("revision = 'a1'\ndown_revision = None\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := writeFile(t, "http.yaml", "environments:\n  qa:\n    postgres: {url: \"postgresql://origin:s3cret-pw@"+ln.Addr().String()+"/origin_db\"}\n    alembic: {dir: \""+dir+"\"}\n")
	said := "the server at " + ln.Addr().String() + ` does not speak the PostgreSQL protocol (it answered "HTTP/1.1 400 Bad Request")`
	inJSON, _ := json.Marshal(said)
	for _, args := range [][]string{{"check"}, {"snapshot", "--format", "text"}, {"snapshot"}} {
		code, out, stderr := runCLI(t, nil, append([]string{"--config", cfg}, args...)...)
		if !strings.Contains(out, said) && !strings.Contains(out, strings.Trim(string(inJSON), `"`)) || strings.Contains(out+stderr, "expected at most") || strings.Contains(out+stderr, "s3cret-pw") {
			t.Errorf("%v: exit %d\n%s%s", args, code, out, stderr)
		}
		if args[0] == "check" && code != 1 {
			t.Errorf("check passed: exit %d\n%s", code, out)
		}
	}
}
