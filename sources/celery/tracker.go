package celery

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/opsdeck/opsdeck/sources"
)

// Bounds on what the tracker keeps, whatever the event stream sends.
const (
	maxNames     = 200   // task names tracked (the rest counted as one)
	maxInflight  = 20000 // tasks received and not yet ended
	maxFailures  = 50    // recent failures kept
	maxRuntimes  = 1024  // runtimes kept per task name for the percentiles
	maxWorkers   = 500
	buckets      = 30 // of the window, per task name
	otherTasks   = "(other task names)"
	unknownTasks = "(received before opsdeck listened)"
)

// counts are one bucket of a task name's events.
type counts struct {
	idx                                           int64 // which bucket of time it holds
	received, started, succeeded, failed, retried int64
}

type runtime struct {
	at time.Time
	s  float64
}

// series is one task name's events over the window.
type series struct {
	b        [buckets + 1]counts
	runtimes []runtime // newest last, at most maxRuntimes
}

type inflight struct {
	name, worker string
	started      time.Time
}

// workerSeen is a worker as its heartbeats say.
type workerSeen struct {
	lastBeat  time.Time
	freq      float64
	active    int
	processed int64
	failed    int64
	load      []float64
	offline   bool // said goodbye (worker-offline)
	// firstProcessed is its processed count at the first heartbeat seen;
	// taskEvents counts the task events it sent since: a worker that
	// processes tasks and sends none runs without -E.
	firstProcessed int64
	taskEvents     int64
}

// tracker folds the event stream into what the pane shows. Safe for the
// event loop and Poll at once; bounded whatever is sent.
type tracker struct {
	mu       sync.Mutex
	window   time.Duration
	bucket   time.Duration
	tasks    map[string]*series
	inflight map[string]inflight
	workers  map[string]*workerSeen
	failures []sources.CeleryFailure // newest last
	// the stream
	since     time.Time
	total     int64
	malformed int64
	err       string
	rateCount int64
	rateAt    time.Time
	lastRate  float64
}

func newTracker(window time.Duration) *tracker {
	if window <= 0 {
		window = 15 * time.Minute
	}
	return &tracker{window: window, bucket: max(window/buckets, time.Second), tasks: map[string]*series{},
		inflight: map[string]inflight{}, workers: map[string]*workerSeen{}}
}

// connected marks the stream up.
func (t *tracker) connected(now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.since.IsZero() {
		t.since = now
	}
	t.err = ""
}

// down marks the stream down, saying why.
func (t *tracker) down(why string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.err = why
	t.since = time.Time{}
}

// message folds one event message in; a malformed one is counted and skipped.
func (t *tracker) message(raw []byte, now time.Time) {
	evs, err := DecodeEvents(raw)
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		t.malformed++
		return
	}
	for _, ev := range evs {
		t.event(ev, now)
	}
}

func (t *tracker) series(name string) *series {
	if name == "" {
		name = unknownTasks
	}
	s := t.tasks[name]
	if s == nil {
		if len(t.tasks) >= maxNames {
			name = otherTasks
			if s = t.tasks[name]; s != nil {
				return s
			}
		}
		s = &series{}
		t.tasks[name] = s
	}
	return s
}

// at is the bucket of now in s, emptied when it held an older time.
func (t *tracker) at(s *series, now time.Time) *counts {
	idx := now.UnixNano() / int64(t.bucket)
	c := &s.b[idx%int64(len(s.b))]
	if c.idx != idx {
		*c = counts{idx: idx}
	}
	return c
}

func (t *tracker) event(ev Event, now time.Time) {
	t.total++
	if strings.HasPrefix(ev.Type, "task-") && ev.Type != "task-sent" {
		if w := t.workers[ev.Hostname]; w != nil {
			w.taskEvents++
		}
	}
	switch {
	case strings.HasPrefix(ev.Type, "worker-"):
		t.worker(ev, now)
	case ev.Type == "task-received":
		t.at(t.series(ev.Name), now).received++
		if len(t.inflight) < maxInflight {
			t.inflight[ev.UUID] = inflight{name: ev.Name, worker: ev.Hostname}
		}
	case ev.Type == "task-started":
		f, ok := t.inflight[ev.UUID]
		t.at(t.series(f.name), now).started++
		if ok || len(t.inflight) < maxInflight {
			f.worker, f.started = ev.Hostname, now
			t.inflight[ev.UUID] = f
		}
	case ev.Type == "task-succeeded":
		f := t.inflight[ev.UUID]
		s := t.series(f.name)
		t.at(s, now).succeeded++
		if ev.Runtime >= 0 {
			s.runtimes = append(s.runtimes, runtime{now, ev.Runtime})
			if len(s.runtimes) > maxRuntimes {
				s.runtimes = slices.Delete(s.runtimes, 0, len(s.runtimes)-maxRuntimes)
			}
		}
		delete(t.inflight, ev.UUID)
	case ev.Type == "task-failed":
		if w := t.workers[ev.Hostname]; w != nil {
			w.failed++
		}
		f := t.inflight[ev.UUID]
		t.at(t.series(f.name), now).failed++
		t.fail(sources.CeleryFailure{ID: ev.UUID, Name: f.name, Exception: ev.Exception, Traceback: lastLine(ev.Traceback),
			Worker: ev.Hostname, At: now})
		delete(t.inflight, ev.UUID)
	case ev.Type == "task-retried":
		t.at(t.series(t.inflight[ev.UUID].name), now).retried++
	case ev.Type == "task-revoked" || ev.Type == "task-rejected":
		delete(t.inflight, ev.UUID)
	}
}

// lastLine is a traceback's last line: the exception as Python raised it.
func lastLine(tb string) string {
	tb = strings.TrimSpace(tb)
	if i := strings.LastIndexByte(tb, '\n'); i >= 0 {
		tb = tb[i+1:]
	}
	return strings.TrimSpace(tb)
}

func (t *tracker) fail(f sources.CeleryFailure) {
	if f.Name == "" {
		f.Name = unknownTasks
	}
	t.failures = append(t.failures, f)
	if len(t.failures) > maxFailures {
		t.failures = slices.Delete(t.failures, 0, len(t.failures)-maxFailures)
	}
}

func (t *tracker) worker(ev Event, now time.Time) {
	w := t.workers[ev.Hostname]
	if w == nil {
		if len(t.workers) >= maxWorkers || ev.Hostname == "" {
			return
		}
		w = &workerSeen{firstProcessed: ev.Processed}
		t.workers[ev.Hostname] = w
	}
	w.lastBeat, w.offline = now, ev.Type == "worker-offline"
	if ev.Freq > 0 {
		w.freq = ev.Freq
	}
	w.active, w.processed, w.load = ev.Active, ev.Processed, ev.Loadavg
}

// gone reports whether a worker's heartbeats stopped: it said goodbye, or
// two intervals passed without one.
func (w *workerSeen) gone(now time.Time) bool {
	freq := cmp.Or(w.freq, 2.0)
	return w.offline || now.Sub(w.lastBeat) > time.Duration(2*freq*float64(time.Second))
}

// snapshot is the tracker's state for a poll at now: workers as the events
// know them, tasks over the window, failures newest first (a task a gone
// worker was running becomes lost), the stream's health.
func (t *tracker) snapshot(now time.Time) (workers map[string]sources.CeleryWorker, tasks []sources.CeleryTask, failures []sources.CeleryFailure, ev sources.CeleryEvents, window time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	workers = map[string]sources.CeleryWorker{}
	for host, w := range t.workers {
		online := !w.gone(now)
		workers[host] = sources.CeleryWorker{Hostname: host, Online: online, LastSeen: w.lastBeat, Active: w.active,
			Processed: w.processed, Failed: w.failed, Load: w.load, SendsEvents: w.taskEvents > 0 || w.processed == w.firstProcessed}
		if !online {
			for id, f := range t.inflight {
				if f.worker == host && !f.started.IsZero() {
					t.fail(sources.CeleryFailure{ID: id, Name: f.name, Exception: "lost: worker " + host + " went away while running it",
						Worker: host, At: now, Lost: true})
					delete(t.inflight, id)
				}
			}
		}
	}
	window = t.window
	if !t.since.IsZero() && now.Sub(t.since) < window {
		window = max(now.Sub(t.since), time.Second)
	}
	from := now.Add(-t.window).UnixNano() / int64(t.bucket)
	for name, s := range t.tasks {
		task := sources.CeleryTask{Name: name}
		for _, c := range s.b {
			if c.idx > from {
				task.Received += c.received
				task.Started += c.started
				task.Succeeded += c.succeeded
				task.Failed += c.failed
				task.Retried += c.retried
			}
		}
		var rs []float64
		for _, r := range s.runtimes {
			if now.Sub(r.at) <= t.window {
				rs = append(rs, r.s)
			}
		}
		if len(rs) > 0 {
			slices.Sort(rs)
			p50, p95 := quantile(rs, 0.5), quantile(rs, 0.95)
			task.P50, task.P95 = &p50, &p95
		}
		if task.Received+task.Started+task.Succeeded+task.Failed+task.Retried == 0 {
			continue
		}
		secs := window.Seconds()
		task.ReceivedPerSec, task.SucceededPerSec, task.FailedPerSec = float64(task.Received)/secs, float64(task.Succeeded)/secs, float64(task.Failed)/secs
		tasks = append(tasks, task)
	}
	slices.SortFunc(tasks, func(a, b sources.CeleryTask) int {
		return cmp.Or(cmp.Compare(b.Failed, a.Failed), cmp.Compare(b.Received+b.Succeeded, a.Received+a.Succeeded), strings.Compare(a.Name, b.Name))
	})
	for i := len(t.failures) - 1; i >= 0; i-- {
		failures = append(failures, t.failures[i])
	}
	if !t.rateAt.IsZero() && now.After(t.rateAt) {
		t.lastRate = float64(t.total-t.rateCount) / now.Sub(t.rateAt).Seconds()
	}
	t.rateCount, t.rateAt = t.total, now
	ev = sources.CeleryEvents{Since: t.since, PerSec: t.lastRate, Total: t.total, Malformed: t.malformed, Error: t.err}
	return workers, tasks, failures, ev, window
}

// quantile of sorted values (nearest rank).
func quantile(sorted []float64, q float64) float64 {
	i := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
