package sources

import (
	"context"
	"time"
)

// Celery reads a Celery deployment from its broker: the workers, the
// queues, the tasks and the failures. Implementations consume the event
// stream in the background between polls.
type Celery interface {
	Poll(ctx context.Context, req CeleryRequest) (CeleryState, error)
}

// CeleryRequest says what a poll needs beyond the broker's lists and the
// events.
type CeleryRequest struct {
	// Running asks every worker what it runs (a control broadcast), for the
	// list the zoomed pane shows. Without it a broadcast goes out only when
	// a worker sends no heartbeats (its liveness is then its answer) or its
	// pool is a minute old.
	Running bool
}

// CeleryNoExporter ends the diagnosis of a query for a celery_* metric
// no exporter provides (Origin's alert rules ask for celery_worker_up);
// the console puts its Celery pane's answer after it.
const CeleryNoExporter = "opsdeck's Celery pane reads the broker itself"

// CeleryState is one poll of a Celery deployment. The JSON names are the
// snapshot's.
type CeleryState struct {
	At       time.Time       `json:"-"`
	Workers  []CeleryWorker  `json:"workers"`
	Queues   []CeleryQueue   `json:"queues"`
	Tasks    []CeleryTask    `json:"tasks"`
	Failures []CeleryFailure `json:"failures"`
	// Events says how the event stream goes.
	Events CeleryEvents `json:"events"`
	// Problems are findings in words (workers without events, a control
	// command unanswered), most urgent first.
	Problems []string `json:"problems,omitempty"`
	// Window is what the task figures cover: the console's window, or less
	// when opsdeck has listened for less.
	Window time.Duration `json:"-"`
}

// CeleryWorker is one worker as its heartbeats and its replies show it.
type CeleryWorker struct {
	Hostname    string `json:"hostname"`
	Pool        string `json:"pool,omitempty"` // prefork, gevent, threads, solo
	Concurrency int    `json:"concurrency,omitempty"`
	// Online: a heartbeat within two of its intervals, or a reply to the
	// last control command.
	Online bool `json:"online"`
	// LastSeen is the last heartbeat or reply.
	LastSeen  time.Time `json:"last_seen"`
	Active    int       `json:"active"`
	Processed int64     `json:"processed"`
	// Failed counts its task failures since opsdeck listened.
	Failed      int64     `json:"failed"`
	Load        []float64 `json:"load,omitempty"` // the host's 1, 5 and 15 minute load
	SendsEvents bool      `json:"sends_events"`
	// Lost: its control queue is still bound on the broker, yet it neither
	// beats nor answers: it was killed or lost, never stopped cleanly.
	Lost bool `json:"lost,omitempty"`
	// Running are its tasks under way (from `inspect active`).
	Running []CeleryRunning `json:"running,omitempty"`
}

// CeleryRunning is a task a worker is running.
type CeleryRunning struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Args    string    `json:"args,omitempty"`
	Started time.Time `json:"started"`
	Worker  string    `json:"worker"`
}

// CeleryQueue is a queue: messages waiting in its list, and those delivered
// to a worker and not yet acknowledged.
type CeleryQueue struct {
	Name    string `json:"name"`
	Waiting int64  `json:"waiting"`
	// Unacked is -1 when it could not be counted (too many to read).
	Unacked int64 `json:"unacked"`
	// Growth is the change of Waiting over GrowthOver (nil until two polls apart).
	Growth     *int64        `json:"growth,omitempty"`
	GrowthOver time.Duration `json:"-"`
}

// CeleryTask is one task name over the window, from the events.
type CeleryTask struct {
	Name string `json:"name"`
	// Counts over the window.
	Received  int64 `json:"received"`
	Started   int64 `json:"started"`
	Succeeded int64 `json:"succeeded"`
	Failed    int64 `json:"failed"`
	Retried   int64 `json:"retried"`
	// PerSec are the counts over the window's length.
	ReceivedPerSec, SucceededPerSec, FailedPerSec float64 `json:"-"`
	// P50 and P95 runtimes of the tasks that ended in the window, seconds;
	// nil when none did.
	P50 *float64 `json:"runtime_p50_seconds,omitempty"`
	P95 *float64 `json:"runtime_p95_seconds,omitempty"`
}

// CeleryFailure is a task that failed, or was lost with its worker.
type CeleryFailure struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Exception string    `json:"exception"`
	Traceback string    `json:"traceback,omitempty"` // its first line
	Worker    string    `json:"worker"`
	At        time.Time `json:"at"`
	// Args and Kwargs as the result backend stored them (result_extended),
	// Queue the one it came from; "" when not stored.
	Args   string `json:"args,omitempty"`
	Kwargs string `json:"kwargs,omitempty"`
	Queue  string `json:"queue,omitempty"`
	// Lost: its worker went away while running it.
	Lost bool `json:"lost,omitempty"`
}

// CeleryEvents is how the event stream goes.
type CeleryEvents struct {
	// Listening since; zero when not connected.
	Since time.Time `json:"since"`
	// PerSec is the events received per second over the last poll interval.
	PerSec float64 `json:"per_sec"`
	Total  int64   `json:"total"`
	// Malformed counts events that could not be read (and were skipped).
	Malformed int64 `json:"malformed,omitempty"`
	// Error is why the stream is down, "" while it is up.
	Error string `json:"error,omitempty"`
}
