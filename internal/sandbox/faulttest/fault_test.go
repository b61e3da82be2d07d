package faulttest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/internal/sandbox/faults"
	"github.com/opsdeck/opsdeck/internal/sandbox/originapi"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
	"github.com/opsdeck/opsdeck/internal/wire"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui"
)

// keyBudget is the longest a key press may wait for the console
// (BenchmarkKeysDuringFaults holds it). TestFaults, which runs under the
// race detector beside others on two cores, fails at the sources' timeout:
// a key that waited that long waited for a source.
const keyBudget = 100 * time.Millisecond

// pace is how often the console under test polls and how long it gives a
// source. On a quiet machine a poll over loopback takes a few
// milliseconds, and 1 s and 400 ms let a hundred faults fit in a test run;
// beside busy processes and under the race detector polls take longer, and
// the pace follows what they were measured to take, so that the claims (say
// so within the timeout, recover within two intervals) are held against
// the machine as it is rather than a guess.
type pace struct{ refresh, timeout time.Duration }

// recoverWithin is how soon after a fault ends every pane must be well.
func (p pace) recoverWithin() time.Duration { return 2 * p.refresh }

// stack is the four real servers, each behind its own fault proxy.
type stack struct {
	prom *servers.Prometheus
	pg   *servers.Postgres
	rd   *servers.Redis
	am   *servers.Alertmanager

	proxies map[string]*faults.Proxy // by source: prometheus, postgres, redis, alertmanager
	servers map[string]server
	// tracing, when set, is the environment's tracing: block (one line of
	// YAML flow mapping).
	tracing string
}

// server is what Kill/Restart need of a harness server.
type server interface {
	Kill() error
	Restart(ctx context.Context) error
}

func newStack(t testing.TB) *stack {
	api := originapi.Start(t, originapi.Schedule{Start: time.Now(), Period: time.Hour}, 7)
	am := sandboxtest.NewAlertmanager(t)
	s := &stack{
		// One alert always firing: the strip has alerts to keep showing.
		prom: sandboxtest.NewPrometheus(t, servers.PrometheusOptions{Targets: []string{api}, Alertmanager: am.Addr(),
			Rules: "groups:\n  - name: t\n    rules:\n      - alert: Watchdog\n        expr: vector(1)\n        labels: {severity: none}\n"}),
		pg: sandboxtest.NewPostgres(t, servers.PostgresOptions{}),
		rd: sandboxtest.NewRedis(t, servers.RedisOptions{}),
		am: am,
	}
	// Celery's broker is the same Redis, behind a proxy of its own.
	s.servers = map[string]server{"prometheus": s.prom, "postgres": s.pg, "redis": s.rd, "alertmanager": s.am, "celery": s.rd}
	s.proxies = map[string]*faults.Proxy{}
	for src := range s.servers {
		s.proxies[src] = faults.NewProxy(t, s.addr(src))
	}
	ctx, cancel := wait.Bounded(t)
	defer cancel()
	if err := s.prom.WaitFor(ctx, `count_over_time(up[1m]) >= 3`, func(r []servers.Sample) bool { return len(r) == 1 }); err != nil {
		t.Fatal(err)
	}
	return s
}

// measurePace polls every source as the console does (after one poll that
// opens the connections) and derives the pace from the slowest poll; with
// heavy, Prometheus answers 10,000 series meanwhile, the heaviest answer a
// case sends.
func measurePace(t *testing.T, s *stack, heavy bool) pace {
	cfg := s.config(t, time.Second, 20*time.Second)
	env, err := wire.Open(cfg, "faults", "test")
	must(t, err)
	defer env.Close()
	ctx := context.Background()
	poll := func() time.Duration {
		start := time.Now()
		var wg sync.WaitGroup
		for _, spec := range env.Signals {
			wg.Go(func() { _, _ = env.Metrics.Source.Read(ctx, spec, sources.WindowFor(time.Now(), 15*time.Minute, 150)) })
		}
		wg.Go(func() { _, _ = env.Metrics.Source.Alerts(ctx) })
		wg.Go(func() { _, _ = env.Database.Source.Poll(ctx, sources.DBRequest{}) })
		wg.Go(func() { _, _ = env.Cache.Source.Poll(ctx) })
		wg.Go(func() { _, _ = env.Alerting.Source.Groups(ctx) })
		// Not Celery's: its poll waits for workers' replies by design (a
		// quarter of its timeout at most), not for a slow server.
		wg.Wait()
		return time.Since(start)
	}
	poll()
	var worst time.Duration
	for range 3 {
		worst = max(worst, poll())
	}
	factor := time.Duration(10) // a healthy poll is milliseconds: room for the console's own work
	if heavy {
		s.proxies["prometheus"].SetWith(faults.Serve, 0, manySeries(10000))
		defer s.proxies["prometheus"].Set(faults.Pass)
		worst, factor = 0, 2
		for range 2 {
			worst = max(worst, poll())
		}
	}
	p := pace{timeout: max(400*time.Millisecond, (factor * worst).Round(100*time.Millisecond))}
	p.refresh = max(time.Second, (5 * p.timeout / 2).Round(100*time.Millisecond))
	t.Logf("slowest poll %v: refresh %v, timeout %v", worst.Round(time.Millisecond), p.refresh, p.timeout)
	return p
}

// addr is where a source's server listens (a restarted one may have changed port).
func (s *stack) addr(source string) string {
	switch source {
	case "prometheus":
		return "127.0.0.1:" + strconv.Itoa(s.prom.Port)
	case "postgres":
		return "127.0.0.1:" + strconv.Itoa(s.pg.Port)
	case "alertmanager":
		return s.am.Addr()
	}
	return s.rd.Addr() // redis and celery
}

// badGateway answers every request with a 502: a proxy in front of a dead API.
var badGateway = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "bad gateway", http.StatusBadGateway)
})

// setAll puts fault f on every source at once: Slow delays by delay, and
// Serve answers 502 where HTTP is spoken (Prometheus) and resets elsewhere.
func (s *stack) setAll(f faults.Fault, delay time.Duration) {
	for src, p := range s.proxies {
		if f == faults.Serve && !speaksHTTP(src) {
			p.Set(faults.Reset)
			continue
		}
		p.SetWith(f, delay, badGateway)
	}
}

// config is the console's configuration: every URL through a proxy.
func (s *stack) config(t testing.TB, refresh, timeout time.Duration) *config.Config {
	pgURL := url.URL{Scheme: "postgresql", User: url.UserPassword(s.pg.User, s.pg.Password),
		Host: s.proxies["postgres"].Addr(), Path: "/" + s.pg.Database, RawQuery: "sslmode=disable"}
	rdURL := url.URL{Scheme: "redis", User: url.UserPassword("", s.rd.Password), Host: s.proxies["redis"].Addr(), Path: "/0"}
	brokerURL := url.URL{Scheme: "redis", User: url.UserPassword("", s.rd.Password), Host: s.proxies["celery"].Addr(), Path: "/1"}
	yaml := fmt.Sprintf(`refresh: %s
environments:
  faults:
    prometheus: {url: "http://%s", timeout: %s}
    postgres: {url: %q, timeout: %s, statement_timeout: %s}
    redis: {url: %q, timeout: %s}
    alertmanager: {url: "http://%s", timeout: %s}
    celery: {broker_url: %q, timeout: %s}
`, refresh, s.proxies["prometheus"].Addr(), timeout, pgURL.String(), timeout, max(10*time.Millisecond, timeout*3/4), rdURL.String(), timeout,
		s.proxies["alertmanager"].Addr(), timeout, brokerURL.String(), timeout)
	if s.tracing != "" {
		yaml += "    tracing: " + s.tracing + "\n"
	}
	path := filepath.Join(t.TempDir(), "faults.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(config.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// console is the console running in a real Bubble Tea program (renderer,
// frame rate and all), its output discarded, its state read after every
// message.
type console struct {
	t    testing.TB
	prog *tea.Program
	done chan error

	mu        sync.Mutex
	panes     map[string]string
	faulty    bool    // a fault is on: presses from now on count as made during one
	pressed   []press // tab presses not yet handled, oldest first
	latencies []keyWait
}

// press is a tab press sent to the console, and whether a fault was on.
type press struct {
	at     time.Time
	faulty bool
}

// keyWait is how long a press waited for the console.
type keyWait struct {
	d      time.Duration
	faulty bool
}

// setFaulty marks the presses from now on as made during a fault or not.
func (c *console) setFaulty(on bool) {
	c.mu.Lock()
	c.faulty = on
	c.mu.Unlock()
}

// handled counts the presses the console took up, made during faults or not.
func (c *console) handled(faulty bool) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, k := range c.latencies {
		if k.faulty == faulty {
			n++
		}
	}
	return n
}

// awaitHealthyPresses waits until n presses made with every source well
// were handled: what a press waits on this machine, busy or not, when no
// source is at fault (checkKeys compares the presses during faults with it).
func (c *console) awaitHealthyPresses(t testing.TB, n int) {
	t.Helper()
	wait.Eventually(t, fmt.Sprintf("%d presses handled with every source well", n), func() error {
		if got := c.handled(false); got < n {
			return fmt.Errorf("%d handled", got)
		}
		return nil
	})
}

// observed wraps the root model to record, after each message, what every
// pane says and how long each tab press waited.
type observed struct {
	m *ui.Model
	c *console
}

func (o observed) Init() tea.Cmd { return o.m.Init() }

func (o observed) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	// A press waited from its sending until the console took it up: the
	// time it spent behind other messages, not this one's handling.
	if k, ok := msg.(tea.KeyPressMsg); ok && k.Code == tea.KeyTab {
		o.c.mu.Lock()
		if len(o.c.pressed) > 0 {
			o.c.latencies = append(o.c.latencies, keyWait{time.Since(o.c.pressed[0].at), o.c.pressed[0].faulty})
			o.c.pressed = o.c.pressed[1:]
		}
		o.c.mu.Unlock()
		_, cmd := o.m.Update(msg)
		return o, cmd // a tab moves the focus; what the panes say is unchanged
	}
	_, cmd := o.m.Update(msg)
	panes := o.m.PaneTexts()
	o.c.mu.Lock()
	o.c.panes = panes
	o.c.mu.Unlock()
	return o, cmd
}

func (o observed) View() tea.View { return o.m.View() }

func startConsole(t testing.TB, cfg *config.Config) *console {
	return startConsoleWith(t, ui.Deps{
		Environments: []ui.EnvChoice{{Name: "faults"}},
		Initial:      "faults",
		Open:         func(n string) (*sources.Environment, error) { return wire.Open(cfg, n, "test") },
		Refresh:      cfg.Refresh.D(),
		Window:       15 * time.Minute,
	})
}

// startConsoleWith runs the console built from deps; q quits it when the
// test ends (from the main screen or the overview).
func startConsoleWith(t testing.TB, deps ui.Deps) *console {
	c := &console{t: t, done: make(chan error, 1)}
	m := ui.New(deps)
	// 200 cells: the five state panes (with Celery and SLOs) get 40 each,
	// room for a failure's words and the age of the last data, which this
	// test reads; at 160 they were cut.
	c.prog = tea.NewProgram(observed{m: m, c: c}, tea.WithInput(nil), tea.WithOutput(io.Discard),
		tea.WithWindowSize(200, 48), tea.WithFPS(10), tea.WithoutSignals())
	go func() {
		_, err := c.prog.Run()
		c.done <- err
	}()
	t.Cleanup(func() {
		c.prog.Send(tea.KeyPressMsg{Code: 'q', Text: "q"}) // quitting closes the environment's connections
		err := wait.For(t, func() error {
			select {
			case err := <-c.done:
				if err != nil {
					t.Errorf("console ended with %v", err)
				}
				return nil
			default:
				return errors.New("still running")
			}
		})
		if err != nil {
			t.Error("the console did not quit")
			c.prog.Kill()
		}
	})
	return c
}

// pressTabs presses tab every 150 ms until ctx ends: key presses all
// through the faults, each timed from send to handled.
func (c *console) pressTabs(ctx context.Context) {
	tick := time.NewTicker(150 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			c.mu.Lock()
			c.pressed = append(c.pressed, press{time.Now(), c.faulty})
			c.mu.Unlock()
			c.prog.Send(tea.KeyPressMsg{Code: tea.KeyTab})
		}
	}
}

// checkKeys fails the test if key presses waited for a source: a key
// handler that called a hung source would hold every press made during a
// hang for a whole timeout, scores of them in a run. A machine busy with
// other work delays presses too, during faults and without them alike: so
// the presses made during faults may wait that long no more often than
// those made with every source well (twice their rate, for chance), plus a
// few (a count, not a clock). It also fails if presses went unhandled.
func (c *console) checkKeys(limit time.Duration) {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	var during, well []time.Duration
	for _, k := range c.latencies {
		if k.faulty {
			during = append(during, k.d)
		} else {
			well = append(well, k.d)
		}
	}
	if len(during) < 10 || len(well) < 10 {
		c.t.Fatalf("only %d key presses during faults and %d without were handled", len(during), len(well))
	}
	heldDuring, heldWell := held(during, limit), held(well, limit)
	allowed := max(3, len(during)/50) + (2*heldWell*len(during)+len(well)-1)/len(well)
	c.t.Logf("%d key presses during faults: median %v, worst %v, %d as long as a source's timeout (%v); without faults %d presses, worst %v, %d as long",
		len(during), during[len(during)/2], during[len(during)-1], heldDuring, limit, len(well), well[len(well)-1], heldWell)
	if heldDuring > allowed {
		c.t.Errorf("%d key presses during faults waited as long as a source's timeout (%v) for the console, more than the %d this machine's load explains (%d of %d without faults): keys wait for a source",
			heldDuring, limit, allowed, heldWell, len(well))
	}
	if len(c.pressed) > 2 {
		c.t.Errorf("%d key presses never handled", len(c.pressed))
	}
}

// held sorts waits and counts those of at least limit.
func held(waits []time.Duration, limit time.Duration) int {
	sort.Slice(waits, func(i, j int) bool { return waits[i] < waits[j] })
	return len(waits) - sort.Search(len(waits), func(i int) bool { return waits[i] >= limit })
}

// waitFor polls the panes' text until cond holds and returns how long it
// took. within bounds the wait when the test claims a time (one derived
// from its measured pace); 0 waits as long as the test binary may.
func (c *console) waitFor(t testing.TB, what string, within time.Duration, cond func(map[string]string) bool) time.Duration {
	t.Helper()
	start := time.Now()
	var opts []wait.Option
	if within > 0 {
		opts = append(opts, wait.Within(within))
	}
	wait.Eventually(t, what, func() error {
		c.mu.Lock()
		panes := c.panes
		c.mu.Unlock()
		if panes != nil && cond(panes) {
			return nil
		}
		return fmt.Errorf("after %v the panes say:\n%s", time.Since(start).Round(time.Millisecond), dump(panes))
	}, opts...)
	return time.Since(start)
}

// errorLine is what a pane says about its source (its text from the ⚠ or,
// without one, its first line).
func (c *console) errorLine(title string) string {
	c.mu.Lock()
	text := flat(c.panes[title])
	c.mu.Unlock()
	if i := strings.Index(text, "⚠ "); i >= 0 {
		text = text[i:]
	}
	return text[:min(len(text), 160)]
}

func dump(panes map[string]string) string {
	var b strings.Builder
	for _, k := range sortedKeys(panes) {
		fmt.Fprintf(&b, "--- %s\n%s\n", k, panes[k])
	}
	return b.String()
}

func sortedKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// panesOf are the titles of the panes fed by each source.
var panesOf = map[string][]string{
	"prometheus": {"Requests/s", "Error rate (5xx)", "P95 latency", "Memory (RSS)"},
	"postgres":   {"Postgres"},
	"redis":      {"Redis"},
	// The strip reads Alertmanager when there is one.
	"alertmanager": {"Alerts"},
	"celery":       {"Celery"},
}

// speaksHTTP reports whether source is an HTTP server (garbage answers
// apply to it).
func speaksHTTP(source string) bool { return source == "prometheus" || source == "alertmanager" }

// lastData matches, per pane, the data a failing pane must go on showing.
var lastData = map[string]*regexp.Regexp{
	"Requests/s":       regexp.MustCompile(`\d req/s`),
	"Error rate (5xx)": regexp.MustCompile(`(\d|<0\.01) %`),
	"P95 latency":      regexp.MustCompile(`\d (ms|s|µs) `),
	"Memory (RSS)":     regexp.MustCompile(`\d MiB`),
	"Postgres":         regexp.MustCompile(`PG \d+\.\d+`), // "primary" may be cut where five panes share the row
	"Redis":            regexp.MustCompile(`Redis \d+\.\d+\.\d+ master`),
	"Alerts":           regexp.MustCompile(`firing`), // "1 firing: Watchdog", or none while Prometheus restarts
	"Celery":           regexp.MustCompile(`\d+/\d+ workers`),
}

// flat joins a pane's lines and squeezes its spaces and borders, so that a
// message wrapped over several lines reads as one.
func flat(s string) string {
	s = strings.NewReplacer("│", " ", "╭", " ", "╮", " ", "╰", " ", "╯", " ", "─", " ").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}

// ageOfLastData matches the error line's age of the last good data.
var ageOfLastData = regexp.MustCompile(`last ok (\d+s|\d+m\d*s?) ago`)

// failingWithAge: each pane of source names the source, says what is wrong
// (want, when given) and how old its last data is, and still shows that data.
func failingWithAge(source, want string) func(map[string]string) bool {
	return func(panes map[string]string) bool {
		for _, title := range panesOf[source] {
			text := flat(panes[title])
			if !strings.Contains(text, "⚠ "+source+":") || !ageOfLastData.MatchString(text) || !lastData[title].MatchString(text) {
				return false
			}
			if want != "" && !strings.Contains(text, want) {
				return false
			}
		}
		return true
	}
}

// healthy: no pane of any source shows a warning, and each shows data.
func healthy(panes map[string]string) bool {
	for _, titles := range panesOf {
		for _, title := range titles {
			text := flat(panes[title])
			if text == "" || strings.Contains(text, "⚠") || strings.Contains(text, "connecting") || strings.Contains(text, "series)") ||
				!lastData[title].MatchString(text) {
				return false
			}
		}
	}
	return true
}

// fault is one way a source goes wrong, and how it ends.
type fault struct {
	name string
	// want is a phrase the failing panes must show ("" to accept any message).
	want string
	// during, when set, replaces the check that the panes say the source is
	// failing (an answer that is not an error, only more than expected).
	during func(source string) func(map[string]string) bool
	start  func(t *testing.T, s *stack, source string)
	end    func(t *testing.T, s *stack, source string)
}

func proxyFault(name, want string, f faults.Fault, delay time.Duration) fault {
	return fault{
		name:  name,
		want:  want,
		start: func(t *testing.T, s *stack, src string) { s.proxies[src].SetWith(f, delay, nil) },
		end:   func(t *testing.T, s *stack, src string) { s.proxies[src].Set(faults.Pass) },
	}
}

func restart(t *testing.T, s *stack, src string) {
	ctx, cancel := wait.Bounded(t)
	defer cancel()
	if err := s.servers[src].Restart(ctx); err != nil {
		t.Fatalf("restart %s: %v", src, err)
	}
	for other, srv := range s.servers { // redis and celery share a server
		if srv == s.servers[src] {
			s.proxies[other].Retarget(s.addr(other))
		}
	}
}

// faultsFor is every fault of the issue for one source, at pace p.
func faultsFor(source string, p pace) []fault {
	withinTimeout := "within " + p.timeout.String()
	fs := []fault{
		{
			name:  "killed",
			start: func(t *testing.T, s *stack, src string) { must(t, s.servers[src].Kill()) },
			end:   restart,
		},
		proxyFault("hung", withinTimeout, faults.Stall, 0),
		proxyFault("slow past the timeout", withinTimeout, faults.Slow, 2*p.timeout),
		proxyFault("black hole", withinTimeout, faults.BlackHole, 0),
		proxyFault("reset", "", faults.Reset, 0),
		{
			// A poll is held in the proxy, the server dies under it and comes
			// back: the poll fails, and the next finds the new server.
			name: "restarted mid-poll",
			start: func(t *testing.T, s *stack, src string) {
				s.proxies[src].Set(faults.Stall)
				wait.Eventually(t, "a poll held in the proxy", func() error {
					if s.proxies[src].Held() == 0 {
						return errors.New("none held")
					}
					return nil
				})
				must(t, s.servers[src].Kill())
				s.proxies[src].Set(faults.Pass)
			},
			end: restart,
		},
	}
	if !speaksHTTP(source) {
		return fs
	}
	garbage := func(name, want string, h http.HandlerFunc) fault {
		return fault{
			name:  name,
			want:  want,
			start: func(t *testing.T, s *stack, src string) { s.proxies[src].SetWith(faults.Serve, 0, h) },
			end:   func(t *testing.T, s *stack, src string) { s.proxies[src].Set(faults.Pass) },
		}
	}
	return append(fs,
		garbage("500", "500", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "internal server error", http.StatusInternalServerError)
		}),
		garbage("HTML", "", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<!doctype html><html><body><h1>Sign in</h1></body></html>")
		}),
		garbage("truncated JSON", "", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"val`)
		}),
	)
}

// tenThousandSeries is well-formed, but a query meant to give one series
// gives ten thousand: the panes show the largest and say how many there
// were. It is the one heavy case (each poll decodes megabytes), so it runs
// in a test of its own, at a pace measured with it.
func tenThousandSeries() fault {
	return fault{
		name:  "10,000 series",
		start: func(t *testing.T, s *stack, src string) { s.proxies[src].SetWith(faults.Serve, 0, manySeries(10000)) },
		end:   func(t *testing.T, s *stack, src string) { s.proxies[src].Set(faults.Pass) },
		during: func(source string) func(map[string]string) bool {
			return func(panes map[string]string) bool {
				for _, title := range panesOf[source] {
					if !strings.Contains(flat(panes[title]), "max of 10000 series") {
						return false
					}
				}
				return true
			}
		},
	}
}

// manySeries answers every query with n series (three points each for a
// range query) and the alerts endpoint with none.
func manySeries(n int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/alerts") {
			io.WriteString(w, `{"status":"success","data":{"alerts":[]}}`)
			return
		}
		now := float64(time.Now().Unix())
		var b strings.Builder
		ranged := strings.HasSuffix(r.URL.Path, "/query_range")
		if ranged {
			b.WriteString(`{"status":"success","data":{"resultType":"matrix","result":[`)
		} else {
			b.WriteString(`{"status":"success","data":{"resultType":"vector","result":[`)
		}
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			v := float64(i%97) + 0.5
			if ranged {
				fmt.Fprintf(&b, `{"metric":{"pod":"p%d"},"values":[[%g,"%g"],[%g,"%g"],[%g,"%g"]]}`, i, now-20, v, now-10, v, now, v)
			} else {
				fmt.Fprintf(&b, `{"metric":{"pod":"p%d"},"value":[%g,"%g"]}`, i, now, v)
			}
		}
		b.WriteString(`]}}`)
		io.WriteString(w, b.String())
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestFaults: each source in turn is killed, hung, slowed past its timeout,
// black-holed, reset, restarted mid-poll and (Prometheus) made to answer
// garbage. Throughout, key presses are handled within 100 ms; during each
// fault the source's panes say what is wrong and how old their data is; after
// it, they recover by themselves within two refresh intervals.
func TestFaults(t *testing.T) {
	s := newStack(t)
	p := measurePace(t, s, false)
	var cases []sourceFault
	for _, source := range []string{"prometheus", "postgres", "redis", "alertmanager", "celery"} {
		for _, f := range faultsFor(source, p) {
			cases = append(cases, sourceFault{source, f})
		}
	}
	runFaults(t, s, p, cases)
}

// TestTenThousandSeries: a Prometheus answering ten thousand series where
// one was meant: the panes say so, and recover when it ends.
func TestTenThousandSeries(t *testing.T) {
	s := newStack(t)
	p := measurePace(t, s, true)
	runFaults(t, s, p, []sourceFault{{"prometheus", tenThousandSeries()}})
}

type sourceFault struct {
	source string
	f      fault
}

// runFaults runs a console at pace p and puts each case to it in turn,
// pressing keys throughout.
func runFaults(t *testing.T, s *stack, p pace, cases []sourceFault) {
	c := startConsole(t, s.config(t, p.refresh, p.timeout))
	c.waitFor(t, "first complete frame", 0, healthy)

	ctx, stop := context.WithCancel(context.Background())
	var presser sync.WaitGroup
	presser.Go(func() { c.pressTabs(ctx) })
	c.awaitHealthyPresses(t, 20)

	var recoveries, said []string
	for _, sf := range cases {
		source, f := sf.source, sf.f
		name := source + " " + f.name
		t.Run(source+"/"+f.name, func(t *testing.T) {
			c.setFaulty(true)
			f.start(t, s, source)
			cond := failingWithAge(source, f.want)
			if f.during != nil {
				cond = f.during(source)
			}
			c.waitFor(t, "the panes say so with the age of their data", 3*p.refresh+3*p.timeout, cond)
			said = append(said, name+": "+c.errorLine(panesOf[source][0]))
			f.end(t, s, source)
			c.setFaulty(false)
			took := c.waitFor(t, "recovery", p.recoverWithin()+p.refresh, healthy)
			recoveries = append(recoveries, fmt.Sprintf("%s %.2fs", name, took.Seconds()))
			if took > p.recoverWithin() {
				t.Errorf("recovered %v after the fault ended (budget %v)", took, p.recoverWithin())
			}
		})
	}
	stop()
	presser.Wait()
	t.Logf("what the panes said:\n%s", strings.Join(said, "\n"))
	t.Logf("recovered after: %s", strings.Join(recoveries, ", "))
	c.checkKeys(p.timeout)
}

// goroutines counts the test process's goroutines outside the harness (its
// proxies and servers' watchers come and go with connections).
func goroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if !strings.Contains(g, "opsdeck/internal/testenv/servers.") {
			count++
		}
	}
	return count
}

// TestNoLeaksAfterAHundredFaults: a hundred cycles of every proxy fault on
// all three sources at once, each followed by recovery, leave as many
// goroutines and open connections as before.
//
// Not parallel: the goroutines counted are the whole test process's. Its
// claim is counts, not times: the sources' timeout follows the polls
// measured on this machine, and each cycle waits for its panes as long as
// it takes (TestFaults holds the times).
func TestNoLeaksAfterAHundredFaults(t *testing.T) {
	const cycles = 100
	s := newStack(t)
	p := measurePace(t, s, false)
	timeout := p.timeout
	c := startConsole(t, s.config(t, p.refresh, timeout))
	c.waitFor(t, "first complete frame", 0, healthy)
	kinds := []faults.Fault{faults.Stall, faults.Slow, faults.BlackHole, faults.Reset, faults.Serve}
	refreshNow := func() { c.prog.Send(tea.KeyPressMsg{Code: 'r', Text: "r"}) }
	failing := func(panes map[string]string) bool {
		for _, src := range []string{"prometheus", "postgres", "redis", "alertmanager", "celery"} {
			if !failingWithAge(src, "")(panes) {
				return false
			}
		}
		return true
	}
	cycle := func(i int) {
		f := kinds[i%len(kinds)]
		s.setAll(f, 2*timeout)
		refreshNow()
		c.waitFor(t, fmt.Sprintf("cycle %d (%v): failing", i, f), 0, failing)
		s.setAll(faults.Pass, 0)
		refreshNow()
		c.waitFor(t, fmt.Sprintf("cycle %d (%v): recovered", i, f), 0, healthy)
	}
	open := func() (n int) {
		for _, p := range s.proxies {
			n += p.Open()
		}
		return n
	}
	// Warm up: pools and keep-alive connections reach their working size.
	for i := range len(kinds) {
		cycle(i)
	}
	// Counts are taken once they hold still for two seconds (time let pass
	// on purpose, a quiet spell): pgx says goodbye to dead connections in
	// the background for up to 15 s. Counts that never settle within 20 s
	// are taken as they are, and judged.
	steady := func() (g, conns int) {
		g, conns = goroutines(), open()
		still := time.Now()
		_ = wait.For(t, func() error {
			if g2, c2 := goroutines(), open(); g2 != g || c2 != conns {
				g, conns, still = g2, c2, time.Now()
			}
			if q := time.Since(still); q < 2*time.Second {
				return fmt.Errorf("still for %v", q)
			}
			return nil
		}, wait.Within(20*time.Second))
		return g, conns
	}
	gBefore, cBefore := steady()
	for i := range cycles {
		cycle(i)
	}
	gAfter, cAfter := steady()
	t.Logf("after %d fault cycles: goroutines %d -> %d, open connections %d -> %d", cycles, gBefore, gAfter, cBefore, cAfter)
	if gAfter > gBefore+4 {
		t.Errorf("goroutines grew from %d to %d over %d fault cycles", gBefore, gAfter, cycles)
	}
	if cAfter > cBefore+1 {
		t.Errorf("open connections grew from %d to %d over %d fault cycles", cBefore, cAfter, cycles)
	}
}
