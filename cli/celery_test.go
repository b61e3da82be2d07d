package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/internal/glance"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/internal/wire"
	"github.com/opsdeck/opsdeck/sources"
)

// TestCeleryActionsHeadless: `opsdeck run celery-purge|celery-revoke|
// celery-retry` against real Redis and a real worker: refused read-only,
// the name needed where protected, y/N (--yes) otherwise; the purge says
// how many before and removes them; the revoke terminates a running task;
// the retry sends a failed one again with its arguments. Each is audited.
func TestCeleryActionsHeadless(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rd := sandboxtest.NewRedis(t, servers.RedisOptions{})
	broker := rd.URL(0)
	sandboxtest.NewCeleryWorker(t, servers.CeleryOptions{BrokerURL: broker, Name: "w1", Queues: []string{"default"}})
	state := t.TempDir()
	env := map[string]string{"XDG_STATE_HOME": state}
	cfg := writeFile(t, "celery.yaml", fmt.Sprintf(`environments:
  qa: {celery: {broker_url: %q}}
  production: {celery: {broker_url: %q}, protected: true}
  audit: {celery: {broker_url: %q}, readonly: true}
`, broker, rd.URL(1), rd.URL(2))) // each its own broker database: one shared would share the stricter guard
	r := goredis.NewClient(&goredis.Options{Addr: rd.Addr(), Password: rd.Password})
	defer r.Close()
	waitState := func(id, want string) map[string]any {
		t.Helper()
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		m, err := servers.CeleryResult(ctx, broker, id, want)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}

	if _, err := servers.CelerySend(ctx, broker, "app.tasks.cleanup_sessions", 4, []any{"1h"}, nil); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, env, "--config", cfg, "--env", "audit", "run", "celery-purge", "--queue", "low_priority", "--yes"); code != 2 || !strings.Contains(stderr, "read-only") {
		t.Errorf("read-only: exit %d %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, env, "--config", cfg, "--env", "production", "run", "celery-purge", "--queue", "low_priority", "--yes"); code != 2 || !strings.Contains(stderr, "--confirm-env production") {
		t.Errorf("protected: exit %d %s", code, stderr)
	}
	if n := r.LLen(ctx, "low_priority").Val(); n != 4 {
		t.Fatalf("a refused purge touched the queue: %d left", n)
	}
	code, out, stderr := runCLI(t, env, "--config", cfg, "--env", "qa", "run", "celery-purge", "--queue", "low_priority", "--yes")
	if code != 0 || !strings.Contains(stderr, "purge the 4 message(s) waiting in queue low_priority") || !strings.Contains(out, "purged 4 of the 4 message(s) listed from queue low_priority") {
		t.Fatalf("purge: exit %d\n%s%s", code, out, stderr)
	}
	if n := r.LLen(ctx, "low_priority").Val(); n != 0 {
		t.Errorf("%d left after the purge", n)
	}

	long, err := servers.CelerySend(ctx, broker, "app.tasks.export_conversations", 1, []any{120}, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitState(long[0], "STARTED")
	code, out, stderr = runCLI(t, env, "--config", cfg, "--env", "qa", "run", "celery-revoke", "--task", long[0], "--terminate", "--yes")
	if code != 0 || !strings.Contains(stderr, "running on w1@opsdeck-test") || !strings.Contains(out, "w1@opsdeck-test") {
		t.Fatalf("revoke: exit %d\n%s%s", code, out, stderr)
	}
	waitState(long[0], "REVOKED")

	failed, err := servers.CelerySend(ctx, broker, "app.tasks.reindex_embeddings", 1, []any{"again"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitState(failed[0], "FAILURE")
	code, out, stderr = runCLI(t, env, "--config", cfg, "--env", "qa", "run", "celery-retry", "--task", failed[0], "--yes")
	if code != 0 || !strings.Contains(stderr, `send app.tasks.reindex_embeddings again with args ["again"]`) {
		t.Fatalf("retry: exit %d\n%s%s", code, out, stderr)
	}
	_, id, _ := strings.Cut(strings.TrimSpace(out), " as task ")
	m := waitState(id, "FAILURE")
	if args, _ := json.Marshal(m["args"]); string(args) != `["again"]` {
		t.Errorf("the retried task ran with %s", args)
	}
	audit := auditLog(t, state)
	for _, want := range []string{`"action":"celery-purge"`, `"action":"celery-terminate"`, `"action":"celery-retry"`, "of queue low_priority on", "(terminate, on w1@opsdeck-test)"} {
		if !strings.Contains(audit, want) {
			t.Errorf("the audit log lacks %s", want)
		}
	}
	if strings.Contains(audit, rd.Password) {
		t.Error("the broker's password is in the audit log")
	}
}

// TestCeleryInEveryReader: one Celery on a real Redis, with a worker alive,
// one killed (its control queue left bound), a queue over its threshold and
// a task that failed, reaches every reader of a one-shot read: the
// snapshot's JSON, text and Markdown, the overview's cells (snapshot --all
// --format text) and check, which fails saying which worker is gone and
// which queue is over.
func TestCeleryInEveryReader(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rd := sandboxtest.NewRedis(t, servers.RedisOptions{})
	broker := rd.URL(0)
	sandboxtest.NewCeleryWorker(t, servers.CeleryOptions{BrokerURL: broker, Name: "alive", Queues: []string{"default"}})
	lost := sandboxtest.NewCeleryWorker(t, servers.CeleryOptions{BrokerURL: broker, Name: "lost", Queues: []string{"high_priority"}, Pool: "solo", Concurrency: 1})
	failed, err := servers.CelerySend(ctx, broker, "app.tasks.reindex_embeddings", 1, []any{"dims"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if _, err := servers.CeleryResult(wctx, broker, failed[0], "FAILURE"); err != nil {
		t.Fatal(err)
	}
	if err := lost.Kill(); err != nil {
		t.Fatal(err)
	}
	// No worker consumes low_priority: five wait there, over the threshold.
	if _, err := servers.CelerySend(ctx, broker, "app.tasks.cleanup_sessions", 5, []any{"1h"}, nil); err != nil {
		t.Fatal(err)
	}
	cfg := writeFile(t, "celery.yaml", fmt.Sprintf(`environments:
  qa:
    celery: {broker_url: %q}
    redis: {url: %q, queue_thresholds: {warn: 2, crit: 4}}
`, broker, broker))
	state := map[string]string{"XDG_STATE_HOME": t.TempDir()}

	code, out, stderr := runCLI(t, state, "--config", cfg, "snapshot")
	var doc struct {
		Celery struct {
			Reachable bool `json:"reachable"`
			Workers   []struct {
				Hostname string `json:"hostname"`
				Online   bool   `json:"online"`
				Lost     bool   `json:"lost"`
			} `json:"workers"`
			Queues []struct {
				Name    string `json:"name"`
				Waiting int64  `json:"waiting"`
			} `json:"queues"`
			Failures []struct {
				ID, Name, Exception string
			} `json:"failures"`
			Rates []json.RawMessage `json:"task_rates"`
		} `json:"celery"`
	}
	if err := json.Unmarshal([]byte(out), &doc); code != 0 || err != nil {
		t.Fatalf("snapshot: exit %d %v\n%s%s", code, err, out, stderr)
	}
	c := doc.Celery
	workers := map[string]bool{}
	for _, w := range c.Workers {
		workers[w.Hostname] = w.Online
		if w.Hostname == "lost@opsdeck-test" && !w.Lost {
			t.Errorf("the killed worker is not said lost: %+v", w)
		}
	}
	if !c.Reachable || !workers["alive@opsdeck-test"] || workers["lost@opsdeck-test"] || len(c.Workers) != 2 {
		t.Errorf("workers: %+v", c.Workers)
	}
	low := -1
	for _, q := range c.Queues {
		if q.Name == "low_priority" {
			low = int(q.Waiting)
		}
	}
	if low != 5 || c.Rates == nil {
		t.Errorf("queues %+v, rates %v", c.Queues, c.Rates)
	}
	if len(c.Failures) != 1 || c.Failures[0].ID != failed[0] || !strings.Contains(c.Failures[0].Exception, "ValueError('embedding dimension mismatch") {
		t.Errorf("the recorded failure: %+v", c.Failures)
	}

	code, out, _ = runCLI(t, state, "--config", cfg, "snapshot", "--format", "text")
	for _, want := range []string{"1 worker(s) online, 1 gone (lost@opsdeck-test)", "queue low_priority: 5 waiting", "failed app.tasks.reindex_embeddings " + failed[0]} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("text snapshot lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCLI(t, state, "--config", cfg, "snapshot", "--format", "markdown")
	for _, want := range []string{"## Celery\n\n", "**1 gone**: lost@opsdeck-test", "- Queue `low_priority`: 5 waiting", "| app.tasks.reindex_embeddings | `" + failed[0] + "`"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCLI(t, state, "--config", cfg, "check")
	for _, want := range []string{"Celery worker lost@opsdeck-test is gone", "Celery queue low_priority: 5 waiting, at or over its threshold"} {
		if code != 1 || !strings.Contains(out, want) {
			t.Errorf("check: exit %d, lacks %q:\n%s", code, want, out)
		}
	}
	code, out, _ = runCLI(t, state, "--config", cfg, "snapshot", "--all", "--format", "text")
	if code != 0 || !strings.Contains(out, "1 worker(s) gone") || !strings.Contains(out, "5 low_priority") {
		t.Errorf("the overview's cells (snapshot --all --format text):\n%s", out)
	}
	// The console's overview reads the same section.
	conf, err := config.Load(config.Options{Path: cfg})
	if err != nil {
		t.Fatal(err)
	}
	env, err := wire.Open(conf, "qa", "test")
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	row := glance.Read(ctx, env, time.Minute, time.Now())
	part, _ := row.Part("celery")
	if cells := fmt.Sprint(part.Cells); !part.Configured || part.Down != "" || !strings.Contains(cells, "1 worker(s) gone") || row.Level() != sources.StatusCrit {
		t.Errorf("the overview's Celery part: %+v (level %s)", part, row.Level())
	}
	if strings.Contains(out+stderr, rd.Password) {
		t.Error("the broker's password is in an output")
	}
}
