package endpoint

import (
	"errors"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	goredis "github.com/redis/go-redis/v9"
)

// Kind is what sort of resource a connection string reaches; it reads as a
// noun in messages ("the same database").
type Kind string

// Kinds of resource.
const (
	Postgres     Kind = "database"
	Redis        Kind = "Redis database"
	Alertmanager Kind = "Alertmanager"
)

// Host is one server a resource may be reached at, as written: a host name
// (lower-cased), an IP address or a unix socket path, with its port.
type Host struct {
	Name string
	Port string
}

// Resource is what a connection string reaches.
type Resource struct {
	Kind Kind
	// Hosts are the servers tried (a PostgreSQL URL may name several).
	Hosts []Host
	// Name tells resources on one server apart: the PostgreSQL database,
	// the Redis database number, an HTTP API's scheme and path.
	Name string
}

// String describes the resource without credentials: host:port/name of its
// first server.
func (r Resource) String() string {
	if len(r.Hosts) == 0 {
		return r.Name
	}
	h := r.Hosts[0]
	switch {
	case r.Kind == Alertmanager:
		scheme, path, _ := strings.Cut(r.Name, "://")
		return scheme + "://" + net.JoinHostPort(h.Name, h.Port) + path
	case h.Port == "":
		return h.Name + "/" + r.Name
	}
	return net.JoinHostPort(h.Name, h.Port) + "/" + r.Name
}

// Server describes the resource's first server: host:port (or a socket).
func (r Resource) Server() string {
	if len(r.Hosts) == 0 {
		return ""
	}
	if h := r.Hosts[0]; h.Port != "" {
		return net.JoinHostPort(h.Name, h.Port)
	}
	return r.Hosts[0].Name
}

// On is the resource of the same kind on the same servers, named name: the
// Redis database a reset flushes beside the one its URL names.
func (r Resource) On(name string) Resource {
	r.Name = name
	return r
}

// errUnreadable never quotes the connection string: it may hold a password.
var errUnreadable = errors.New("not a connection string opsdeck can read")

// ParsePostgres reads a PostgreSQL URL (postgresql://, postgres://, with a
// SQLAlchemy +driver, several hosts, ?host= parameters) or key=value DSN
// the way the connection itself is made (pgconn, with libpq's defaults and
// PG* variables). TLS settings are left out: they do not change which
// server is reached, and reading certificate files is not this job.
func ParsePostgres(raw string) (Resource, error) {
	s := strings.TrimSpace(raw)
	if scheme, rest, ok := strings.Cut(s, "://"); ok {
		scheme, _, _ = strings.Cut(strings.ToLower(scheme), "+")
		s = scheme + "://" + rest
		sep := "?"
		if strings.Contains(rest, "?") {
			sep = "&"
		}
		s += sep + "sslmode=disable&sslrootcert=&sslcert=&sslkey="
	} else {
		s += " sslmode=disable sslrootcert='' sslcert='' sslkey=''"
	}
	cfg, err := pgconn.ParseConfig(s)
	if err != nil {
		return Resource{}, errUnreadable
	}
	r := Resource{Kind: Postgres, Name: cfg.Database}
	if r.Name == "" {
		r.Name = cfg.User // the server's default database is the user's name
	}
	r.add(cfg.Host, strconv.Itoa(int(cfg.Port)))
	for _, f := range cfg.Fallbacks {
		r.add(f.Host, strconv.Itoa(int(f.Port)))
	}
	return r, nil
}

// ParseRedis reads a redis://, rediss:// or unix:// URL as go-redis does
// (default port 6379, database 0).
func ParseRedis(raw string) (Resource, error) {
	o, err := goredis.ParseURL(strings.TrimSpace(raw))
	if err != nil {
		return Resource{}, errUnreadable
	}
	r := Resource{Kind: Redis, Name: strconv.Itoa(o.DB)}
	if o.Network == "unix" {
		// A Redis socket is its own listener, not a directory of a port:
		// it is compared by its path alone.
		r.add("unix:"+o.Addr, "")
		return r, nil
	}
	host, port, err := net.SplitHostPort(o.Addr)
	if err != nil {
		return Resource{}, errUnreadable
	}
	r.add(host, port)
	return r, nil
}

// ParseHTTP reads an HTTP API's base URL (Alertmanager's): scheme, host,
// port (80 or 443 by default) and path.
func ParseHTTP(raw string, kind Kind) (Resource, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Hostname() == "" {
		return Resource{}, errUnreadable
	}
	port := u.Port()
	switch {
	case port != "":
	case u.Scheme == "https":
		port = "443"
	case u.Scheme == "http":
		port = "80"
	default:
		return Resource{}, errUnreadable
	}
	r := Resource{Kind: kind, Name: u.Scheme + "://" + strings.TrimRight(u.EscapedPath(), "/")}
	r.add(u.Hostname(), port)
	return r, nil
}

// AddHost adds a further server of the resource (a cluster's seed node,
// a sentinel), written host:port.
func (r *Resource) AddHost(hostport string) error {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return errUnreadable
	}
	r.add(host, port)
	return nil
}

func (r *Resource) add(name, port string) {
	if !strings.HasPrefix(name, "/") && !strings.HasPrefix(name, "unix:") {
		name = strings.TrimSuffix(strings.ToLower(name), ".") // DNS names are case-blind; paths are not
	}
	h := Host{Name: name, Port: port}
	for _, x := range r.Hosts {
		if x == h {
			return
		}
	}
	r.Hosts = append(r.Hosts, h)
}
