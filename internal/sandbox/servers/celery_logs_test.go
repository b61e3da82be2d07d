package servers_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
)

// TestCeleryFailuresAreLoggedWithTheirTaskID: a worker given a VictoriaLogs
// logs a failed task's exception under its task id, so that the console can
// go from a failure on the broker to its lines.
func TestCeleryFailuresAreLoggedWithTheirTaskID(t *testing.T) {
	t.Parallel()
	r := sandboxtest.NewRedis(t, servers.RedisOptions{})
	vl := sandboxtest.NewVictoriaLogs(t)
	w := sandboxtest.NewCeleryWorker(t, servers.CeleryOptions{BrokerURL: r.URL(0), Name: "logs", LogsURL: vl.URL()})
	ctx := context.Background()
	ids, err := servers.CelerySend(ctx, r.URL(0), "app.tasks.reindex_embeddings", 1, []any{"nightly"}, nil)
	if err != nil || len(ids) != 1 {
		t.Fatalf("send: %v %v", ids, err)
	}
	if err := wait.For(t, func() error {
		resp, err := http.PostForm(vl.URL()+"/select/logsql/query", url.Values{"query": {`task_id:"` + ids[0] + `"`}})
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		for _, want := range []string{"embedding dimension mismatch", `"severity_text":"ERROR"`, `"task_name":"app.tasks.reindex_embeddings"`, "Traceback"} {
			if !strings.Contains(string(body), want) {
				return fmt.Errorf("the task's lines lack %q: %s %.400s", want, resp.Status, body)
			}
		}
		return nil
	}); err != nil {
		t.Fatalf("%v\nworker log:\n%s", err, w.Log())
	}
}
