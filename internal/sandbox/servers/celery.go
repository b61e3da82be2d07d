package servers

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

//go:embed celeryapp
var celeryApp embed.FS

// celeryPython is Debian's interpreter: python3-celery installs no `celery`
// command, and a python3 earlier on PATH may lack Debian's packages.
const celeryPython = "/usr/bin/python3"

// CeleryOptions shape a worker of the test application (celeryapp/originapp.py:
// Origin's three queues on a "tasks" exchange, results in Redis).
type CeleryOptions struct {
	BrokerURL string
	// Name is the worker's node name ("w1" becomes w1@opsdeck-test).
	Name string
	// Queues it consumes (default: default, high_priority, low_priority).
	Queues []string
	// Pool is prefork (default), gevent, threads or solo; Concurrency its size (2).
	Pool        string
	Concurrency int
	// NoEvents leaves out -E: the worker sends no events.
	NoEvents bool
	// Parent is where the worker's directory goes ("" for the temp dir):
	// the demo keeps its workers inside its sandbox, removed with it.
	Parent string
	// LogsURL is a VictoriaLogs the worker logs its failures and retries
	// to, each line with its task id ("" for none).
	LogsURL string
}

// CeleryWorker is a running `celery worker` of the test application.
type CeleryWorker struct {
	server
	// Hostname is the worker's node name as its events and replies give it.
	Hostname string
}

// CeleryAppDir writes the test application into a new directory under
// parent ("" for the temp dir) and returns it.
func CeleryAppDir(parent string) (string, error) {
	dir, err := os.MkdirTemp(parent, "opsdeck-celery-")
	if err != nil {
		return "", err
	}
	for _, name := range []string{"originapp.py", "send.py"} {
		data, err := celeryApp.ReadFile("celeryapp/" + name)
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// celeryReady checks that Celery is importable, naming the packages when not.
func celeryReady() error {
	if !isExecutable(celeryPython) {
		return &MissingBinaryError{Binary: celeryPython, Package: "python3-celery"}
	}
	out, err := exec.Command(celeryPython, "-c", "import celery, redis").CombinedOutput()
	if err != nil {
		return fmt.Errorf("python3 cannot import celery and redis: install the Debian packages python3-celery and python3-redis (scripts/deps.sh installs them): %s", strings.TrimSpace(string(out)))
	}
	return nil
}

// CeleryPoolReady says why a worker pool cannot run here (nil when it can):
// gevent needs python3-gevent.
func CeleryPoolReady(pool string) error {
	if pool != "gevent" {
		return nil
	}
	if out, err := exec.Command(celeryPython, "-c", "import gevent").CombinedOutput(); err != nil {
		return fmt.Errorf("python3 cannot import gevent (install python3-gevent): %s", lastLineOf(string(out)))
	}
	return nil
}

// lastLineOf is the last non-empty line of a Python error: its exception.
func lastLineOf(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// StartCeleryWorker starts a worker and waits until it says it is ready.
func StartCeleryWorker(ctx context.Context, o CeleryOptions) (*CeleryWorker, error) {
	if err := refuseShort(); err != nil {
		return nil, err
	}
	if err := celeryReady(); err != nil {
		return nil, err
	}
	if o.Name == "" {
		o.Name = "w1"
	}
	if len(o.Queues) == 0 {
		o.Queues = []string{"default", "high_priority", "low_priority"}
	}
	if o.Pool == "" {
		o.Pool = "prefork"
	}
	if o.Concurrency == 0 {
		o.Concurrency = 2
	}
	dir, err := CeleryAppDir(o.Parent)
	if err != nil {
		return nil, err
	}
	w := &CeleryWorker{server: server{Dir: dir, stopSignal: syscall.SIGTERM}, Hostname: o.Name + "@opsdeck-test"}
	args := []string{"-m", "celery", "-A", "originapp", "worker", "-n", w.Hostname, "-Q", strings.Join(o.Queues, ","),
		"-P", o.Pool, "-c", strconv.Itoa(o.Concurrency), "--loglevel=INFO", "--without-mingle", "--without-gossip"}
	if !o.NoEvents {
		args = append(args, "-E")
	}
	ready := func(context.Context) error {
		data, _ := os.ReadFile(filepath.Join(dir, "celery.log"))
		if bytes.Contains(data, []byte(w.Hostname+" ready.")) {
			return nil
		}
		return errors.New("not ready yet")
	}
	// The broker URL goes through the environment, never argv.
	env := []string{"CELERY_BROKER_URL=" + o.BrokerURL, "PYTHONDONTWRITEBYTECODE=1"}
	if o.LogsURL != "" {
		env = append(env, "OPSDECK_LOGS_URL="+o.LogsURL)
	}
	proc, err := startProcessEnv("celery", dir, env, celeryPython, args...)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := waitReady(ctx, proc, ready); err != nil {
		proc.stop(syscall.SIGKILL, time.Second)
		os.RemoveAll(dir)
		return nil, err
	}
	w.proc = proc
	return w, nil
}

// Stop asks the worker to finish (a warm shutdown), then kills it.
func (w *CeleryWorker) Stop() error {
	if w == nil {
		return nil
	}
	return w.stop()
}

// Log is the worker's log so far.
func (w *CeleryWorker) Log() string {
	data, _ := os.ReadFile(filepath.Join(w.Dir, "celery.log"))
	return string(data)
}

// CelerySend sends count tasks named task through Celery's own API (send.py
// of the test application) and returns their ids.
func CelerySend(ctx context.Context, brokerURL, task string, count int, args []any, kwargs map[string]any) ([]string, error) {
	if err := celeryReady(); err != nil {
		return nil, err
	}
	dir, err := CeleryAppDir("")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if args == nil {
		args = []any{}
	}
	if kwargs == nil {
		kwargs = map[string]any{}
	}
	a, _ := json.Marshal(args)
	k, _ := json.Marshal(kwargs)
	cmd := exec.CommandContext(ctx, celeryPython, "send.py", task, strconv.Itoa(count), string(a), string(k))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CELERY_BROKER_URL="+brokerURL, "PYTHONDONTWRITEBYTECODE=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("sending %s: %v: %s", task, err, strings.ReplaceAll(stderr.String(), brokerURL, "$CELERY_BROKER_URL"))
	}
	return strings.Fields(string(out)), nil
}

// CeleryResult waits until task id's record in the result backend (Redis
// at backendURL) has state want, and returns the record; an error when it
// has not by the end of ctx.
func CeleryResult(ctx context.Context, backendURL, id, want string) (map[string]any, error) {
	opts, err := goredis.ParseURL(backendURL)
	if err != nil {
		return nil, err
	}
	r := goredis.NewClient(opts)
	defer r.Close()
	last := "no record"
	for {
		if b, err := r.Get(ctx, "celery-task-meta-"+id).Bytes(); err == nil {
			var m map[string]any
			if json.Unmarshal(b, &m) == nil {
				if m["status"] == want {
					return m, nil
				}
				last = fmt.Sprint(m["status"])
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("task %s never reached %s (last: %s)", id, want, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
