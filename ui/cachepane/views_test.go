package cachepane

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/ui/pane/panetest"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/theme"
)

// fakeCache answers what the test sets.
type fakeCache struct {
	st  sources.CacheState
	err error
}

func (f *fakeCache) Poll(context.Context) (sources.CacheState, error) {
	if f.err != nil {
		return sources.CacheState{}, f.err
	}
	return f.st, nil
}

// incident is Redis during an incident: the Celery queue backs up while
// memory runs short and keys are evicted.
func incident() sources.CacheState {
	hit := 0.912
	ev, ex := 42.0, 1.5
	growth := int64(880)
	return sources.CacheState{
		Mode: "single", Version: "7.2.4", Role: "master", Uptime: 9 * 3600, Ping: 300 * time.Microsecond,
		ConnectedClients: 23, BlockedClients: 2, UsedMemory: 950 << 20, MaxMemory: 1 << 30, MaxMemoryPolicy: "allkeys-lru", Fragmentation: 1.12,
		OpsPerSec: 1840, HitRatio: &hit, EvictedPerSec: &ev, ExpiredPerSec: &ex,
		Keyspace:    []sources.CacheDB{{DB: 0, Keys: 48_210, Expires: 40_002}},
		Persistence: sources.CachePersistence{RDBLastStatus: "ok", RDBLastSave: t0.Add(-4 * time.Minute), RDBChanges: 1200},
		Replication: sources.CacheReplication{ConnectedReplicas: 1},
		Queues:      []sources.Queue{{Name: "emails", Length: 0}, {Name: "celery", Length: 1370, Growth: &growth, GrowthOver: 4 * time.Minute}},
		SlowLog:     []sources.SlowEntry{{ID: 9, Duration: 12 * time.Millisecond, Command: "KEYS session:*"}},
	}
}

// run hands the pane the result of cmd, as the program would.
func run(m *Model, cmd tea.Cmd) {
	if cmd != nil {
		m.Update(cmd())
	}
}

// newPane builds the pane in one of the states the goldens show: loading
// (no answer yet), ok, error (failing 12 s after its last answer), off
// (not configured).
func newPane(state string, w, h int) *Model {
	now := t0
	ctx := panetest.Context(func() time.Time { return now })
	src := &fakeCache{st: incident()}
	o := Options{Source: src, Target: "cache.qa:6379/0", QueueThresholds: sources.Thresholds{Warn: f(100), Crit: f(1000)},
		MemoryThresholds: sources.Thresholds{Warn: f(0.8), Crit: f(0.95)}}
	if state == "off" {
		o = Options{Problem: "no redis.url in the configuration"}
	}
	m := New(ctx, o)
	m.SetSize(w, h)
	fetch := m.Start()
	if state != "loading" {
		run(m, fetch)
	}
	if state == "error" {
		now = now.Add(12 * time.Second)
		src.err = errors.New("no answer from cache.qa:6379/0 within 5s")
		run(m, m.Fetch())
	}
	return m
}

// screen is the pane's view without colour, checked to be exactly w x h.
func screen(t *testing.T, m *Model, w, h int) string {
	t.Helper()
	return panetest.Screen(t, m.View(false), w, h)
}

// TestViews: the pane in every state at the small sizes the root gives it
// (a 2x2 grid at 80x24 and 100x30, a row of four at 160x48) and at the
// size of the zoomed pane.
func TestViews(t *testing.T) {
	// The Redis pane does not zoom: its largest size is only larger.
	sizes := []panetest.Size{{W: 40, H: 5}, {W: 50, H: 6}, {W: 40, H: 15}, {W: 160, H: 45}}
	panetest.Views(t, []string{"loading", "ok", "error", "off"}, sizes, func(state string, s panetest.Size) []string {
		return newPane(state, s.W, s.H).View(false)
	})
}

// TestSmallPaneKeepsTheQueue: at 40x5, during the incident and while the
// source fails with the incident as last data, the backed-up queue comes
// first with its length, uncut, before the memory and the evictions.
func TestSmallPaneKeepsTheQueue(t *testing.T) {
	for _, state := range []string{"ok", "error"} {
		s := screen(t, newPane(state, 40, 5), 40, 5)
		if !strings.Contains(s, "│ ⚠ 1.37k queued celery ") && !strings.Contains(s, "│ ⚠ 1370 queued celery ") {
			t.Errorf("%s: the queue's length is not on screen uncut:\n%s", state, s)
		}
	}
	s := screen(t, newPane("ok", 40, 5), 40, 5)
	if q, mem := strings.Index(s, "queued celery"), strings.Index(s, "% mem"); q < 0 || mem < 0 || q > mem {
		t.Errorf("the critical queue must come before the memory warning:\n%s", s)
	}
}

// TestFindingFirst: whatever is wrong comes first, its figure first, in a
// pane of three lines 36 cells wide (a 40x5 pane).
func TestFindingFirst(t *testing.T) {
	st := theme.New(theme.Dark(), true)
	evicted, expired := 3.0, 0.0
	for _, c := range []struct {
		name   string
		change func(*sources.CacheState)
		want   string
	}{
		{"the last save failed", func(s *sources.CacheState) { s.Persistence.RDBLastStatus = "err" }, "✖ rdb err"},
		{"the link to the master down", func(s *sources.CacheState) {
			s.Role, s.Replication = "slave", sources.CacheReplication{LinkStatus: "down", Master: "cache1:6379", LastIO: 40}
		}, "✖ link down to cache1:6379"},
		{"keys evicted", func(s *sources.CacheState) { s.EvictedPerSec, s.ExpiredPerSec = &evicted, &expired }, "⚠ 3.00/s evicted"},
		{"memory near maxmemory", func(s *sources.CacheState) { s.UsedMemory = 1000 << 20 }, "⚠ 97.7 % mem"},
		{"a cluster node down", func(s *sources.CacheState) {
			s.Nodes = []sources.CacheNode{{Addr: "10.0.0.1:7000", Role: "master"}, {Addr: "10.0.0.2:7000", Error: "connection refused"}}
		}, "10.0.0.2:7000 ⚠ connection refused"},
		{"a queue backed up, the worst first", func(s *sources.CacheState) {
			s.Queues = []sources.Queue{{Name: "emails", Length: 3}, {Name: "celery", Length: 5000}}
		}, "⚠ 5000 queued celery · 3 emails"},
	} {
		s := sources.CacheState{Version: "7.2.4", Role: "master", Uptime: 3600, UsedMemory: 100 << 20, MaxMemory: 1 << 30,
			Persistence: sources.CachePersistence{RDBLastStatus: "ok"}}
		c.change(&s)
		lines := summaryLines(st, s, sources.Thresholds{Warn: f(100), Crit: f(1000)}, sources.Thresholds{Warn: f(0.8), Crit: f(0.95)}, 36, 3, false, t0)
		if len(lines) != 3 {
			t.Errorf("%s: %d lines in a pane of 3", c.name, len(lines))
		}
		if got := strings.TrimRight(ansi.Strip(lines[0]), " "); !strings.HasPrefix(got, c.want) {
			t.Errorf("%s: first line %q, want it to start %q", c.name, got, c.want)
		}
	}
}
