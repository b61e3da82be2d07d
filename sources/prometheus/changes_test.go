package prometheus

import (
	"context"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/originapi"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
)

// flappingRule fires for ten seconds out of every twenty, so that a short
// window holds alerts both starting and resolving.
const flappingRule = `groups:
  - name: flapping
    rules:
      - alert: Flapping
        expr: vector(time() % 20) < 10
        labels: {severity: warning}
`

// TestPastComparisonAndMarks: a Prometheus holding an hour from a day ago
// and the last forty minutes of an instance that was deployed twenty
// minutes ago, with an alert that fires and resolves every twenty seconds.
// The ghost line equals Prometheus's own `offset 1d` answers; the deploy,
// the restart it caused and the alert's changes are marked at their times.
func TestPastComparisonAndMarks(t *testing.T) {
	t.Parallel()
	sandboxtest.SkipServers(t, "Prometheus")
	now := time.Now()
	deployAt := now.Add(-20 * time.Minute).Truncate(time.Second)
	sched := originapi.Schedule{Start: now.Add(-2 * time.Hour), Quiet: true,
		Deploys: []originapi.Deploy{{At: deployAt, Version: "1.4.2"}}}
	history := func(w io.Writer) error {
		return originapi.BackfillSpans(w, []originapi.Span{
			{From: now.Add(-24*time.Hour - 20*time.Minute), To: now.Add(-24*time.Hour + 2*time.Minute), Interval: 15 * time.Second},
			{From: now.Add(-40 * time.Minute), To: now.Add(-time.Minute), Interval: 5 * time.Second},
		}, originapi.Instance{Sched: sched, Labels: map[string]string{"job": "fastapi-app", "instance": "api-a:9"}, Seed: 3})
	}
	prom := sandboxtest.NewPrometheus(t, servers.PrometheusOptions{Rules: flappingRule, History: history})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	c := newClient(t, Options{URL: prom.URL()})

	// The ghost line, point by point, against the query written with offset.
	spec := sources.SignalSpec{Key: sources.RPS, Query: "sum(rate(http_requests_total[1m]))", Unit: units.ReqPerSec}
	w := sources.WindowFor(now.Add(-2*time.Minute), 10*time.Minute, 21)
	ghost, err := c.Earlier(ctx, spec, w, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(ghost) != w.Points() {
		t.Fatalf("ghost has %d points, the window %d", len(ghost), w.Points())
	}
	compared := 0
	for i, got := range ghost {
		at := w.Start().Add(time.Duration(i) * w.Step)
		s, err := prom.Query(ctx, "sum(rate(http_requests_total[1m] offset 1d))", at)
		if err != nil {
			t.Fatal(err)
		}
		if len(s) == 0 {
			if !math.IsNaN(got) {
				t.Errorf("point %d (%s): ghost %v, Prometheus has none", i, at.Format(time.TimeOnly), got)
			}
			continue
		}
		compared++
		if d := math.Abs(got - s[0].Value); d > 0.01*math.Abs(s[0].Value) {
			t.Errorf("point %d (%s): ghost %v, offset query %v", i, at.Format(time.TimeOnly), got, s[0].Value)
		}
	}
	if compared < w.Points()-2 {
		t.Errorf("only %d of %d ghost points had history to compare", compared, w.Points())
	}
	// A week ago there is nothing: every point a gap, not zero.
	week, err := c.Earlier(ctx, spec, w, 7*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range week {
		if !math.IsNaN(v) {
			t.Fatalf("point %d a week ago is %v, want no data", i, v)
		}
	}

	// The alert flaps on the server's own rule evaluations: read until the
	// window holds two starts and a resolve (about half a minute).
	var marks []sources.Mark
	find := func(kind sources.MarkKind, text string) []sources.Mark {
		var out []sources.Mark
		for _, m := range marks {
			if m.Kind == kind && strings.Contains(m.Text, text) {
				out = append(out, m)
			}
		}
		return out
	}
	wait.Eventually(t, "two alert starts and a resolve", func() error {
		marks, err = c.Changes(ctx, sources.WindowFor(time.Now(), 45*time.Minute, 2700)) // from before history begins
		if err == nil && (len(find(sources.MarkAlert, "Flapping")) < 2 || len(find(sources.MarkResolved, "Flapping")) < 1) {
			err = fmt.Errorf("the marks are %+v", marks)
		}
		return err
	}, wait.Context(ctx))
	// The mark names both versions: what a repository's log is asked between.
	deploys := find(sources.MarkDeploy, "deploy 1.4.1 → 1.4.2 on")
	if len(deploys) != 1 || deploys[0].At.Sub(deployAt).Abs() > 6*time.Second || !strings.Contains(deploys[0].Text, "api-a:9") ||
		deploys[0].From != "1.4.1" || deploys[0].To != "1.4.2" {
		t.Errorf("deploy marks %+v, want one at %s on api-a:9 (all: %+v)", deploys, deployAt.Format(time.TimeOnly), marks)
	}
	restarts := find(sources.MarkRestart, "api-a:9")
	if len(restarts) != 1 || !restarts[0].At.Equal(deployAt) {
		t.Errorf("restart marks %+v, want one at exactly %s", restarts, deployAt.Format(time.TimeOnly))
	}
	if len(find(sources.MarkDeploy, "→ 1.4.1")) != 0 {
		t.Errorf("the first build seen (where history begins) is marked as a deploy: %+v", marks)
	}
	fired, resolved := find(sources.MarkAlert, "Flapping (warning) firing"), find(sources.MarkResolved, "Flapping (warning) resolved")
	if len(fired) < 2 || len(resolved) == 0 {
		t.Fatalf("alert marks: %d firing, %d resolved (all: %+v)", len(fired), len(resolved), marks)
	}
	// Each mark sits on a change of the rule's phase, within the evaluation
	// and a step: starts at 0-3 s of the 20 s cycle, resolves at 10-13 s
	// (the first start is the server's own, whenever it began).
	for _, m := range append(fired[1:], resolved...) {
		phase := m.At.Unix() % 20
		want := int64(0)
		if m.Kind == sources.MarkResolved {
			want = 10
		}
		if d := (phase - want + 20) % 20; d > 3 {
			t.Errorf("%s at %s is %d s off its phase", m.Text, m.At.Format(time.TimeOnly), d)
		}
	}
}
