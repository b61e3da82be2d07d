package prometheus

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/sources"
)

// heldLabels is a proxy to the shared Prometheus that holds each labels
// lookup until a ranking (a topk instant query) has arrived, or until the
// lookup's client gives up; it keeps the ranking queries in order.
type heldLabels struct {
	url string

	mu       sync.Mutex
	rankings []string
	ranked   chan struct{} // closed at the first ranking
	once     sync.Once
	held     int // lookups that saw a ranking arrive while they were held
}

func newHeldLabels(t *testing.T) *heldLabels {
	t.Helper()
	target, err := url.Parse(promURL(t))
	if err != nil {
		t.Fatal(err)
	}
	h := &heldLabels{ranked: make(chan struct{})}
	rp := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/api/v1/labels"):
			select {
			case <-h.ranked:
				h.mu.Lock()
				h.held++
				h.mu.Unlock()
			case <-r.Context().Done():
				return
			}
		case strings.HasSuffix(r.URL.Path, "/api/v1/query"):
			_ = r.ParseForm()
			if q := r.Form.Get("query"); strings.HasPrefix(q, "topk(") {
				h.mu.Lock()
				h.rankings = append(h.rankings, q)
				h.mu.Unlock()
				h.once.Do(func() { close(h.ranked) })
			}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	h.url = srv.URL
	return h
}

func (h *heldLabels) seen() (rankings []string, held int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.rankings), h.held
}

// TestRankingAskedBesideTheLabelsLookup: the breakdown's ranking does not
// wait for the labels lookup: a lookup held until a ranking arrives is
// answered, and the rows are Prometheus's, by the first preferred label.
func TestRankingAskedBesideTheLabelsLookup(t *testing.T) {
	t.Parallel()
	h := newHeldLabels(t)
	// Without the ranking beside it, the held lookup ends in this timeout.
	c := newClient(t, Options{URL: h.url, Timeout: 30 * time.Second})
	w := sources.WindowFor(time.Now(), 5*time.Minute, 10)
	b, err := c.Breakdown(context.Background(), goldenSpecs()[sources.RPS], "", w)
	if err != nil {
		t.Fatal(err)
	}
	rankings, held := h.seen()
	if held != 1 || b.Label != "handler" || len(b.Rows) < 2 {
		t.Fatalf("lookups answered after a ranking: %d; split by %q, %d rows", held, b.Label, len(b.Rows))
	}
	if len(rankings) != 1 || !strings.Contains(rankings[0], "sum by (handler)") {
		t.Errorf("rankings asked: %q", rankings)
	}
	// The rows are what the same breakdown asked of Prometheus directly gives.
	direct, err := newClient(t, Options{}).Breakdown(context.Background(), goldenSpecs()[sources.RPS], "handler", w)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rowValues(b), rowValues(direct); !slices.Equal(got, want) {
		t.Errorf("rows %v, asked directly %v", got, want)
	}
}

// TestWrongGuessOfTheLabel: a query whose series carry none of the first
// preferred label is split by the label the lookup finds first; the guess's
// ranking is dropped, and the next breakdown of the query guesses that label
// and asks no other ranking.
func TestWrongGuessOfTheLabel(t *testing.T) {
	t.Parallel()
	h := newHeldLabels(t)
	c := newClient(t, Options{URL: h.url, Timeout: 30 * time.Second})
	w := sources.WindowFor(time.Now(), 5*time.Minute, 10)
	spec := sources.SignalSpec{Key: "up", Query: `sum(up{job="fastapi-app"})`, Split: `sum by (` + sources.SplitLabel + `) (up{job="fastapi-app"})`}
	b, err := c.Breakdown(context.Background(), spec, "", w)
	if err != nil {
		t.Fatal(err)
	}
	if b.Label != "instance" || len(b.Rows) != 1 || !strings.HasPrefix(b.Rows[0].Value, "127.0.0.1:") || b.Rows[0].Current != 1 {
		t.Fatalf("split by %q: %+v", b.Label, b.Rows)
	}
	rankings, _ := h.seen()
	if len(rankings) != 2 || !strings.Contains(rankings[0], "by (handler)") || !strings.Contains(rankings[1], "by (instance)") {
		t.Fatalf("rankings asked: %q", rankings)
	}
	if _, err := c.Breakdown(context.Background(), spec, "", w); err != nil {
		t.Fatal(err)
	}
	if again, _ := h.seen(); len(again) != 3 || !strings.Contains(again[2], "by (instance)") {
		t.Errorf("rankings asked the second time: %q", again[2:])
	}
}

func rowValues(b sources.Breakdown) []string {
	var out []string
	for _, r := range b.Rows {
		out = append(out, r.Value)
	}
	return out
}
