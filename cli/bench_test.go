package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/internal/sandbox/originapi"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/internal/wire"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui"
)

// BenchmarkFirstCompleteFrame: from building the console to a frame in which
// every pane shows real data, against a real Prometheus on loopback.
// Budget (docs/PERFORMANCE.md): 500 ms.
func BenchmarkFirstCompleteFrame(b *testing.B) {
	const budget = 500 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := originapi.Start(b, originapi.Schedule{Start: time.Now(), Period: time.Hour}, 3)
	prom := sandboxtest.NewPrometheus(b, servers.PrometheusOptions{Targets: []string{addr}})
	wait, cancelWait := context.WithTimeout(ctx, 30*time.Second)
	defer cancelWait()
	if err := prom.WaitFor(wait, `count_over_time(up[1m]) >= 3`, func(s []servers.Sample) bool { return len(s) == 1 }); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "bench.yaml")
	os.WriteFile(path, []byte("environments:\n  bench: {prometheus: {url: \""+prom.URL()+"\"}}\n"), 0o600)
	cfg, err := config.Load(config.Options{Path: path})
	if err != nil {
		b.Fatal(err)
	}

	var worst time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		frame := firstCompleteFrame(b, cfg)
		if d := time.Since(start); d > worst {
			worst = d
		}
		if !strings.Contains(frame, "req/s") {
			b.Fatalf("frame without data:\n%s", frame)
		}
	}
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
	if worst > budget {
		b.Errorf("worst first frame %s: over the %s budget", worst, budget)
	}
}

// firstCompleteFrame runs the console's message loop the way Bubble Tea does
// (commands on goroutines, results back through Update) until every pane has
// data, and returns that frame.
func firstCompleteFrame(b *testing.B, cfg *config.Config) string {
	var env *sources.Environment
	defer func() { env.Close() }() // as quitting does: connections released
	m := ui.New(ui.Deps{
		Environments: []ui.EnvChoice{{Name: "bench"}},
		Initial:      "bench",
		Open: func(n string) (*sources.Environment, error) {
			var err error
			env, err = wire.Open(cfg, n, "bench")
			return env, err
		},
		Refresh: 2 * time.Second,
		Window:  15 * time.Minute,
		After:   func(time.Duration, tea.Msg) tea.Cmd { return nil }, // no second poll
	})
	msgs := make(chan tea.Msg, 64)
	exec := func(c tea.Cmd) {
		if c != nil {
			go func() { msgs <- c() }()
		}
	}
	exec(m.Init())
	_, c := m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	exec(c)
	timeout := time.After(10 * time.Second)
	for !m.Loaded() {
		select {
		case msg := <-msgs:
			switch msg := msg.(type) {
			case nil:
			case tea.BatchMsg:
				for _, c := range msg {
					exec(c)
				}
			default:
				_, c := m.Update(msg)
				exec(c)
			}
		case <-timeout:
			b.Fatalf("no complete frame within 10s:\n%s", m.Render())
		}
	}
	return m.View().Content
}
