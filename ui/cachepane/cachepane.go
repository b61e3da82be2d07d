package cachepane

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/frame"
	"github.com/opsdeck/opsdeck/ui/pane"
	"github.com/opsdeck/opsdeck/ui/poll"
	"github.com/opsdeck/opsdeck/ui/theme"
)

// Options configure the pane.
type Options struct {
	Source          sources.Cache // nil when not configured
	Problem         string
	Target          string
	Scrubber        *redact.Scrubber
	QueueThresholds sources.Thresholds
	// MemoryThresholds colour used memory as a share of maxmemory.
	MemoryThresholds sources.Thresholds
}

// Model is the Redis pane.
type Model struct {
	pane.Polled[sources.CacheState]
}

// New builds the pane.
func New(ctx *pane.Context, o Options) *Model {
	m := &Model{}
	m.Polled = pane.Polled[sources.CacheState]{
		Ctx: ctx, Poll: poll.State[sources.CacheState]{ID: ctx.ID("redis")}, Name: "Redis", Short: "redis",
		Configured: o.Source != nil, Problem: o.Problem, Target: o.Target, Scrubber: o.Scrubber,
		NewFetch: func() func(context.Context) (sources.CacheState, error) {
			src := o.Source
			return func(ctx context.Context) (sources.CacheState, error) { return src.Poll(ctx) }
		},
		Summary: func(st *theme.Styles, v sources.CacheState, w, _ int, stale bool) []string {
			return summaryLines(st, v, o.QueueThresholds, o.MemoryThresholds, w, stale, ctx.Now())
		},
	}
	return m
}

// State is the last good state.
func (m *Model) State() (sources.CacheState, bool) { return m.Poll.Last, m.Poll.HasLast }

func summaryLines(st *theme.Styles, s sources.CacheState, th, memTh sources.Thresholds, w int, stale bool, now time.Time) []string {
	ls := frame.NewLines(st, w, stale)
	add, dim := ls.Add, ls.Paint

	head := fmt.Sprintf("Redis %s %s · up %s", s.Version, s.Role, units.Span(units.FromSeconds(s.Uptime)))
	ping := fmt.Sprintf("ping %s", units.Format(s.Ping.Seconds(), units.Seconds))
	ls.Raw(frame.Spread(dim(st.Text).Render(head), dim(st.Muted).Render(ping), w))

	// Queues first: a backed-up Celery queue is the question on-call asks.
	if len(s.Queues) > 0 {
		var parts []string
		worst := sources.StatusOK
		for _, q := range s.Queues {
			if q.Error != "" {
				parts = append(parts, dim(st.Crit).Render(q.Name+" ⚠ "+q.Error))
				worst = sources.StatusCrit
				continue
			}
			status := th.Classify(float64(q.Length))
			if rank(status) > rank(worst) {
				worst = status
			}
			text := q.Name + " " + st.Value.Render(units.Count(q.Length))
			if stale {
				text = q.Name + " " + units.Count(q.Length)
			}
			if q.Growth != nil && q.GrowthOver >= time.Second {
				text += fmt.Sprintf(" (%+d in %s)", *q.Growth, units.Age(q.GrowthOver))
			}
			parts = append(parts, dim(st.ForStatus(status)).Render(text))
		}
		label := "queues "
		if worst != sources.StatusOK {
			label = "⚠ queues "
		}
		ls.Raw(frame.Fit(dim(st.ForStatus(worst)).Render(label)+strings.Join(parts, dim(st.Muted).Render(" · ")), w))
	}

	mem := "mem " + units.Format(float64(s.UsedMemory), units.Bytes)
	memPaint := st.Text
	if s.MaxMemory > 0 {
		use := float64(s.UsedMemory) / float64(s.MaxMemory)
		mem += fmt.Sprintf(" / %s (%s, %s)", units.Format(float64(s.MaxMemory), units.Bytes), units.Format(use, units.Ratio), s.MaxMemoryPolicy)
		memPaint = st.Status(memTh.Classify(use), st.Text)
	} else {
		mem += " (no maxmemory)"
	}
	mem += fmt.Sprintf(" · frag %.2f", s.Fragmentation)
	add(memPaint, mem)

	clients := fmt.Sprintf("%d clients", s.ConnectedClients)
	clientPaint := st.Text
	if s.BlockedClients > 0 {
		clients += fmt.Sprintf(" (%d blocked)", s.BlockedClients)
	}
	rates := fmt.Sprintf("%s · ops %s/s · hits %s", clients, units.FormatShort(s.OpsPerSec, units.None), ratio(s.HitRatio))
	if s.EvictedPerSec != nil {
		rates += fmt.Sprintf(" · evicted %s/s · expired %s/s", units.FormatShort(*s.EvictedPerSec, units.None), units.FormatShort(*s.ExpiredPerSec, units.None))
		if *s.EvictedPerSec > 0 {
			clientPaint = st.Warn
		}
	}
	add(clientPaint, rates)

	if len(s.Keyspace) == 0 {
		add(st.Muted, "keyspace empty")
	} else {
		var parts []string
		for _, db := range s.Keyspace {
			parts = append(parts, fmt.Sprintf("db%d %s keys (%s exp)", db.DB, units.Count(db.Keys), units.Count(db.Expires)))
		}
		add(st.Text, strings.Join(parts, " · "))
	}

	ps := s.Persistence
	persist := "rdb " + frame.Or(ps.RDBLastStatus, "?")
	if !ps.RDBLastSave.IsZero() {
		persist += " saved " + units.Age(now.Sub(ps.RDBLastSave)) + " ago"
	}
	persist += fmt.Sprintf(" (%s changes)", units.Count(ps.RDBChanges))
	if ps.AOFEnabled {
		persist += " · aof " + frame.Or(ps.AOFLastWrite, "?")
	} else {
		persist += " · aof off"
	}
	if ps.Loading {
		persist = "loading dataset… · " + persist
	}
	persistPaint := st.Text
	if !ps.OK() {
		persistPaint = st.Crit
	}
	rp := s.Replication
	repl := fmt.Sprintf(" · %d replica(s)", rp.ConnectedReplicas)
	if rp.LinkStatus != "" {
		repl = fmt.Sprintf(" · link %s to %s (io %ss ago)", rp.LinkStatus, rp.Master, fmt.Sprint(rp.LastIO))
		if rp.LinkStatus != "up" {
			persistPaint = st.Crit
		}
	}
	if s.Mode == sources.CacheModeCluster {
		repl = ""
	}
	add(persistPaint, persist+repl)

	for _, n := range s.Nodes {
		if n.Error != "" {
			add(st.Crit, fmt.Sprintf("  %s ⚠ %s", n.Addr, n.Error))
			continue
		}
		p := st.Text
		if n.LinkStatus != "" && n.LinkStatus != "up" {
			p = st.Crit
		}
		add(p, fmt.Sprintf("  %s %s %s keys · %s · %d clients · %s ops/s · ping %s", n.Addr, n.Role, units.Count(n.Keys),
			units.Format(float64(n.UsedMemory), units.Bytes), n.ConnectedClients, units.FormatShort(n.OpsPerSec, units.None),
			units.Format(n.PingMillis/1000, units.Seconds)))
	}
	if len(s.SlowLog) > 0 {
		add(st.Muted, "slowest commands")
		for _, e := range s.SlowLog {
			text := fmt.Sprintf("  %s %s", units.Format(e.Duration.Seconds(), units.Seconds), frame.OneLine(e.Command))
			if e.Node != "" {
				text += " @" + e.Node
			}
			add(st.Text, text)
		}
	}
	for _, h := range s.Hidden {
		add(st.Muted, "ⓘ "+h)
	}
	return ls.Out()
}

func rank(s sources.Status) int {
	switch s {
	case sources.StatusWarn:
		return 1
	case sources.StatusCrit:
		return 2
	}
	return 0
}

func ratio(p *float64) string {
	if p == nil {
		return "–"
	}
	return units.Format(*p, units.Ratio)
}
