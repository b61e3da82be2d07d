package sources_test

import (
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/sources"
)

func TestFocused(t *testing.T) {
	q := config.DefaultQueries(config.DefaultSelector, time.Minute)
	s := config.DefaultSplits(config.DefaultSelector, time.Minute)
	spec := sources.SignalSpec{Title: "Error rate", Query: q.ErrorRate, Split: s.ErrorRate}
	got, err := sources.Narrowed(spec, sources.Narrowing{Label: "handler", Value: "/api/chat"})
	want := `(sum(rate(http_requests_total{job="fastapi-app", status=~"5..", handler="/api/chat"}[1m])) or vector(0)) / sum(rate(http_requests_total{job="fastapi-app", handler="/api/chat"}[1m]))`
	if err != nil || got.Query != want {
		t.Errorf("query:\n%s\nwant\n%s (%v)", got.Query, want, err)
	}
	wantSplit := `(sum by (` + sources.SplitLabel + `) (rate(http_requests_total{job="fastapi-app", status=~"5..", handler="/api/chat"}[1m])) or 0 * sum by (` + sources.SplitLabel + `) (rate(http_requests_total{job="fastapi-app", handler="/api/chat"}[1m]))) / sum by (` + sources.SplitLabel + `) (rate(http_requests_total{job="fastapi-app", handler="/api/chat"}[1m]))`
	if got.Split != wantSplit {
		t.Errorf("split:\n%s\nwant\n%s", got.Split, wantSplit)
	}
	if same, err := sources.Narrowed(spec, sources.Narrowing{}); err != nil || same != spec {
		t.Error("no focus changes nothing")
	}
	if _, err := sources.Narrowed(sources.SignalSpec{Title: "Broken", Query: "sum(rate(x[1m]"}, sources.Narrowing{Label: "handler", Value: "/"}); err == nil {
		t.Error("a query that does not read was focused")
	}
	if f := (sources.Narrowing{Label: "handler", Value: `/a"b`}); f.String() != `handler="/a\"b"` {
		t.Errorf("String: %s", f.String())
	}
}
