package servers

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"

	goredis "github.com/redis/go-redis/v9"
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
	if err := refuseShort(); err != nil {
		return nil, err
	}
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
	if err := r.start(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// ping speaks just enough RESP to know the server answers (and takes our password).
func (r *Redis) ping(ctx context.Context) error {
	return r.Do(ctx, 0, []string{"PING"})
}

// client is a go-redis client of database db (the console's own client
// library, so the harness speaks Redis the way opsdeck does).
func (r *Redis) client(db int) *goredis.Client {
	return goredis.NewClient(&goredis.Options{Addr: r.Addr(), Password: r.Password, DB: db, Protocol: 2,
		DisableIdentity: true, MaxRetries: -1, PoolSize: 1})
}

// Do sends commands to database db in one pipeline and fails on the first
// error reply (a nil reply, such as a script's that returns nothing, is
// not one).
func (r *Redis) Do(ctx context.Context, db int, cmds ...[]string) error {
	c := r.client(db)
	defer c.Close()
	pipe := c.Pipeline()
	for _, cmd := range cmds {
		args := make([]any, len(cmd))
		for i, a := range cmd {
			args[i] = a
		}
		pipe.Do(ctx, args...)
	}
	done, err := pipe.Exec(ctx)
	if err != nil && err != goredis.Nil { // a nil reply is an answer
		return err
	}
	for _, c := range done { // Exec says the first failure, nil or not
		if err := c.Err(); err != nil && err != goredis.Nil {
			return err
		}
	}
	return nil
}

// Get sends one command to database 0 and returns its reply as text (bulk
// and simple strings; arrays as their elements, one per line).
func (r *Redis) Get(ctx context.Context, cmd ...string) (string, error) {
	c := r.client(0)
	defer c.Close()
	args := make([]any, len(cmd))
	for i, a := range cmd {
		args[i] = a
	}
	v, err := c.Do(ctx, args...).Result()
	if err == goredis.Nil {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return replyText(v), nil
}

func replyText(v any) string {
	if parts, ok := v.([]any); ok {
		out := make([]string, len(parts))
		for i, p := range parts {
			out[i] = replyText(p)
		}
		return strings.Join(out, "\n")
	}
	return fmt.Sprint(v)
}

// Stop shuts the server down and removes its directory.
func (r *Redis) Stop() error {
	if r == nil {
		return nil
	}
	return r.stop()
}
