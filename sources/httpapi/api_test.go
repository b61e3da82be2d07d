package httpapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestAPIBounds: an answer over the bound is refused in words, not read
// whole; a slow answer is cut at the timeout; a URL that is not http(s)
// is refused before anything is sent.
func TestAPIBounds(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(time.Second)
		}
		w.Write([]byte(strings.Repeat("x", 2<<20)))
	}))
	defer srv.Close()
	api, err := NewAPI(APIOptions{Name: "test", URL: srv.URL, MaxBody: 1 << 20, Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	if _, _, _, err := api.Do(context.Background(), http.MethodGet, "/big", nil, ""); err == nil || !strings.Contains(err.Error(), "larger than 1 MiB") {
		t.Errorf("an oversized answer: %v", err)
	}
	start := time.Now()
	if _, _, _, err := api.Do(context.Background(), http.MethodGet, "/slow", nil, ""); err == nil || !strings.Contains(err.Error(), "no answer from "+srv.URL+" within 200ms") {
		t.Errorf("a slow answer: %v", err)
	}
	if d := time.Since(start); d > 900*time.Millisecond {
		t.Errorf("the timeout took %v", d)
	}
	if _, err := NewAPI(APIOptions{Name: "test", URL: "ftp://host"}); err == nil || !strings.Contains(err.Error(), "want http(s)://host:port") {
		t.Errorf("a URL that is not HTTP: %v", err)
	}
}
