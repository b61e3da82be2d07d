package harness

import (
	"bufio"
	"context"
	"fmt"
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
}

// Redis is a running throwaway redis-server.
type Redis struct {
	Dir      string
	Port     int
	Password string
	proc     *process
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

// Pid is the server's process id.
func (r *Redis) Pid() int { return r.proc.cmd.Process.Pid }

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
	r := &Redis{Dir: dir, Password: opts.Password}
	// The password goes in a config file, not argv, so that ps does not show it.
	conf := fmt.Sprintf("bind 127.0.0.1\nsave \"\"\nappendonly no\ndaemonize no\ndir %s\nprotected-mode yes\n", dir)
	if opts.Password != "" {
		conf += "requirepass " + opts.Password + "\n"
	}
	confPath := dir + "/redis.conf"
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	proc, err := withPortRetry(func(port int) (*process, error) {
		r.Port = port
		proc, err := startProcess("redis", dir, nil, bin, confPath, "--port", strconv.Itoa(port))
		if err != nil {
			return nil, err
		}
		if err := waitReady(ctx, proc, r.ping); err != nil {
			proc.stop(syscall.SIGKILL, time.Second)
			if proc.addrInUse() {
				return nil, errPortTaken
			}
			return nil, err
		}
		return proc, nil
	})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	r.proc = proc
	return r, nil
}

// ping speaks just enough RESP to know the server answers (and takes our password).
func (r *Redis) ping(ctx context.Context) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", r.Addr())
	if err != nil {
		return err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	cmd := "PING\r\n"
	if r.Password != "" {
		cmd = fmt.Sprintf("*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n", len(r.Password), r.Password) + cmd
	}
	if _, err := conn.Write([]byte(cmd)); err != nil {
		return err
	}
	br := bufio.NewReader(conn)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return err
		}
		if strings.HasPrefix(line, "-") {
			return fmt.Errorf("redis: %s", strings.TrimSpace(line))
		}
		if strings.HasPrefix(line, "+PONG") {
			return nil
		}
	}
}

// Stop shuts the server down and removes its directory.
func (r *Redis) Stop() error {
	if r == nil {
		return nil
	}
	err := r.proc.stop(syscall.SIGTERM, 10*time.Second)
	if rmErr := os.RemoveAll(r.Dir); err == nil {
		err = rmErr
	}
	return err
}

// NewRedis starts a server for one test and stops it when the test ends.
func NewRedis(t TB, opts RedisOptions) *Redis {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := StartRedis(ctx, opts)
	if err != nil {
		t.Fatalf("harness: Redis: %v", err)
	}
	t.Cleanup(func() {
		if err := r.Stop(); err != nil {
			t.Logf("harness: stopping Redis: %v", err)
		}
	})
	return r
}
