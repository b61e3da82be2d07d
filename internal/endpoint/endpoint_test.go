package endpoint

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeDNS answers from a table, counting the questions.
type fakeDNS struct {
	table map[string][]string
	asked atomic.Int32
}

func (f *fakeDNS) lookup(_ context.Context, host string) ([]string, error) {
	f.asked.Add(1)
	if a, ok := f.table[host]; ok {
		return a, nil
	}
	return nil, &netError{host}
}

type netError struct{ host string }

func (e *netError) Error() string { return "no such host " + e.host }

func testResolver(t *testing.T) (*Resolver, *fakeDNS) {
	// pgconn reads PG* variables as libpq does: the tests' spellings must
	// not depend on the machine's.
	for _, v := range []string{"PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE", "PGSSLMODE", "PGSSLROOTCERT"} {
		t.Setenv(v, "")
	}
	dns := &fakeDNS{table: map[string][]string{
		"db.internal":    {"10.1.2.3"},
		"db-cname":       {"10.1.2.3"},
		"db-alias":       {"127.0.0.1"},
		"lb":             {"10.1.2.3", "10.1.2.4"},
		"am.example.com": {"203.0.113.7"},
	}}
	return NewResolver(Options{Lookup: dns.lookup, Hostname: "OpsHost.example.com", OwnAddrs: []string{"192.0.2.10"}}), dns
}

func TestIdentity(t *testing.T) {
	pg, redis, am := ParsePostgres, ParseRedis, func(s string) (Resource, error) { return ParseHTTP(s, Alertmanager) }
	cases := []struct {
		name  string
		parse func(string) (Resource, error)
		a, b  string
		same  bool
	}{
		// PostgreSQL spellings of one database.
		{"localhost and 127.0.0.1, default port", pg, "postgresql://u:p@localhost:5432/origin_db", "postgresql://other@127.0.0.1/origin_db", true},
		{"::1 with TLS options", pg, "postgres://u@[::1]:5432/origin_db?sslmode=require", "postgresql://u@localhost/origin_db", true},
		{"key=value DSN", pg, "host=127.0.0.1 port=5432 dbname=origin_db user=u", "postgresql://u@localhost/origin_db", true},
		{"unix socket directory", pg, "postgresql:///origin_db?host=/var/run/postgresql", "postgresql://u@localhost:5432/origin_db", true},
		{"socket directory in a DSN", pg, "host=/tmp dbname=origin_db", "postgresql://u@127.0.0.1/origin_db", true},
		{"the machine's own host name", pg, "postgresql://u@opshost/origin_db", "postgresql://u@127.0.0.1/origin_db", true},
		{"the machine's full host name", pg, "postgresql://u@OPSHOST.example.com./origin_db", "postgresql://u@localhost/origin_db", true},
		{"the machine's own address", pg, "postgresql://u@192.0.2.10/origin_db", "postgresql://u@localhost/origin_db", true},
		{"a name resolving to loopback", pg, "postgresql://u@db-alias/origin_db", "host=localhost dbname=origin_db", true},
		{"SQLAlchemy driver, name resolved", pg, "postgresql+psycopg2://u@DB.Internal:5432/origin_db", "postgresql://u@10.1.2.3/origin_db", true},
		{"two names, one address", pg, "postgresql://u@db-cname/origin_db", "postgresql://u@db.internal/origin_db", true},
		{"several hosts, one shared", pg, "postgresql://u@h1:5432,db.internal:5432/origin_db", "host=10.1.2.3 dbname=origin_db", true},
		{"?host= parameter", pg, "postgresql:///origin_db?host=db.internal&port=5432", "postgresql://db-cname/origin_db", true},
		{"database defaults to the user", pg, "postgresql://origin_db@db.internal", "postgresql://x@db.internal/origin_db", true},
		{"a CA file that is not here", pg, "postgresql://u@db/x?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem", "postgresql://u@db:5432/x", true},
		{"an unknown name compared as a name", pg, "postgresql://u@Unknown-Host/x", "postgresql://u@unknown-host.:5432/x", true},
		{"a name with several addresses", pg, "postgresql://u@lb/x", "postgresql://u@10.1.2.4/x", true},
		// Near misses.
		{"another port", pg, "postgresql://u@localhost:5433/origin_db", "postgresql://u@127.0.0.1:5432/origin_db", false},
		{"another database", pg, "postgresql://u@localhost/origin_db", "postgresql://u@localhost/origin_db2", false},
		{"another server", pg, "postgresql://u@10.1.2.3/origin_db", "postgresql://u@10.1.2.5/origin_db", false},
		{"an unknown name and an address", pg, "postgresql://u@unknown-host/origin_db", "postgresql://u@10.9.9.9/origin_db", false},
		{"a remote name and localhost", pg, "postgresql://u@db.internal/origin_db", "postgresql://u@localhost/origin_db", false},
		// Redis.
		{"redis localhost and default port", redis, "redis://localhost:6379/0", "redis://127.0.0.1", true},
		{"rediss with a password, name resolved", redis, "rediss://:pw@db.internal:6379/2", "redis://10.1.2.3:6379/2", true},
		{"redis unix socket", redis, "unix:///run/redis.sock?db=1", "unix://u:pw@/run/redis.sock?db=1", true},
		{"another redis database", redis, "redis://localhost/1", "redis://localhost/0", false},
		{"another redis port", redis, "redis://localhost:6380/0", "redis://localhost:6379/0", false},
		{"a redis socket and a port", redis, "unix:///run/redis.sock", "redis://localhost:6379/0", false},
		// Alertmanager.
		{"alertmanager, trailing slash", am, "http://localhost:9093", "http://127.0.0.1:9093/", true},
		{"alertmanager, default https port", am, "https://am.example.com", "https://203.0.113.7:443", true},
		{"another alertmanager port", am, "http://localhost:9093", "http://localhost:9094", false},
		{"another alertmanager path", am, "http://localhost:9093/am", "http://localhost:9093", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, _ := testResolver(t)
			a, err := c.parse(c.a)
			if err != nil {
				t.Fatalf("%s: %v", c.a, err)
			}
			b, err := c.parse(c.b)
			if err != nil {
				t.Fatalf("%s: %v", c.b, err)
			}
			if got := r.Same(a, b); got != c.same {
				t.Errorf("Same(%s, %s) = %v, want %v (%+v, %+v)", c.a, c.b, got, c.same, a, b)
			}
			if got := r.Same(b, a); got != c.same {
				t.Errorf("Same is not symmetric for %s, %s", c.a, c.b)
			}
		})
	}
}

func TestKindsNeverMatch(t *testing.T) {
	r, _ := testResolver(t)
	p, _ := ParsePostgres("postgresql://u@localhost:6379/0")
	rd, _ := ParseRedis("redis://localhost:6379/0")
	if r.Same(p, rd) || r.SameServer(p, rd) {
		t.Error("a PostgreSQL database and a Redis database are never one resource")
	}
}

func TestSameServer(t *testing.T) {
	r, _ := testResolver(t)
	a, _ := ParsePostgres("postgresql://u@localhost/scratch")
	b, _ := ParsePostgres("host=db-alias dbname=origin_db")
	c, _ := ParsePostgres("postgresql://u@localhost:5433/origin_db")
	if r.Same(a, b) || !r.SameServer(a, b) {
		t.Errorf("two databases of one server: same %v, same server %v", r.Same(a, b), r.SameServer(a, b))
	}
	if r.SameServer(a, c) {
		t.Error("another port is another server")
	}
}

func TestDescriptionHasNoCredentials(t *testing.T) {
	r, err := ParsePostgres("postgresql://origin:pr0d-s3cret@127.0.0.1:5432/origin_db")
	if err != nil {
		t.Fatal(err)
	}
	if got := r.String(); got != "127.0.0.1:5432/origin_db" {
		t.Errorf("String() = %q", got)
	}
	rd, _ := ParseRedis("redis://:r3dis-pw@redis:6379/3")
	if got := rd.String(); got != "redis:6379/3" {
		t.Errorf("String() = %q", got)
	}
	am, _ := ParseHTTP("https://u:4lertm4n-pw@am.example.com/alertmanager/", Alertmanager)
	if got := am.String(); got != "https://am.example.com:443/alertmanager" {
		t.Errorf("String() = %q", got)
	}
	if _, err := ParsePostgres("postgresql://u:pw@h:notaport/db"); err == nil || strings.Contains(err.Error(), "pw") {
		t.Errorf("an unreadable URL: %v", err)
	}
}

// TestLookupsCachedAndBounded: each name is asked once; a resolver that
// never answers leaves the names compared as names, and once the budget
// is spent nothing more is asked.
func TestLookupsCachedAndBounded(t *testing.T) {
	r, dns := testResolver(t)
	a, _ := ParsePostgres("postgresql://u@db.internal/x")
	b, _ := ParsePostgres("postgresql://u@db-cname/x")
	for range 3 {
		if !r.Same(a, b) {
			t.Fatal("db.internal and db-cname are one server")
		}
	}
	if n := dns.asked.Load(); n != 2 {
		t.Errorf("%d lookups for two names", n)
	}

	hung := make(chan struct{})
	t.Cleanup(func() { close(hung) })
	var mu sync.Mutex
	asked := map[string]bool{}
	never := func(_ context.Context, host string) ([]string, error) { // ignores its context
		mu.Lock()
		asked[host] = true
		mu.Unlock()
		<-hung
		return []string{"10.1.2.3"}, nil
	}
	r = NewResolver(Options{Lookup: never, Hostname: "opshost", NoOwnAddrs: true, Budget: 20 * time.Millisecond})
	if r.Same(a, b) {
		t.Error("names not resolved in time are compared as names")
	}
	c, _ := ParsePostgres("postgresql://u@other-name/x")
	if r.Same(a, c) {
		t.Error("names not resolved in time are compared as names")
	}
	mu.Lock()
	defer mu.Unlock()
	if asked["other-name"] {
		t.Error("once the budget is spent nothing more is asked")
	}
}
