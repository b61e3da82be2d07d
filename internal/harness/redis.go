package harness

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// RedisOptions shape a throwaway Redis. An empty Password gives a random one;
// NoPassword runs without AUTH.
type RedisOptions struct {
	Password   string
	NoPassword bool
	// Config holds extra redis.conf lines.
	Config string
	// Sentinel runs redis-server --sentinel (Config must name the master).
	Sentinel bool
}

// Redis is a running throwaway redis-server.
type Redis struct {
	server
	Port     int
	Password string
}

// Addr is host:port.
func (r *Redis) Addr() string { return "127.0.0.1:" + strconv.Itoa(r.Port) }

// URL is the redis:// URL of database db.
func (r *Redis) URL(db int) string {
	u := url.URL{Scheme: "redis", Host: r.Addr(), Path: "/" + strconv.Itoa(db)}
	if r.Password != "" {
		u.User = url.UserPassword("", r.Password)
	}
	return u.String()
}

// StartRedis runs redis-server without persistence on a free loopback port.
func StartRedis(ctx context.Context, opts RedisOptions) (*Redis, error) {
	bin, err := LookPath("redis-server", "redis-server")
	if err != nil {
		return nil, err
	}
	if opts.Password == "" && !opts.NoPassword {
		opts.Password = randomSecret()
	}
	dir, err := makeDir("opsdeck-redis-", nil)
	if err != nil {
		return nil, err
	}
	r := &Redis{server: server{Dir: dir, stopSignal: syscall.SIGTERM}, Password: opts.Password}
	// The password goes in a config file, not argv, so that ps does not show it.
	conf := fmt.Sprintf("bind 127.0.0.1\nsave \"\"\nappendonly no\ndaemonize no\ndir %s\nprotected-mode yes\n", dir)
	if opts.Password != "" {
		conf += "requirepass " + opts.Password + "\n"
	}
	conf += opts.Config
	confPath := dir + "/redis.conf"
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	r.port = &r.Port
	r.relaunch = func(ctx context.Context, port int) (*process, error) {
		r.Port = port
		args := []string{confPath, "--port", strconv.Itoa(port)}
		if opts.Sentinel {
			args = append(args, "--sentinel")
		}
		return launch(ctx, "redis", dir, nil, r.ping, bin, args...)
	}
	proc, err := withPortRetry(func(port int) (*process, error) { return r.relaunch(ctx, port) })
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	r.proc = proc
	return r, nil
}

// ping speaks just enough RESP to know the server answers (and takes our password).
func (r *Redis) ping(ctx context.Context) error {
	return r.Do(ctx, 0, []string{"PING"})
}

// Do sends commands to database db in one pipeline and fails on the first
// error reply. It speaks just enough RESP for the harness and the demo's
// seeding, so that they do not link a Redis client library.
func (r *Redis) Do(ctx context.Context, db int, cmds ...[]string) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", r.Addr())
	if err != nil {
		return err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	var all [][]string
	if r.Password != "" {
		all = append(all, []string{"AUTH", r.Password})
	}
	if db != 0 {
		all = append(all, []string{"SELECT", strconv.Itoa(db)})
	}
	all = append(all, cmds...)
	w := bufio.NewWriter(conn)
	for _, c := range all {
		fmt.Fprintf(w, "*%d\r\n", len(c))
		for _, arg := range c {
			fmt.Fprintf(w, "$%d\r\n%s\r\n", len(arg), arg)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	br := bufio.NewReader(conn)
	for range all {
		if err := skipReply(br); err != nil {
			return err
		}
	}
	return nil
}

// Get sends one command to database 0 and returns its reply as text (bulk
// and simple strings; arrays as their elements, one per line).
func (r *Redis) Get(ctx context.Context, cmd ...string) (string, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", r.Addr())
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	all := [][]string{cmd}
	if r.Password != "" {
		all = append([][]string{{"AUTH", r.Password}}, all...)
	}
	w := bufio.NewWriter(conn)
	for _, c := range all {
		fmt.Fprintf(w, "*%d\r\n", len(c))
		for _, arg := range c {
			fmt.Fprintf(w, "$%d\r\n%s\r\n", len(arg), arg)
		}
	}
	if err := w.Flush(); err != nil {
		return "", err
	}
	br := bufio.NewReader(conn)
	if r.Password != "" {
		if err := skipReply(br); err != nil {
			return "", err
		}
	}
	return readReply(br)
}

func readReply(br *bufio.Reader) (string, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("redis: empty reply")
	}
	switch line[0] {
	case '-':
		return "", fmt.Errorf("redis: %s", line[1:])
	case '$':
		n, _ := strconv.Atoi(line[1:])
		if n < 0 {
			return "", nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(br, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	case '*':
		n, _ := strconv.Atoi(line[1:])
		var parts []string
		for i := 0; i < n; i++ {
			p, err := readReply(br)
			if err != nil {
				return "", err
			}
			parts = append(parts, p)
		}
		return strings.Join(parts, "\n"), nil
	}
	return line[1:], nil
}

// skipReply reads one RESP reply, returning error replies as errors.
func skipReply(br *bufio.Reader) error {
	line, err := br.ReadString('\n')
	if err != nil {
		return err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return fmt.Errorf("redis: empty reply")
	}
	switch line[0] {
	case '-':
		return fmt.Errorf("redis: %s", line[1:])
	case '$':
		n, _ := strconv.Atoi(line[1:])
		if n >= 0 {
			_, err = br.Discard(n + 2)
		}
		return err
	case '*':
		n, _ := strconv.Atoi(line[1:])
		for i := 0; i < n; i++ {
			if err := skipReply(br); err != nil {
				return err
			}
		}
	}
	return nil
}

// Stop shuts the server down and removes its directory.
func (r *Redis) Stop() error {
	if r == nil {
		return nil
	}
	return r.stop()
}

// NewRedis starts a server for one test and stops it when the test ends.
func NewRedis(t TB, opts RedisOptions) *Redis {
	t.Helper()
	return startFor(t, "Redis", 30*time.Second, func(ctx context.Context) (*Redis, error) { return StartRedis(ctx, opts) })
}
