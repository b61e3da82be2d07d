package originapi

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// LatencyBuckets cover Origin's 2 s alert threshold with room on both sides.
var LatencyBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 2.5, 5, 10}

// API holds the instruments. Record is safe for concurrent use.
type API struct {
	Registry *prometheus.Registry

	requests   *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	llmCalls   *prometheus.CounterVec
	llmLatency prometheus.Histogram
	dbQuery    prometheus.Histogram
	sse        prometheus.Gauge
	build      *prometheus.GaugeVec
	started    prometheus.Gauge
	version    string

	mu       sync.Mutex
	spans    SpanSink // nil unless ExportSpans or SetSpanSink was called
	logs     LogSink  // nil unless ExportLogs or SetLogSink was called
	logged   uint64   // requests logged without a sampled trace, for their ids
	rss      float64  // simulated resident memory of the API process
	appBytes float64  // origin_memory_usage_bytes
}

// New registers the Origin metric families on a fresh registry.
func New() *API {
	a := &API{
		Registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total", Help: "Total number of requests by method, status and handler.",
		}, []string{"handler", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "http_request_duration_seconds", Help: "Latency with only few buckets by handler.", Buckets: LatencyBuckets,
		}, []string{"handler", "method"}),
		llmCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "origin_llm_calls_total", Help: "LLM provider calls by outcome.",
		}, []string{"provider", "outcome"}),
		llmLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "origin_llm_latency_seconds", Help: "LLM call latency.", Buckets: LatencyBuckets,
		}),
		dbQuery: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "origin_db_query_duration_seconds", Help: "Database query latency.", Buckets: prometheus.DefBuckets,
		}),
		sse: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "origin_sse_sessions_active", Help: "Open server-sent-event sessions.",
		}),
		build: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "origin_build_info", Help: "The running build: always 1, its version as a label.",
		}, []string{"version"}),
		started: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "process_start_time_seconds", Help: "Start time of the process since unix epoch in seconds.",
		}),
		rss:      380 << 20,
		appBytes: 210 << 20,
	}
	a.Registry.MustRegister(a.requests, a.duration, a.llmCalls, a.llmLatency, a.dbQuery, a.sse, a.build, a.started,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "process_resident_memory_bytes", Help: "Resident memory size in bytes.",
		}, func() float64 { a.mu.Lock(); defer a.mu.Unlock(); return a.rss }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "origin_memory_usage_bytes", Help: "Memory the application accounts for itself.",
		}, func() float64 { a.mu.Lock(); defer a.mu.Unlock(); return a.appBytes }),
	)
	return a
}

// StatusGroup is how the instrumentator labels status codes: "2xx", "4xx", "5xx".
func StatusGroup(code int) string {
	return string(rune('0'+code/100)) + "xx"
}

// Record counts one request. With a trace id, the request is an exemplar
// of its latency bucket and (when it failed) of the error counter: what an
// instrumented application records for its traced requests.
func (a *API) Record(handler, method string, code int, d time.Duration, traceID string) {
	status := StatusGroup(code)
	if traceID == "" {
		a.requests.WithLabelValues(handler, method, status).Inc()
		a.duration.WithLabelValues(handler, method).Observe(d.Seconds())
		return
	}
	ex := prometheus.Labels{"trace_id": traceID}
	if code >= 500 {
		a.requests.WithLabelValues(handler, method, status).(prometheus.ExemplarAdder).AddWithExemplar(1, ex)
	} else {
		a.requests.WithLabelValues(handler, method, status).Inc()
	}
	a.duration.WithLabelValues(handler, method).(prometheus.ExemplarObserver).ObserveWithExemplar(d.Seconds(), ex)
}

// SetBuild says which build runs and since when: a deploy or a restart
// changes the start time, a deploy the version too.
func (a *API) SetBuild(version string, started time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if version != a.version {
		a.build.Reset()
		a.build.WithLabelValues(version).Set(1)
		a.version = version
	}
	a.started.Set(float64(started.UnixMilli()) / 1000)
}

// SetMemory sets the simulated process and application memory.
func (a *API) SetMemory(rss, app float64) {
	a.mu.Lock()
	a.rss, a.appBytes = rss, app
	a.mu.Unlock()
}

// Handler serves /metrics.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	// OpenMetrics when the scraper asks for it (Prometheus does): the only
	// format that carries exemplars.
	mux.Handle("/metrics", promhttp.HandlerFor(a.Registry, promhttp.HandlerOpts{EnableOpenMetrics: true}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	return mux
}

// Serve listens on a free loopback port and serves /metrics until ctx ends.
// It returns the listening address (host:port).
func (a *API) Serve(ctx context.Context) (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(l)
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	return l.Addr().String(), nil
}

// Profile describes the traffic at one moment.
type Profile struct {
	RPS           float64
	ErrorRatio    float64       // share of 5xx
	MedianLatency time.Duration // lognormal median
	Incident      string        // "", "errors" or "latency", for the demo's status line
}

// Schedule is the demo's day: steady traffic with a gentle wave, an error
// spike and then a latency spike once every Period.
type Schedule struct {
	Period time.Duration // one incident cycle; default 5m
	Start  time.Time
	// Hit is the handler the incidents hit ("" every handler): the others
	// keep the calm profile, as when one route's dependency fails.
	Hit string
	// Always holds one incident for the whole run ("errors", "latency" or
	// "both"), for tests that need it steady.
	Always string
	// Quiet has no incidents: a healthy instance beside a failing one.
	Quiet bool
	// Deploys are the builds rolled out during the run, oldest first; before
	// the first, BaseVersion has run for a month.
	Deploys []Deploy
}

// Deploy is a new build starting at At.
type Deploy struct {
	At      time.Time
	Version string
}

// BaseVersion is the build that runs before a schedule's first deploy.
const BaseVersion = "1.4.1"

// Build is the version running at t and when its process started.
func (s Schedule) Build(t time.Time) (version string, started time.Time) {
	version, started = BaseVersion, s.Start.Add(-30*24*time.Hour)
	for _, d := range s.Deploys {
		if !t.Before(d.At) {
			version, started = d.Version, d.At
		}
	}
	return version, started
}

// At gives the traffic profile t after the start.
func (s Schedule) At(t time.Time) Profile {
	period := s.Period
	if period <= 0 {
		period = 5 * time.Minute
	}
	phase := t.Sub(s.Start) % period
	p := s.calm(t)
	// Incidents start one minute in, so a newcomer sees one soon.
	errStart, errEnd := period/5, period/5+period*3/10
	latStart, latEnd := period*11/20, period*17/20
	// One route failing fails harder than the whole API would: hard enough
	// that the API as a whole crosses Origin's thresholds (5 %, P95 2 s).
	errRatio, slow := 0.12, 1400*time.Millisecond
	if s.Hit != "" {
		errRatio, slow = 0.8, 4*time.Second
	}
	switch {
	case s.Quiet:
	case s.Always != "":
		p.Incident = s.Always
		if s.Always != "latency" {
			p.ErrorRatio = errRatio
		}
		if s.Always != "errors" {
			p.MedianLatency = slow
		}
	case phase >= errStart && phase < errEnd:
		p.ErrorRatio, p.Incident = errRatio, "errors"
		p.RPS *= 1.3 // clients retrying
	case phase >= latStart && phase < latEnd:
		p.MedianLatency, p.Incident = slow, "latency"
	}
	return p
}

// calm is the profile at t without its incident: steady traffic with a
// gentle wave, what the handlers an incident does not hit see.
func (s Schedule) calm(t time.Time) Profile {
	wave := math.Sin(2 * math.Pi * t.Sub(s.Start).Seconds() / 600)
	return Profile{RPS: 40 + 8*wave, ErrorRatio: 0.004, MedianLatency: 80 * time.Millisecond}
}

// Simulator produces the schedule's traffic into an API's instruments. The
// live demo steps it with the wall clock; the backfill steps it over the past.
type Simulator struct {
	api   *API
	sched Schedule
	rng   *rand.Rand
	carry float64
}

// NewSimulator drives api; seed makes runs repeatable.
func NewSimulator(api *API, sched Schedule, seed uint64) *Simulator {
	return &Simulator{api: api, sched: sched, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

var handlers = []struct{ path, method string }{
	{"/api/chat", "POST"}, {"/api/conversations", "GET"}, {"/api/messages", "GET"},
	{"/api/messages", "POST"}, {"/api/users/me", "GET"}, {"/health", "GET"},
}

// Step records the requests of the dt ending at now, and sets the gauges.
func (s *Simulator) Step(now time.Time, dt time.Duration) {
	a, rng := s.api, s.rng
	p := s.sched.At(now)
	calm := s.sched.calm(now)
	s.carry += p.RPS * dt.Seconds()
	for ; s.carry >= 1; s.carry-- {
		h := handlers[rng.IntN(len(handlers))]
		p := p
		if h.path != s.sched.Hit && s.sched.Hit != "" {
			p = calm
		}
		code := 200
		switch r := rng.Float64(); {
		case r < p.ErrorRatio:
			code = 500 + 2*rng.IntN(2) // 500 or 502
		case r < p.ErrorRatio+0.02:
			code = 404
		}
		// Lognormal latency: sigma 0.6 puts P95 near 2.7x the median.
		lat := time.Duration(float64(p.MedianLatency) * math.Exp(0.6*rng.NormFloat64()))
		// One request in TraceEvery is traced: its trace id is its
		// exemplar, and its spans go to the trace backend.
		var id string
		if s.rng.IntN(TraceEvery) == 0 {
			id = s.traceID()
			a.traceRequest(id, h.path, h.method, code, lat, now)
		}
		a.Record(h.path, h.method, code, lat, id)
		a.logRequest(id, h.path, h.method, code, lat, now)
		a.dbQuery.Observe(lat.Seconds() / 8)
		if h.path == "/api/chat" {
			outcome := "ok"
			if code >= 500 {
				outcome = "error"
			}
			a.llmCalls.WithLabelValues("openai", outcome).Inc()
			a.llmLatency.Observe(lat.Seconds() * 0.8)
		}
	}
	since := now.Sub(s.sched.Start).Seconds()
	growth := 0.0
	if p.Incident == "latency" {
		growth = 140 << 20 // requests pile up in memory
	}
	// A sawtooth: memory creeps up and a collection drops it every 3 minutes.
	saw := math.Mod(since, 180) / 180 * (60 << 20)
	a.SetMemory(380<<20+saw+growth, 210<<20+saw/2+growth/2)
	a.sse.Set(float64(20 + int(6*math.Sin(since/40))))
	a.SetBuild(s.sched.Build(now))
}

// traceID is a random W3C trace id (32 hex digits), as a tracer makes one.
func (s *Simulator) traceID() string {
	return fmt.Sprintf("%016x%016x", s.rng.Uint64(), s.rng.Uint64())
}

// Run simulates traffic following sched in real time until ctx ends.
func (a *API) Run(ctx context.Context, sched Schedule, seed uint64) {
	sim := NewSimulator(a, sched, seed)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			sim.Step(now, now.Sub(last))
			last = now
		}
	}
}

// TB is what Start needs of a test or benchmark.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// Start serves a synthetic Origin API on a free loopback port, with traffic
// following sched, for one test; it stops when the test ends. It returns the
// address (host:port) whose /metrics Prometheus or direct mode scrape.
func Start(t TB, sched Schedule, seed uint64) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	api := New()
	addr, err := api.Serve(ctx)
	if err != nil {
		t.Fatalf("origin api: %v", err)
	}
	go api.Run(ctx, sched, seed)
	return addr
}
