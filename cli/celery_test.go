package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/opsdeck/opsdeck/internal/testenv/harness"
)

// TestCeleryActionsHeadless: `opsdeck run celery-purge|celery-revoke|
// celery-retry` against real Redis and a real worker: refused read-only,
// the name needed where protected, y/N (--yes) otherwise; the purge says
// how many before and removes them; the revoke terminates a running task;
// the retry sends a failed one again with its arguments. Each is audited.
func TestCeleryActionsHeadless(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rd := harness.NewRedis(t, harness.RedisOptions{})
	broker := rd.URL(0)
	harness.NewCeleryWorker(t, harness.CeleryOptions{BrokerURL: broker, Name: "w1", Queues: []string{"default"}})
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
		m, err := harness.CeleryResult(ctx, broker, id, want)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}

	if _, err := harness.CelerySend(ctx, broker, "app.tasks.cleanup_sessions", 4, []any{"1h"}, nil); err != nil {
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

	long, err := harness.CelerySend(ctx, broker, "app.tasks.export_conversations", 1, []any{120}, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitState(long[0], "STARTED")
	code, out, stderr = runCLI(t, env, "--config", cfg, "--env", "qa", "run", "celery-revoke", "--task", long[0], "--terminate", "--yes")
	if code != 0 || !strings.Contains(stderr, "running on w1@opsdeck-test") || !strings.Contains(out, "w1@opsdeck-test") {
		t.Fatalf("revoke: exit %d\n%s%s", code, out, stderr)
	}
	waitState(long[0], "REVOKED")

	failed, err := harness.CelerySend(ctx, broker, "app.tasks.reindex_embeddings", 1, []any{"again"}, nil)
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
