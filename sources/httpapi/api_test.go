package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/testenv/wait"
)

// TestAPIBounds: an answer over the bound is refused in words, not read
// whole; a slow answer is cut at the timeout; a URL that is not http(s)
// is refused before anything is sent.
//
// No clock of a quiet machine: the oversized answer is read under a
// timeout as long as the test may run (its refusal is about size, not
// time), and the slow answer never comes, so the request can only end by
// its timeout.
func TestAPIBounds(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		w.Write([]byte(strings.Repeat("x", 2<<20)))
	}))
	defer srv.Close()
	defer close(release)
	patient := time.Hour
	if end, ok := t.Deadline(); ok {
		patient = time.Until(end)
	}
	big, err := NewAPI(APIOptions{Name: "test", URL: srv.URL, MaxBody: 1 << 20, Timeout: patient})
	if err != nil {
		t.Fatal(err)
	}
	defer big.Close()
	if _, _, _, err := big.Do(context.Background(), http.MethodGet, "/big", nil, ""); err == nil || !strings.Contains(err.Error(), "larger than 1 MiB") {
		t.Errorf("an oversized answer: %v", err)
	}

	api, err := NewAPI(APIOptions{Name: "test", URL: srv.URL, Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	start := time.Now()
	done := make(chan error, 1)
	go func() { _, _, _, err := api.Do(context.Background(), http.MethodGet, "/slow", nil, ""); done <- err }()
	var got error
	wait.Eventually(t, "the slow request to end by its timeout", func() error {
		select {
		case got = <-done:
			return nil
		default:
			return errors.New("still waiting for an answer that never comes")
		}
	})
	if got == nil || !strings.Contains(got.Error(), "no answer from "+srv.URL+" within 200ms") {
		t.Errorf("a slow answer: %v", got)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("the request ended after %v, before its timeout", d)
	}
	if _, err := NewAPI(APIOptions{Name: "test", URL: "ftp://host"}); err == nil || !strings.Contains(err.Error(), "want http(s)://host:port") {
		t.Errorf("a URL that is not HTTP: %v", err)
	}
}
