package victorialogs

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/sources"
)

// TestBaseURLQueryKeptOnEveryRequestAttack: logs.url behind vmauth or a
// proxy that takes its token in the query string
// (http://proxy/vlogs/?token=x) must keep that query and its path on
// every read, as docs/SECURITY.md says of a base URL's query string
// (prometheus.TestBaseURLQueryKeptOnEveryRequest). Found by an attack on
// the sandbox: the path is appended to the whole URL string, so the
// request goes to /vlogs/?token=x/select/logsql/query?... and the proxy
// answers with its own page ("answered an HTML page, not VictoriaLogs's
// API (a login page or a proxy's?)").
func TestBaseURLQueryKeptOnEveryRequestAttack(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var bad []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("token") != "x" || !strings.HasPrefix(r.URL.Path, "/vlogs/select/logsql/") {
			mu.Lock()
			bad = append(bad, r.URL.String())
			mu.Unlock()
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/hits"):
			_, _ = w.Write([]byte(`{"hits":[]}`))
		default:
			_, _ = w.Write([]byte(record(map[string]string{"_msg": "ok", "_time": time.Now().UTC().Format(time.RFC3339Nano)})))
		}
	}))
	t.Cleanup(srv.Close)
	o := Options{}
	o.API.URL = srv.URL + "/vlogs/?token=x"
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	now := time.Now()
	if _, err := c.Lines(context.Background(), sources.LogQuery{Start: now.Add(-time.Hour), End: now}); err != nil {
		t.Errorf("lines: %v", err)
	}
	if _, err := c.Volume(context.Background(), sources.LogQuery{Start: now.Add(-time.Hour), End: now}, time.Minute); err != nil {
		t.Errorf("volume: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bad) > 0 {
		t.Errorf("a request lost the base URL's query or path: %v", bad)
	}
}
