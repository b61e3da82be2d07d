// Package pgconnstr turns a libpq connection string into what a child
// process (pg_dump, psql) may be given: a connection string for its argv
// with no secret in it, where every user of the machine can read it (ps),
// and the secrets in its environment or a file of its own.
package pgconnstr

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Child is a connection made fit for a child process.
type Child struct {
	// Conninfo is the connection as key=value settings, every secret left
	// out: what goes in argv (pg_dump --dbname).
	Conninfo string
	// Env are the secrets libpq reads from the environment (PGPASSWORD,
	// PGPASSFILE), as KEY=value.
	Env []string
	// Service are the secrets no environment variable carries
	// (sslpassword): for a service file (WriteService).
	Service map[string]string
}

// secretVars are the settings moved to the environment, and their
// variables.
var secretVars = map[string]string{"password": "PGPASSWORD", "passfile": "PGPASSFILE"}

// serviceOnly are the secrets libpq reads from no variable.
var serviceOnly = map[string]bool{"sslpassword": true}

// ForChild splits conn, in any form libpq reads (a postgresql:// or
// postgres:// URI, a SQLAlchemy URL such as postgresql+psycopg2://, a
// key=value string, or a bare database name), into a Child. The last of
// two settings of the same key wins, as in libpq.
func ForChild(conn string) (Child, error) {
	settings, err := parse(conn)
	if err != nil {
		return Child{}, err
	}
	var c Child
	vars := map[string]string{}
	var kept []string
	service := false
	for _, s := range settings {
		service = service || s.key == "service"
		switch {
		case secretVars[s.key] != "":
			vars[secretVars[s.key]] = s.value
		case serviceOnly[s.key]:
			if c.Service == nil {
				c.Service = map[string]string{}
			}
			c.Service[s.key] = s.value
		default:
			kept = append(kept, s.key+"="+quote(s.value))
		}
	}
	for _, k := range []string{"PGPASSWORD", "PGPASSFILE"} {
		if v := vars[k]; v != "" {
			c.Env = append(c.Env, k+"="+v)
		}
	}
	if len(c.Service) > 0 && service {
		return Child{}, errors.New("the connection names a service and an sslpassword: a child process could be given the sslpassword only through a service file of its own; put the sslpassword in the service's file")
	}
	c.Conninfo = strings.Join(kept, " ")
	return c, nil
}

// WriteService writes c.Service to a service file in dir, readable by its
// owner alone, and returns the variables that point libpq at it; none
// when there is nothing to write.
func (c Child) WriteService(dir string) ([]string, error) {
	if len(c.Service) == 0 {
		return nil, nil
	}
	var b strings.Builder
	b.WriteString("[opsdeck]\n")
	for k, v := range c.Service {
		if strings.ContainsAny(v, "\n\r") || strings.TrimSpace(v) != v {
			return nil, fmt.Errorf("the connection's %s cannot be written to a service file (a line break, or spaces at an end)", k)
		}
		b.WriteString(k + "=" + v + "\n")
	}
	path := filepath.Join(dir, "pg_service.conf")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return nil, err
	}
	return []string{"PGSERVICEFILE=" + path, "PGSERVICE=opsdeck"}, nil
}

type setting struct{ key, value string }

// uriScheme is libpq's URI prefix, with SQLAlchemy's +driver allowed.
var uriScheme = regexp.MustCompile(`^postgres(?:ql)?(?:\+[A-Za-z0-9_]+)?://`)

func parse(conn string) ([]setting, error) {
	if m := uriScheme.FindString(conn); m != "" {
		return parseURI(conn[len(m):])
	}
	if !strings.Contains(conn, "=") {
		return []setting{{"dbname", conn}}, nil
	}
	return parseKeyValue(conn)
}

// parseURI reads what follows the scheme as libpq does:
// [user[:password]@][host[:port][,…]][/dbname][?key=value&…], each part
// percent-decoded.
func parseURI(rest string) ([]setting, error) {
	var out []setting
	add := func(key, raw string) error {
		v, err := decode(raw)
		if err == nil && v != "" {
			out = append(out, setting{key, v})
		}
		return err
	}
	if at := strings.IndexAny(rest, "@/"); at >= 0 && rest[at] == '@' {
		user, password, _ := strings.Cut(rest[:at], ":")
		if err := errors.Join(add("user", user), add("password", password)); err != nil {
			return nil, err
		}
		rest = rest[at+1:]
	}
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	hosts, ports, err := hostList(rest[:end])
	if err != nil {
		return nil, err
	}
	out = append(out, hosts...)
	out = append(out, ports...)
	rest = rest[end:]
	if path, ok := strings.CutPrefix(rest, "/"); ok {
		db, query, _ := strings.Cut(path, "?")
		if err := add("dbname", db); err != nil {
			return nil, err
		}
		rest = "?" + query
	}
	query := strings.TrimPrefix(rest, "?")
	for _, kv := range strings.Split(query, "&") {
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, errors.New("the connection URI has a parameter without a value")
		}
		key, err := decode(k)
		if err != nil {
			return nil, err
		}
		if key == "ssl" && v == "true" { // libpq's JDBC-compatible spelling
			key, v = "sslmode", "require"
		}
		if err := add(key, v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// hostList reads host[:port] entries separated by commas; [::1] is an
// IPv6 address. It returns the host and port settings ("a,b").
func hostList(s string) (hosts, ports []setting, err error) {
	if s == "" {
		return nil, nil, nil
	}
	var hs, ps []string
	anyPort := false
	for _, entry := range strings.Split(s, ",") {
		host, port := entry, ""
		if strings.HasPrefix(entry, "[") {
			end := strings.IndexByte(entry, ']')
			if end < 0 {
				return nil, nil, errors.New("the connection URI has a host opening [ without its closing ]")
			}
			host, port = entry[1:end], strings.TrimPrefix(entry[end+1:], ":")
		} else if h, p, ok := strings.Cut(entry, ":"); ok {
			host, port = h, p
		}
		h, err1 := decode(host)
		p, err2 := decode(port)
		if err := errors.Join(err1, err2); err != nil {
			return nil, nil, err
		}
		hs, ps = append(hs, h), append(ps, p)
		anyPort = anyPort || p != ""
	}
	hosts = []setting{{"host", strings.Join(hs, ",")}}
	if anyPort {
		ports = []setting{{"port", strings.Join(ps, ",")}}
	}
	return hosts, ports, nil
}

// decode undoes percent-encoding as libpq does: %XX only, never a NUL.
func decode(s string) (string, error) {
	v, err := url.PathUnescape(s)
	if err != nil || strings.IndexByte(v, 0) >= 0 {
		return "", fmt.Errorf("the connection URI has an invalid percent-encoded part")
	}
	return v, nil
}

// parseKeyValue reads key = value settings separated by whitespace; a
// value may be single-quoted, and a backslash escapes the next character.
func parseKeyValue(s string) ([]setting, error) {
	var out []setting
	i := 0
	space := func() {
		for i < len(s) && strings.IndexByte(" \t\n\r\f\v", s[i]) >= 0 {
			i++
		}
	}
	for {
		space()
		if i >= len(s) {
			return out, nil
		}
		start := i
		for i < len(s) && s[i] != '=' && strings.IndexByte(" \t\n\r\f\v", s[i]) < 0 {
			i++
		}
		key := s[start:i]
		space()
		if i >= len(s) || s[i] != '=' {
			// The word is not shown: it may be a secret in the wrong place.
			return nil, fmt.Errorf("the connection string has a word without \"=\" after it (at byte %d)", start)
		}
		i++
		space()
		v, next, err := value(s, i)
		if err != nil {
			return nil, err
		}
		out = append(out, setting{key, v})
		i = next
	}
}

// value reads one value at s[i:], quoted or not, and says where it ends.
func value(s string, i int) (string, int, error) {
	var b strings.Builder
	quoted := i < len(s) && s[i] == '\''
	if quoted {
		i++
	}
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case quoted && c == '\'':
			return b.String(), i + 1, nil
		case !quoted && strings.IndexByte(" \t\n\r\f\v", c) >= 0:
			return b.String(), i, nil
		default:
			b.WriteByte(c)
		}
	}
	if quoted {
		return "", 0, errors.New("the connection string has an unterminated quoted value")
	}
	return b.String(), i, nil
}

// quote writes a value for a key=value string: single-quoted, with
// backslashes and quotes escaped.
func quote(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}
