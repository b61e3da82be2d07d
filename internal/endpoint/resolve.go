package endpoint

import (
	"context"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"
)

// DefaultBudget bounds the time a Resolver spends in DNS, all lookups
// together: comparing resources must never make loading the configuration
// slow. A name not resolved within it is compared as a name.
const DefaultBudget = 300 * time.Millisecond

// local stands for every spelling of this machine: localhost, a loopback
// or own address, its host name, a unix socket directory.
const local = "this machine"

// Resolver compares resources by what their hosts resolve to. Each name is
// looked up once; all lookups together take at most the budget. It is not
// safe for concurrent use.
type Resolver struct {
	lookup   func(ctx context.Context, host string) ([]string, error)
	hostname string
	own      map[netip.Addr]bool
	budget   time.Duration
	deadline time.Time // set by the first lookup
	cache    map[string][]string
}

// Options configure a Resolver; the zero value of a field takes the
// system's (net.DefaultResolver, os.Hostname, the interfaces' addresses,
// DefaultBudget).
type Options struct {
	Lookup     func(ctx context.Context, host string) ([]string, error)
	Hostname   string
	OwnAddrs   []string
	Budget     time.Duration
	NoOwnAddrs bool // the machine's own addresses are not read (tests)
}

// NewResolver returns a resolver; see Options.
func NewResolver(o Options) *Resolver {
	r := &Resolver{lookup: o.Lookup, hostname: strings.ToLower(o.Hostname), budget: o.Budget,
		own: map[netip.Addr]bool{}, cache: map[string][]string{}}
	if r.lookup == nil {
		r.lookup = net.DefaultResolver.LookupHost
	}
	if r.hostname == "" {
		h, _ := os.Hostname()
		r.hostname = strings.ToLower(h)
	}
	if r.budget <= 0 {
		r.budget = DefaultBudget
	}
	addrs := o.OwnAddrs
	if len(addrs) == 0 && !o.NoOwnAddrs {
		if ifs, err := net.InterfaceAddrs(); err == nil {
			for _, a := range ifs {
				addrs = append(addrs, strings.SplitN(a.String(), "/", 2)[0])
			}
		}
	}
	for _, a := range addrs {
		if ip, err := netip.ParseAddr(a); err == nil {
			r.own[ip.Unmap()] = true
		}
	}
	return r
}

// Same reports whether a and b are one resource: the same kind and name
// on a server they share (one address and port in common).
func (r *Resolver) Same(a, b Resource) bool {
	return a.Kind == b.Kind && a.Name == b.Name && r.SameServer(a, b)
}

// SameServer reports whether a and b are reached on one server, whatever
// the database on it.
func (r *Resolver) SameServer(a, b Resource) bool {
	if a.Kind != b.Kind {
		return false
	}
	var names []string
	for _, ha := range a.Hosts {
		for _, hb := range b.Hosts {
			if ha.Port != hb.Port {
				continue
			}
			if r.written(ha.Name) == r.written(hb.Name) {
				return true // no lookup needed
			}
			names = append(names, ha.Name, hb.Name)
		}
	}
	if len(names) == 0 {
		return false
	}
	r.resolve(names)
	for _, ha := range a.Hosts {
		for _, hb := range b.Hosts {
			if ha.Port == hb.Port && overlap(r.addrs(ha.Name), r.addrs(hb.Name)) {
				return true
			}
		}
	}
	return false
}

// written is what a host stands for without asking DNS: this machine, an
// address, or the name itself.
func (r *Resolver) written(name string) string {
	switch {
	case strings.HasPrefix(name, "/"):
		return local // a PostgreSQL unix socket directory
	case name == "localhost" || strings.HasSuffix(name, ".localhost"):
		return local
	case r.hostname != "" && (name == r.hostname || name == shortName(r.hostname)):
		return local
	}
	if ip, err := netip.ParseAddr(strings.Trim(name, "[]")); err == nil {
		return r.address(ip)
	}
	return "name " + name
}

func (r *Resolver) address(ip netip.Addr) string {
	ip = ip.Unmap().WithZone("")
	if ip.IsLoopback() || ip.IsUnspecified() || r.own[ip] {
		return local
	}
	return ip.String()
}

func shortName(h string) string {
	s, _, _ := strings.Cut(h, ".")
	return s
}

// addrs is what a host stands for: its written form and, when it was
// resolved in time, its addresses.
func (r *Resolver) addrs(name string) []string {
	return append([]string{r.written(name)}, r.cache[name]...)
}

func overlap(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

// resolve looks up the names not yet looked up, all at once, within what
// is left of the budget; a lookup that does not answer in time (even one
// that ignores its context) leaves its name unresolved.
func (r *Resolver) resolve(names []string) {
	var todo []string
	for _, n := range names {
		if _, done := r.cache[n]; done || !strings.HasPrefix(r.written(n), "name ") {
			continue
		}
		r.cache[n] = nil // looked up once, answered or not
		todo = append(todo, n)
	}
	if len(todo) == 0 {
		return
	}
	if r.deadline.IsZero() {
		r.deadline = time.Now().Add(r.budget)
	}
	if !time.Now().Before(r.deadline) {
		return // the budget is spent: these names are compared as names
	}
	ctx, cancel := context.WithDeadline(context.Background(), r.deadline)
	defer cancel()
	type answer struct {
		name  string
		addrs []string
	}
	answers := make(chan answer, len(todo))
	for _, n := range todo {
		go func() {
			addrs, err := r.lookup(ctx, n)
			if err != nil {
				addrs = nil
			}
			answers <- answer{n, addrs}
		}()
	}
	for range todo {
		select {
		case a := <-answers:
			r.cache[a.name] = r.canonical(a.addrs)
		case <-ctx.Done():
			return
		}
	}
}

func (r *Resolver) canonical(addrs []string) []string {
	var out []string
	for _, a := range addrs {
		if ip, err := netip.ParseAddr(a); err == nil {
			out = append(out, r.address(ip))
		}
	}
	return out
}
