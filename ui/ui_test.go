package ui

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/internal/wire"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/chart"
	"github.com/opsdeck/opsdeck/ui/metricpane"
	"github.com/opsdeck/opsdeck/ui/pane/panetest"
	"github.com/opsdeck/opsdeck/ui/poll"
	"github.com/opsdeck/opsdeck/ui/theme"
)

var t0 = time.Date(2026, 11, 25, 14, 30, 0, 0, time.UTC)

// fakeMetrics is a source whose answers the test sets. UI tests only: the
// sources themselves are tested against a real Prometheus.
type fakeMetrics struct {
	mu      sync.Mutex
	values  map[string]float64 // NaN: no data
	diag    string
	err     error
	alerts  []sources.Alert
	reads   int
	windows []sources.Window
	splits  []string // the labels breakdowns were asked for
	// earlier is the ghost line's share of the value per offset (absent:
	// no history that far back); earlierReads counts its reads.
	earlier      map[time.Duration]float64
	earlierReads int
	marks        []sources.Mark
	changeReads  int
	readKeys     map[string]int // reads per signal
	exemplars    []sources.Exemplar
	noExemplars  string         // the diagnosis when there are none
	exRanges     [][2]time.Time // the spans exemplars were asked for
}

func (f *fakeMetrics) Exemplars(_ context.Context, spec sources.SignalSpec, start, end time.Time) (sources.ExemplarReading, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.exRanges = append(f.exRanges, [2]time.Time{start, end})
	var r sources.ExemplarReading
	for _, e := range f.exemplars {
		if !e.At.Before(start) && !e.At.After(end) {
			r.Exemplars = append(r.Exemplars, e)
		}
	}
	if len(r.Exemplars) == 0 {
		r.Diagnosis = f.noExemplars
	}
	return r, nil
}

func (f *fakeMetrics) Earlier(_ context.Context, spec sources.SignalSpec, w sources.Window, by time.Duration) ([]float64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.earlierReads++
	share, ok := f.earlier[by]
	out := make([]float64, w.Points())
	for i := range out {
		out[i] = math.NaN()
		if ok {
			out[i] = f.values[spec.Key] * share
		}
	}
	return out, nil
}

func (f *fakeMetrics) Changes(_ context.Context, w sources.Window) ([]sources.Mark, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.changeReads++
	return sources.MarksIn(f.marks, w.Start(), w.End), nil
}

func (f *fakeMetrics) Read(_ context.Context, spec sources.SignalSpec, w sources.Window) (sources.Reading, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	f.windows = append(f.windows, w)
	if f.readKeys == nil {
		f.readKeys = map[string]int{}
	}
	f.readKeys[spec.Key]++
	if f.err != nil {
		return sources.Reading{}, f.err
	}
	v := f.values[spec.Key]
	r := sources.Reading{Key: spec.Key, At: w.Now, Value: v, Series: 1, Window: w}
	r.Points = make([]float64, w.Points())
	for i := range r.Points {
		if math.IsNaN(v) {
			r.Points[i] = math.NaN()
			continue
		}
		// A deterministic wave ending at the current value.
		x := float64(i) / float64(len(r.Points)-1)
		r.Points[i] = v * (0.6 + 0.4*x + 0.15*math.Sin(x*17))
	}
	if math.IsNaN(v) {
		r.Series, r.Diagnosis = 0, f.diag
	}
	return r, nil
}

func (f *fakeMetrics) Alerts(context.Context) ([]sources.Alert, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	return f.alerts, nil
}

// Breakdown splits by one of two labels: four handlers or two instances,
// each figure a share of the signal's value.
func (f *fakeMetrics) Breakdown(_ context.Context, spec sources.SignalSpec, label string, w sources.Window) (sources.Breakdown, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.splits = append(f.splits, label)
	labels := []string{"handler", "instance"}
	if label == "" {
		label = labels[0]
	}
	values := map[string][]string{"handler": {"/api/chat", "/api/messages", "/health", "/api/users/me"}, "instance": {"api-1:8000", "api-2:8000"}}[label]
	b := sources.Breakdown{Label: label, Labels: labels, Total: f.values[spec.Key], Window: w,
		Query: "sum by (" + label + ") (" + spec.Query + ")"}
	for i, v := range values {
		cur := f.values[spec.Key] * float64(len(values)-i) / float64(len(values)*(len(values)+1)/2)
		pts := make([]float64, w.Points())
		for j := range pts {
			pts[j] = cur * float64(j+1) / float64(len(pts))
		}
		b.Rows = append(b.Rows, sources.BreakdownRow{Value: v, Current: cur, Min: pts[0], Max: cur, Points: pts})
	}
	return b, nil
}

func (f *fakeMetrics) set(fn func(*fakeMetrics)) {
	f.mu.Lock()
	fn(f)
	f.mu.Unlock()
}

// scheduled is what the test timer returns instead of sleeping.
type scheduled struct {
	d   time.Duration
	msg tea.Msg
}

// harness drives the root model synchronously: Cmds run at once, timers are
// recorded instead of waited for, and the clock is set by hand.
type harness struct {
	db     *fakeDB
	cache  *fakeCache
	celery sources.Celery // nil: the environment has no Celery
	logs   sources.Logs   // nil: the environment has no log backend
	slos   sources.SLOs   // nil: no SLO pane
	mig    *fakeMigrations
	closed int // environments closed (connections released)
	t      *testing.T
	m      *Model
	now    time.Time
	timers []scheduled
	quit   bool
}

func newHarness(t *testing.T, src *fakeMetrics, envs []EnvChoice, noColor bool) *harness {
	h := &harness{t: t, now: t0, db: &fakeDB{st: sampleDB()}, cache: &fakeCache{st: sampleCache()}, mig: &fakeMigrations{st: sampleMigrations()}}
	cfg, err := config.Parse("test.yaml", []byte(`
environments:
  qa: {prometheus: {url: "http://prometheus.qa:9090"}, postgres: {url: "postgresql://app:s3cret@db.qa:6432/origin_db"}, redis: {url: "redis://cache.qa:6379/0"}, alembic: {dir: ./alembic}, disposable: true}
  production: {prometheus: {url: "http://prometheus.prod:9090"}, protected: true}
  empty: {}
`), nil, Specs())
	if err != nil {
		t.Fatal(err)
	}
	if envs == nil {
		envs = []EnvChoice{{Name: "qa", Disposable: true}}
	}
	h.m = New(Deps{
		Environments: envs,
		Initial:      envs[0].Name,
		Open: func(name string) (*sources.Environment, error) {
			env, err := wire.Open(cfg, name, "test")
			if err != nil {
				return nil, err
			}
			if env.Metrics.Source != nil {
				env.Metrics.Source = src
			}
			env.Close() // the real clients never connected; fakes stand in
			if env.Database.Source != nil {
				env.Database.Source = h.db
			}
			if env.Cache.Source != nil {
				env.Cache.Source = h.cache
			}
			if env.Migrations.Source != nil {
				env.Migrations.Source = h.mig
			}
			if h.celery != nil {
				env.Celery.Source = h.celery
			}
			if h.logs != nil {
				env.Logs.Source, env.LogsFilter = h.logs, `service.name:"origin-api"`
			}
			env.SLOs.Source = h.slos // the real one would ask prometheus.qa
			if name == "qa" {
				env.Drift.Source = &fakeDrift{d: sampleDrift()}
			}
			env.Close = func() { h.closed++ }
			return env, nil
		},
		Refresh: 2 * time.Second,
		Window:  15 * time.Minute,
		Now:     func() time.Time { return h.now },
		Styles:  theme.New(theme.Dark(), noColor),
		After:   func(d time.Duration, msg tea.Msg) tea.Cmd { return func() tea.Msg { return scheduled{d, msg} } },
		Version: "test",
		// The program always has a report writer; TestReportKey installs its own.
		Report: func(context.Context, *sources.Environment) (string, error) {
			return "", errors.New("no reports in this test")
		},
	})
	h.run(h.m.Init())
	return h
}

// run executes cmd and everything it leads to.
func (h *harness) run(cmd tea.Cmd) {
	panetest.Drain(cmd, func(msg tea.Msg) tea.Cmd {
		switch msg := msg.(type) {
		case scheduled:
			h.timers = append(h.timers, msg)
		case tea.QuitMsg:
			h.quit = true
		default:
			_, next := h.m.Update(msg)
			return next
		}
		return nil
	})
}

func (h *harness) send(msg tea.Msg) {
	_, cmd := h.m.Update(msg)
	h.run(cmd)
}

func (h *harness) size(w, hh int) { h.send(tea.WindowSizeMsg{Width: w, Height: hh}) }

func (h *harness) key(k string) {
	var msg tea.KeyPressMsg
	switch k {
	case "tab":
		msg = tea.KeyPressMsg{Code: tea.KeyTab}
	case "shift+tab":
		msg = tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case "enter":
		msg = tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		msg = tea.KeyPressMsg{Code: tea.KeyEscape}
	case "down":
		msg = tea.KeyPressMsg{Code: tea.KeyDown}
	case "ctrl+c":
		msg = tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	case "pgdown":
		msg = tea.KeyPressMsg{Code: tea.KeyPgDown}
	default:
		msg, _ = keyMsg(k)
	}
	if msg.String() != k {
		h.t.Fatalf("key %q encodes as %q", k, msg.String())
	}
	h.send(msg)
}

// fire delivers every pending timer whose time has come after advancing the clock.
func (h *harness) advance(d time.Duration) {
	h.now = h.now.Add(d)
	pending := h.timers
	h.timers = nil
	for _, s := range pending {
		if s.d <= d {
			h.send(s.msg)
		} else {
			h.timers = append(h.timers, scheduled{s.d - d, s.msg})
		}
	}
}

func (h *harness) screen() string { return ansi.Strip(h.m.Render()) }

func healthy() *fakeMetrics {
	return &fakeMetrics{
		values: map[string]float64{sources.RPS: 42.7, sources.ErrorRate: 0.031, sources.P95Latency: 2.4, sources.Memory: 412 << 20},
		alerts: []sources.Alert{
			{Name: "OriginHighErrorRate", State: "firing", Severity: "critical", Summary: "High API error rate", ActiveAt: t0.Add(-3 * time.Minute)},
			{Name: "OriginP95LatencyDegraded", State: "pending", Severity: "warning"},
		},
	}
}

// checkGeometry: the screen is exactly w x h cells, whatever the state.
func checkGeometry(t *testing.T, screen string, w, h int) {
	t.Helper()
	lines := strings.Split(screen, "\n")
	if len(lines) != h {
		t.Fatalf("%d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if n := ansi.StringWidth(l); n != w {
			t.Fatalf("line %d is %d cells wide, want %d: %q", i, n, w, l)
		}
	}
}

// TestViews pins every pane state at both reference sizes (ANSI stripped).
func TestViews(t *testing.T) {
	sizes := [][2]int{{80, 24}, {100, 30}, {160, 48}}
	noData := func(f *fakeMetrics) {
		for k := range f.values {
			f.values[k] = math.NaN()
		}
		f.diag = "metric http_requests_duration_seconds_bucket does not exist; closest: http_request_duration_seconds_bucket"
		f.alerts = nil
	}
	states := map[string]func(*harness, *fakeMetrics){
		"loading": func(h *harness, f *fakeMetrics) {}, // size set, fetches not yet back
		"ok":      func(h *harness, f *fakeMetrics) { h.advance(0) },
		"error": func(h *harness, f *fakeMetrics) {
			f.set(func(f *fakeMetrics) {
				f.err = errors.New("connection refused by http://prometheus.qa:9090 (is Prometheus running there?)")
			})
			h.db.err = errors.New("authentication failed for user app at db.qa:6432/origin_db")
			h.cache.err = errors.New("connection refused by cache.qa:6379/0 (is Redis running there?)")
			h.mig.err = errors.New("no Alembic project: alembic directory ./alembic: stat ./alembic: no such file or directory")
			h.advance(12 * time.Second)
		},
		"no_data": func(h *harness, f *fakeMetrics) { h.advance(2 * time.Second) },
	}
	for name, setup := range states {
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("%s_%dx%d", name, sz[0], sz[1]), func(t *testing.T) {
				f := healthy()
				if name == "no_data" {
					noData(f) // never had data: the metric does not exist
				}
				h := newHarness(t, f, nil, false)
				if name == "no_data" { // a fresh, empty database and Redis
					h.db.st = sources.DBState{Version: "15.8", Role: "primary", StartedAt: t0.Add(-time.Hour), Privileged: true,
						Connections: sources.DBConnections{Total: 1, Active: 1, Max: 100, Reserved: 3}, DatabaseSize: 7 << 20, Extensions: []sources.DBExtension{{Name: "plpgsql", Version: "1.0"}}}
					h.cache.st = sources.CacheState{Mode: "single", Version: "7.0.15", Role: "master", Uptime: 60, ConnectedClients: 1, UsedMemory: 1 << 20,
						Persistence: sources.CachePersistence{RDBLastStatus: "ok"}, Queues: []sources.Queue{{Name: "celery"}}}
				}
				if name != "loading" {
					h.run(func() tea.Msg { return tea.WindowSizeMsg{Width: sz[0], Height: sz[1]} })
				} else {
					// Deliver the size but not the fetch results.
					h.m.Update(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
				}
				setup(h, f)
				screen := h.screen()
				checkGeometry(t, screen, sz[0], sz[1])
				golden.RequireEqual(t, screen)
			})
		}
	}
}

func TestOKScreenShowsValuesThresholdsAndAlerts(t *testing.T) {
	f := healthy()
	h := newHarness(t, f, nil, false)
	h.size(160, 48)
	s := h.screen()
	for _, want := range []string{
		"42.7 req/s", "3.10 % WARN", "2.40 s CRIT", "412 MiB ok",
		"● 1 firing: OriginHighErrorRate (critical, 3m) High API error rate · 1 pending",
		"env: qa", "disposable", "4/100 conn", "⚠ 41s waiting · pid 4301 for a lock", "⚠ 137 queued celery",
		"⚠ 2 pending · behind · c7d0e5f19a24 → 1e9b7a6c5d40", "+ 5a0f3b8e2c61 add user facts",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("screen lacks %q", want)
		}
	}
	if strings.Contains(s, "s3cret") {
		t.Fatal("password on screen")
	}
	// The chart fetch asked for as many points as the pane draws, no more.
	drawn := chart.Columns(metricpane.ChartWidth(80)) // a metric pane is 80 wide at 160x48
	for _, w := range f.windows {
		if w.Points() > drawn || w.Points() < drawn*9/10 {
			t.Errorf("fetched %d points for a chart %d dots wide", w.Points(), drawn)
		}
		if w.Length < 15*time.Minute {
			t.Errorf("window %v shorter than configured", w.Length)
		}
	}
}

func TestErrorKeepsDataAndRecovers(t *testing.T) {
	f := healthy()
	h := newHarness(t, f, nil, false)
	h.size(160, 48)
	f.set(func(f *fakeMetrics) { f.err = errors.New("no answer from http://prometheus.qa:9090 within 5s") })
	h.advance(2 * time.Second)
	h.advance(10 * time.Second)
	s := h.screen()
	if !strings.Contains(s, "42.7 req/s") {
		t.Error("last good value dropped on error")
	}
	if flat := strings.Join(strings.Fields(s), " "); !strings.Contains(flat, "⚠ prometheus: no answer from http://prometheus.qa:9090 within 5s (last ok │ │ 12s ago; since 14:30:02)") {
		t.Errorf("error with age missing:\n%s", s)
	}
	if !strings.Contains(s, "failing") {
		t.Error("header does not flag failing sources")
	}
	// Retries: a failing source is tried again within 1.25 intervals.
	var delays []time.Duration
	for _, tm := range h.timers {
		if _, ok := tm.msg.(poll.Tick); ok {
			delays = append(delays, tm.d)
		}
	}
	if len(delays) == 0 || delays[0] > 2500*time.Millisecond {
		t.Errorf("retry delays %v (want at most 1.25 refresh intervals)", delays)
	}
	// Recovery within two refresh intervals of the fault ending.
	f.set(func(f *fakeMetrics) { f.err = nil; f.values[sources.RPS] = 50 })
	h.advance(4 * time.Second)
	s = h.screen()
	if !strings.Contains(s, "50.0 req/s") || strings.Contains(s, "last ok") {
		t.Errorf("did not recover:\n%s", s)
	}
}

func TestKeysFocusHelpZoomRefreshQuit(t *testing.T) {
	f := healthy()
	h := newHarness(t, f, nil, false)
	h.size(160, 48)
	if h.m.focus != 0 {
		t.Fatal("initial focus")
	}
	h.key("tab")
	h.key("tab")
	if h.m.focus != 2 {
		t.Errorf("focus after 2 tabs = %d", h.m.focus)
	}
	h.key("shift+tab")
	if h.m.focus != 1 {
		t.Errorf("focus after shift+tab = %d", h.m.focus)
	}
	h.key("?")
	s := h.screen()
	for _, want := range []string{"keys", "tab", "focus", "shift+tab", "focus back", "refresh", "quit", "any key closes"} {
		if !strings.Contains(s, want) {
			t.Errorf("help lacks %q", want)
		}
	}
	checkGeometry(t, s, 160, 48)
	h.key("x")
	if strings.Contains(h.screen(), "any key closes") {
		t.Error("help did not close")
	}
	h.key("enter")
	s = h.screen()
	if !strings.Contains(s, "query: (sum(rate(http_requests_total") || !strings.Contains(s, "warn ≥ 1.00 %") {
		t.Errorf("zoomed error-rate pane lacks query and thresholds:\n%s", s)
	}
	checkGeometry(t, s, 160, 48)
	h.key("esc")
	if strings.Contains(h.screen(), "query:") {
		t.Error("esc did not unzoom")
	}
	before := f.reads
	h.key("r")
	if f.reads != before+4 {
		t.Errorf("refresh fetched %d signals, want 4", f.reads-before)
	}
	h.key("q")
	if !h.quit {
		t.Error("q did not quit")
	}
}

func TestProtectedEnvironmentAndSwitch(t *testing.T) {
	f := healthy()
	envs := []EnvChoice{{Name: "qa", Disposable: true}, {Name: "production", Protected: true}, {Name: "empty"}}
	h := newHarness(t, f, envs, false)
	h.size(160, 48)
	h.key("e")
	s := h.screen()
	if !strings.Contains(s, "Switch environment") || !strings.Contains(s, "production  (protected)") {
		t.Fatalf("picker:\n%s", s)
	}
	// A key the picker does not take says which ones it does; it neither
	// quits nor closes the picker.
	h.key("q")
	if h.quit || !h.pickerOpen() || !strings.Contains(h.screen(), "q does nothing here: enter choose / keep / open · esc unzoom / close / clear") {
		t.Fatalf("q in the picker:\n%s", h.screen())
	}
	h.key("down")
	h.key("enter")
	if h.m.Environment().Name != "production" {
		t.Fatalf("switched to %q", h.m.Environment().Name)
	}
	if h.closed != 1 {
		t.Errorf("the environment left was closed %d times, want 1 (its connections leak)", h.closed)
	}
	s = h.screen()
	if !strings.Contains(s, "⚠ PROTECTED") || !strings.Contains(s, "env: production") {
		t.Errorf("protected header:\n%s", strings.SplitN(s, "\n", 2)[0])
	}
	raw := h.m.Render()
	if !strings.Contains(strings.SplitN(raw, "\n", 2)[0], "48;2;191;32;32") {
		t.Error("protected header bar is not red")
	}
	golden.RequireEqual(t, s)

	// The next environment has no Prometheus, and says so.
	h.key("e")
	h.key("down")
	h.key("enter")
	s = h.screen()
	if !strings.Contains(s, "not configured") || !strings.Contains(s, "no Prometheus URL") {
		t.Errorf("environment without Prometheus:\n%s", s)
	}
}

func TestStaleResultFromOldEnvironmentDropped(t *testing.T) {
	f := healthy()
	envs := []EnvChoice{{Name: "qa"}, {Name: "production", Protected: true}}
	h := newHarness(t, f, envs, false)
	h.m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	// Capture a fetch of qa, switch, then deliver the old result.
	old := h.m.panes[0].Start()
	h.key("e")
	h.key("down")
	h.key("enter")
	f.set(func(f *fakeMetrics) { f.values[sources.RPS] = 999 })
	h.send(old()) // arrives after the switch
	if strings.Contains(h.screen(), "999") {
		t.Fatal("a result from the old environment was shown")
	}
}

func TestGeometryAcrossSizes(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {100, 30}, {120, 40}, {160, 48}, {200, 60}, {81, 25}, {59, 20}, {40, 12}, {30, 10}} {
		for _, zoom := range []bool{false, true} {
			f := healthy()
			h := newHarness(t, f, nil, false)
			h.size(sz[0], sz[1])
			if zoom {
				h.key("z")
			}
			s := h.screen()
			if sz[0] < minWidth || sz[1] < minHeight {
				if !strings.Contains(s, "terminal too small") {
					t.Errorf("%v: no too-small message", sz)
				}
				continue
			}
			t.Run(fmt.Sprintf("%dx%d_zoom=%v", sz[0], sz[1], zoom), func(t *testing.T) { checkGeometry(t, s, sz[0], sz[1]) })
		}
	}
}

var colourSGR = regexp.MustCompile(`\x1b\[[0-9;]*(38|48);`)

func TestNoColor(t *testing.T) {
	h := newHarness(t, healthy(), []EnvChoice{{Name: "production", Protected: true}}, true)
	h.size(160, 48)
	raw := h.m.Render()
	if colourSGR.MatchString(raw) {
		t.Fatal("NO_COLOR output contains colour escapes")
	}
	if !strings.Contains(raw, "\x1b[") {
		t.Fatal("NO_COLOR should keep bold/reverse for emphasis")
	}
	colour := newHarness(t, healthy(), nil, false)
	colour.size(160, 48)
	if !colourSGR.MatchString(colour.m.Render()) {
		t.Fatal("the colour theme has no colour: the test proves nothing")
	}
}

func TestSecretsScrubbedFromErrors(t *testing.T) {
	f := healthy()
	h := newHarness(t, f, nil, false)
	h.size(160, 48)
	f.set(func(f *fakeMetrics) { f.err = errors.New("server said: password s3cret is wrong") })
	h.advance(2 * time.Second)
	s := h.screen()
	if strings.Contains(s, "s3cret") || !strings.Contains(s, redact.Mask) {
		t.Fatalf("secret leaked or not masked:\n%s", s)
	}
}

// TestChartRefetchedOncePerStep: between step boundaries only the current
// value is fetched; the chart is kept and refreshed when a step passes.
func TestChartRefetchedOncePerStep(t *testing.T) {
	f := healthy()
	h := newHarness(t, f, nil, false)
	h.size(160, 48)
	step := f.windows[0].Step
	if step <= 2*time.Second {
		t.Fatalf("step %v: test needs a step longer than the refresh", step)
	}
	h.now = h.now.Truncate(step) // poll right after a boundary
	f.set(func(f *fakeMetrics) { f.windows = nil })
	h.advance(2 * time.Second)
	f.mu.Lock()
	got := append([]sources.Window(nil), f.windows...)
	f.mu.Unlock()
	if len(got) != 4 {
		t.Fatalf("%d reads in one refresh, want 4", len(got))
	}
	for _, w := range got {
		if w.Step != 0 {
			t.Errorf("range refetched within the same step: %+v", w)
		}
	}
	if !strings.ContainsAny(h.screen(), "⣀⠤⠒⠉") {
		t.Error("chart lost after a value-only poll")
	}
	// After a step boundary the range is fetched again.
	f.set(func(f *fakeMetrics) { f.windows = nil })
	h.advance(step)
	ranged := 0
	for _, w := range f.windows {
		if w.Step > 0 {
			ranged++
		}
	}
	if ranged != 4 {
		t.Errorf("%d range fetches after a step boundary, want 4", ranged)
	}
}

// TestREADMEListsEveryKey keeps the README's key tables true to the one list
// of bindings: the table of binding names is generated from it (run with
// OPSDECK_UPDATE_README=1 to rewrite it), and the Keys section mentions
// every default key.
func TestREADMEListsEveryKey(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- bindings: generated from ui.Bindings -->\n", "<!-- end of bindings -->"
	text := string(readme)
	i, j := strings.Index(text, begin), strings.Index(text, end)
	if i < 0 || j < i {
		t.Fatalf("README lacks the generated bindings table between %q and %q", begin, end)
	}
	want := bindingsTable()
	if got := text[i+len(begin) : j]; got != want {
		if os.Getenv("OPSDECK_UPDATE_README") == "1" {
			if err := os.WriteFile("../README.md", []byte(text[:i+len(begin)]+want+text[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("README's bindings table is out of date (OPSDECK_UPDATE_README=1 go test ./ui -run README rewrites it); want:\n%s", want)
	}
	section := text[strings.Index(text, "## Keys"):i]
	for _, b := range Bindings() {
		for _, k := range b.Keys {
			if !strings.Contains(section, "`"+k+"`") {
				t.Errorf("README's Keys section does not mention `%s` (%s)", k, b.Help)
			}
		}
	}
}

// bindingsTable is the README's table of bindings, from the list.
func bindingsTable() string {
	var b strings.Builder
	b.WriteString("| Binding | Default keys | Where | What it does |\n|---|---|---|---|\n")
	for _, x := range Bindings() {
		var ks, where []string
		for _, k := range x.Keys {
			ks = append(ks, "`"+k+"`")
		}
		for _, s := range x.Scopes {
			where = append(where, s.String())
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", x.Name, strings.Join(ks, ", "), strings.Join(where, ", "), x.Help)
	}
	return b.String()
}

// TestLightTheme: the light palette paints text dark (readable on a light
// background), where the dark palette paints it light.
func TestLightTheme(t *testing.T) {
	light := newHarness(t, healthy(), nil, false)
	light.m.deps.Styles = theme.New(theme.Light(), false)
	light.m.openEnv("qa")
	light.size(160, 48)
	dark := newHarness(t, healthy(), nil, false)
	dark.size(160, 48)
	const lightText, darkText = "38;2;46;52;64", "38;2;216;222;233" // #2e3440, #d8dee9
	if l := light.m.Render(); !strings.Contains(l, lightText) || strings.Contains(l, darkText) {
		t.Error("the light theme must paint text dark, and only dark")
	}
	if d := dark.m.Render(); !strings.Contains(d, darkText) {
		t.Error("the dark theme must paint text light")
	}
	if ansi.Strip(light.m.Render()) != ansi.Strip(dark.m.Render()) {
		t.Error("a theme changes colours, never text")
	}
	if theme.Named("light") != theme.Light() || theme.Named("dark") != theme.Dark() || theme.Named("") != theme.Dark() {
		t.Error("theme names")
	}
}
