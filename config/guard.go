package config

import (
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/opsdeck/opsdeck/internal/endpoint"
)

// Guard is an environment's guard as it holds: its own flags made at least
// as strict as those of every environment that names one of the same
// resources.
type Guard struct {
	Protected, Readonly, Disposable, AllowReset, NoConfirm bool
	// SharedWith names each stricter environment and the resource it
	// shares, for the question and the audit.
	SharedWith []string
}

// Guard is the guard of environment name: an action there can reach what
// another environment names (one database under two spellings), so it is
// guarded at least as strictly as that environment. Protected and readonly
// if any sharer is; disposable, and confirm: none, only if every sharer is
// too; a protected sharer that does not allow resets forbids them.
func (c *Config) Guard(name string) (Guard, error) { return c.GuardOver(name) }

// Reach is a kind of resource an action reaches, known by the fields of
// the configuration that name it.
type Reach string

const (
	ReachDatabase     Reach = "database"     // postgres.url, alembic.env.DATABASE_URL
	ReachRedis        Reach = "redis"        // redis.url and what a reset flushes
	ReachBroker       Reach = "broker"       // celery.broker_url, celery.result_backend
	ReachAlertmanager Reach = "alertmanager" // alertmanager.url
	ReachCommands     Reach = "commands"     // a connection string in a runbook command's env:
)

// reachOf is the kind of resource an environment's field names.
func reachOf(field string) Reach {
	_, rest, _ := strings.Cut(strings.TrimPrefix(field, "environments."), ".")
	switch {
	case strings.HasPrefix(rest, "actions.commands"):
		return ReachCommands
	case strings.HasPrefix(rest, "postgres.") || strings.HasPrefix(rest, "alembic."):
		return ReachDatabase
	case strings.HasPrefix(rest, "redis.") || strings.HasPrefix(rest, "actions.reset."):
		return ReachRedis
	case strings.HasPrefix(rest, "celery."):
		return ReachBroker
	}
	return ReachAlertmanager
}

// GuardOver is Guard for an action that reaches only the resources of
// reach (none: every one): a database shared with production makes the
// migration production's, not the silences of an Alertmanager that
// serves every environment.
func (c *Config) GuardOver(name string, reach ...Reach) (Guard, error) {
	e, err := c.Get(name)
	if err != nil {
		return Guard{}, err
	}
	g := Guard{Protected: e.Protected, Readonly: e.Readonly, Disposable: e.Disposable,
		AllowReset: e.AllowReset, NoConfirm: e.Confirm == "none"}
	shared := c.shared
	if shared == nil { // a Config built by hand, not loaded
		shared = findSharing(c, endpoint.NewResolver(endpoint.Options{}))
	}
	resets := !e.Protected || e.AllowReset
	for _, o := range shared.with(name, reach) {
		other := c.Environments[o.env]
		g.Protected = g.Protected || other.Protected
		// A read-only view of a shared Alertmanager does not forbid the
		// silences of the environments it serves: a silence destroys
		// nothing and is asked y/N everywhere.
		g.Readonly = g.Readonly || other.Readonly && slices.ContainsFunc(o.reaches, func(r Reach) bool { return r != ReachAlertmanager })
		g.Disposable = g.Disposable && other.Disposable
		g.NoConfirm = g.NoConfirm && other.Disposable && other.Confirm == "none"
		if other.Protected && !other.AllowReset {
			resets = false
		}
		if slices.ContainsFunc(o.reaches, func(r Reach) bool { return stricter(e, other, r) }) {
			g.SharedWith = append(g.SharedWith, fmt.Sprintf("%s (%s)", o.env, strings.Join(o.what, ", ")))
		}
	}
	if g.Protected {
		g.AllowReset = resets
	}
	return g, nil
}

// stricter reports whether other's guard, lent through a resource of
// reach r, is stricter than e's in any way.
func stricter(e, other *Environment, r Reach) bool {
	return other.Protected && !e.Protected ||
		other.Readonly && !e.Readonly && r != ReachAlertmanager ||
		e.Disposable && !other.Disposable ||
		e.Confirm == "none" && other.Confirm != "none" ||
		other.Protected && !other.AllowReset && e.AllowReset
}

// resourceRef is one resource an environment names, with the field that
// names it.
type resourceRef struct {
	field string
	res   endpoint.Resource
}

// resources lists what an environment's actions and panes reach: its
// databases (the watched one and the migration's), its Redis databases
// (the watched one, those a reset flushes, Celery's broker and result
// backend) and its Alertmanager. Connection strings that cannot be read
// are left out: their own check reports them.
func resources(name string, e *Environment) []resourceRef {
	base := "environments." + name
	var out []resourceRef
	add := func(field string, res endpoint.Resource, err error) {
		if err == nil {
			out = append(out, resourceRef{base + "." + field, res})
		}
	}
	if u := e.Postgres.URL; u != "" {
		r, err := endpoint.ParsePostgres(u)
		add("postgres.url", r, err)
	}
	if u := e.Alembic.Env["DATABASE_URL"]; u != "" {
		r, err := endpoint.ParsePostgres(u)
		add("alembic.env.DATABASE_URL", r, err)
	}
	if u := e.Redis.URL; u != "" {
		out = append(out, redisResources(base, e.Redis, e.Actions.Reset.RedisDBs)...)
	}
	for field, u := range map[string]string{"celery.broker_url": e.Celery.BrokerURL, "celery.result_backend": e.Celery.ResultBackend} {
		if u != "" {
			r, err := endpoint.ParseRedis(u)
			add(field, r, err)
		}
	}
	if u := e.Alertmanager.URL; u != "" {
		r, err := endpoint.ParseHTTP(u, endpoint.Alertmanager)
		add("alertmanager.url", r, err)
	}
	// A runbook command reaches what its env: names.
	for i, c := range e.Actions.Commands {
		for k, v := range c.Env {
			field := fmt.Sprintf("actions.commands[%d].env.%s", i, k)
			switch {
			case strings.HasPrefix(v, "postgres://") || strings.HasPrefix(v, "postgresql://") || strings.HasPrefix(v, "postgresql+"):
				r, err := endpoint.ParsePostgres(v)
				add(field, r, err)
			case strings.HasPrefix(v, "redis://") || strings.HasPrefix(v, "rediss://") || strings.HasPrefix(v, "unix://"):
				r, err := endpoint.ParseRedis(v)
				add(field, r, err)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b resourceRef) int { return strings.Compare(a.field, b.field) })
	return out
}

// redisResources are the Redis databases of redis.url, the further nodes
// of a cluster, a Sentinel's master, and the databases a reset flushes on
// redis.url's server.
func redisResources(base string, rd Redis, resetDBs []int) []resourceRef {
	r, err := endpoint.ParseRedis(rd.URL)
	if err != nil {
		return nil
	}
	url := r
	if rd.Mode == RedisCluster {
		r.Hosts = slices.Clone(r.Hosts)
		for _, a := range rd.Addrs {
			_ = r.AddHost(a) // a bad address is reported by its own check
		}
	}
	out := []resourceRef{{base + ".redis.url", r}}
	if rd.Mode == RedisSentinel && rd.MasterName != "" {
		m := endpoint.Resource{Kind: endpoint.Redis, Name: r.Name + " of master " + rd.MasterName}
		for _, a := range sentinels(rd.Addrs, url.Hosts) {
			_ = m.AddHost(a)
		}
		out = append(out, resourceRef{base + ".redis.master_name", m})
	}
	for i, db := range resetDBs {
		out = append(out, resourceRef{fmt.Sprintf("%s.actions.reset.redis_dbs[%d]", base, i), url.On(strconv.Itoa(db))})
	}
	return out
}

// sentinels are addrs, else redis.url's host (as the Redis source has it).
func sentinels(addrs []string, hosts []endpoint.Host) []string {
	if len(addrs) > 0 {
		return addrs
	}
	var out []string
	for _, h := range hosts {
		out = append(out, net.JoinHostPort(h.Name, h.Port))
	}
	return out
}

// share is one resource two environments both name.
type share struct {
	field, otherField string
	other             string
	res               endpoint.Resource // as the other environment names it
}

// sharing maps each environment to what it shares with others.
type sharing map[string][]share

// findSharing compares every environment's resources with every other's.
func findSharing(c *Config, r *endpoint.Resolver) sharing {
	out := sharing{}
	names := c.Order
	if len(names) != len(c.Environments) { // a Config built by hand may have no order
		names = slices.Sorted(maps.Keys(c.Environments))
	}
	refs := map[string][]resourceRef{}
	for _, name := range names {
		if e := c.Environments[name]; e != nil {
			refs[name] = resources(name, e)
		}
	}
	for i, a := range names {
		for _, b := range names[i+1:] {
			for _, ra := range refs[a] {
				for _, rb := range refs[b] {
					if r.Same(ra.res, rb.res) {
						out[a] = append(out[a], share{field: ra.field, other: b, otherField: rb.field, res: rb.res})
						out[b] = append(out[b], share{field: rb.field, other: a, otherField: ra.field, res: ra.res})
					}
				}
			}
		}
	}
	return out
}

// sharer is one other environment and what is shared with it.
type sharer struct {
	env     string
	what    []string // "database 127.0.0.1:5432/origin_db"
	reaches []Reach
}

// with lists the environments name shares a resource with, in file order
// of first finding.
func (s sharing) with(name string, reach []Reach) []sharer {
	var out []sharer
	idx := map[string]int{}
	for _, sh := range s[name] {
		if len(reach) > 0 && !slices.Contains(reach, reachOf(sh.field)) {
			continue
		}
		i, ok := idx[sh.other]
		if !ok {
			i = len(out)
			idx[sh.other] = i
			out = append(out, sharer{env: sh.other})
		}
		if r := reachOf(sh.field); !slices.Contains(out[i].reaches, r) {
			out[i].reaches = append(out[i].reaches, r)
		}
		w := string(sh.res.Kind) + " " + sh.res.String()
		if !slices.Contains(out[i].what, w) {
			out[i].what = append(out[i].what, w)
		}
	}
	return out
}
