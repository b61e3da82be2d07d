package cachepane

import (
	"context"
	"fmt"
	"slices"
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
		Summary: func(st *theme.Styles, v sources.CacheState, w, h int, stale bool) []string {
			return summaryLines(st, v, o.QueueThresholds, o.MemoryThresholds, w, h, stale, ctx.Now())
		},
	}
	return m
}

// State is the last good state.
func (m *Model) State() (sources.CacheState, bool) { return m.Poll.Last, m.Poll.HasLast }

// summaryLines are the pane's findings in at most h lines, most urgent
// first (a short pane keeps the top ones), each line with its figure before
// its label (a cut line keeps its number).
func summaryLines(st *theme.Styles, s sources.CacheState, th, memTh sources.Thresholds, w, h int, stale bool, now time.Time) []string {
	ls := frame.NewLines(st, w, stale)
	headLine(ls, st, s)
	queueLine(ls, st, s.Queues, th, stale)
	memoryLine(ls, st, s, memTh)
	clientLine(ls, st, s)
	keyspaceLine(ls, st, s.Keyspace)
	persistenceLine(ls, st, s, now)
	nodeLines(ls, st, s.Nodes)
	slowLines(ls, st, s.SlowLog)
	for _, x := range s.Hidden {
		ls.Add(frame.Ordinary, st.Muted, "ⓘ "+x)
	}
	return ls.Top(h)
}

// headLine is the version, the role and the uptime, the ping at the right.
func headLine(ls *frame.Lines, st *theme.Styles, s sources.CacheState) {
	dim := ls.Paint
	head := fmt.Sprintf("Redis %s %s · up %s", s.Version, s.Role, units.Span(units.FromSeconds(s.Uptime)))
	ping := fmt.Sprintf("ping %s", units.Format(s.Ping.Seconds(), units.Seconds))
	ls.Raw(frame.Ordinary, frame.Spread(dim(st.Text).Render(head), dim(st.Muted).Render(ping), ls.Width()))
}

// queueLine is the Celery queues' lengths, the worst queue first: a
// backed-up queue is the question on-call asks.
func queueLine(ls *frame.Lines, st *theme.Styles, queues []sources.Queue, th sources.Thresholds, stale bool) {
	if len(queues) == 0 {
		return
	}
	type part struct {
		status    sources.Status
		n, detail string
	}
	parts := make([]part, 0, len(queues))
	for _, q := range queues {
		if q.Error != "" {
			parts = append(parts, part{status: sources.StatusCrit, detail: q.Name + " ⚠ " + q.Error})
			continue
		}
		p := part{status: th.Classify(float64(q.Length)), n: units.Count(q.Length), detail: q.Name}
		if !stale {
			p.n = st.Value.Render(p.n)
		}
		if q.Growth != nil && q.GrowthOver >= time.Second {
			p.detail += fmt.Sprintf(" (%+d in %s)", *q.Growth, units.Age(q.GrowthOver))
		}
		parts = append(parts, p)
	}
	slices.SortStableFunc(parts, func(a, b part) int { return rank(b.status) - rank(a.status) })
	worst := parts[0].status
	texts := make([]string, len(parts))
	for i, p := range parts {
		text := p.detail
		switch {
		case p.n != "" && i == 0:
			text = p.n + " queued " + text
		case p.n != "":
			text = p.n + " " + text
		}
		texts[i] = ls.Paint(st.ForStatus(p.status)).Render(text)
	}
	line := strings.Join(texts, ls.Paint(st.Muted).Render(" · "))
	if worst != sources.StatusOK {
		line = ls.Paint(st.ForStatus(worst)).Render("⚠ ") + line
	}
	ls.Raw(frame.LevelOf(worst), frame.Fit(line, ls.Width()))
}

// memoryLine is the memory used, as a share of maxmemory first when there
// is one, and the fragmentation.
func memoryLine(ls *frame.Lines, st *theme.Styles, s sources.CacheState, memTh sources.Thresholds) {
	used := units.Format(float64(s.UsedMemory), units.Bytes)
	frag := fmt.Sprintf(" · %.2f frag", s.Fragmentation)
	if s.MaxMemory <= 0 {
		ls.Add(frame.Ordinary, st.Text, used+" mem (no maxmemory)"+frag)
		return
	}
	use := float64(s.UsedMemory) / float64(s.MaxMemory)
	status := memTh.Classify(use)
	ls.Add(frame.LevelOf(status), st.Status(status, st.Text), fmt.Sprintf("%s%s mem · %s / %s %s%s",
		frame.Mark(frame.LevelOf(status)), units.Format(use, units.Ratio), used, units.Format(float64(s.MaxMemory), units.Bytes), s.MaxMemoryPolicy, frag))
}

// clientLine is the clients, the operations, the hit ratio, and evictions
// (first, as a warning, while keys are evicted).
func clientLine(ls *frame.Lines, st *theme.Styles, s sources.CacheState) {
	clients := fmt.Sprintf("%d clients", s.ConnectedClients)
	if s.BlockedClients > 0 {
		clients += fmt.Sprintf(" (%d blocked)", s.BlockedClients)
	}
	rates := fmt.Sprintf("%s · %s ops/s · %s hits", clients, units.FormatShort(s.OpsPerSec, units.None), ratio(s.HitRatio))
	if s.EvictedPerSec == nil {
		ls.Add(frame.Ordinary, st.Text, rates)
		return
	}
	evicted := units.FormatShort(*s.EvictedPerSec, units.None) + "/s evicted"
	expired := units.FormatShort(*s.ExpiredPerSec, units.None) + "/s expired"
	if *s.EvictedPerSec > 0 {
		ls.Add(frame.Warning, st.Warn, "⚠ "+evicted+" · "+rates+" · "+expired)
		return
	}
	ls.Add(frame.Ordinary, st.Text, rates+" · "+evicted+" · "+expired)
}

// keyspaceLine is the keys of each database.
func keyspaceLine(ls *frame.Lines, st *theme.Styles, keyspace []sources.CacheDB) {
	if len(keyspace) == 0 {
		ls.Add(frame.Ordinary, st.Muted, "keyspace empty")
		return
	}
	parts := make([]string, len(keyspace))
	for i, db := range keyspace {
		parts[i] = fmt.Sprintf("%s keys db%d (%s exp)", units.Count(db.Keys), db.DB, units.Count(db.Expires))
	}
	ls.Add(frame.Ordinary, st.Text, strings.Join(parts, " · "))
}

// persistenceLine is the last RDB save and the AOF, and the replication
// link; a failed save or a link down is critical and comes first.
func persistenceLine(ls *frame.Lines, st *theme.Styles, s sources.CacheState, now time.Time) {
	ps, rp := s.Persistence, s.Replication
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
	level := frame.Ordinary
	if !ps.OK() {
		level, persist = frame.Critical, "✖ "+persist
	}
	switch {
	case s.Mode == sources.CacheModeCluster:
	case rp.LinkStatus == "":
		persist += fmt.Sprintf(" · %d replica(s)", rp.ConnectedReplicas)
	case rp.LinkStatus != "up":
		level = frame.Critical
		persist = fmt.Sprintf("✖ link %s to %s (io %ss ago) · %s", rp.LinkStatus, rp.Master, fmt.Sprint(rp.LastIO), strings.TrimPrefix(persist, "✖ "))
	default:
		persist += fmt.Sprintf(" · link %s to %s (io %ss ago)", rp.LinkStatus, rp.Master, fmt.Sprint(rp.LastIO))
	}
	if level == frame.Critical {
		ls.Add(level, st.Crit, persist)
		return
	}
	ls.Add(level, st.Text, persist)
}

// nodeLines are a cluster's nodes; a node that does not answer is critical.
func nodeLines(ls *frame.Lines, st *theme.Styles, nodes []sources.CacheNode) {
	for _, n := range nodes {
		if n.Error != "" {
			ls.Add(frame.Critical, st.Crit, fmt.Sprintf("%s ⚠ %s", n.Addr, n.Error))
			continue
		}
		level, p := frame.Ordinary, st.Text
		if n.LinkStatus != "" && n.LinkStatus != "up" {
			level, p = frame.Critical, st.Crit
		}
		ls.Add(level, p, fmt.Sprintf("  %s %s %s keys · %s · %d clients · %s ops/s · ping %s", n.Addr, n.Role, units.Count(n.Keys),
			units.Format(float64(n.UsedMemory), units.Bytes), n.ConnectedClients, units.FormatShort(n.OpsPerSec, units.None),
			units.Format(n.PingMillis/1000, units.Seconds)))
	}
}

// slowLines are the slowest commands, their duration first.
func slowLines(ls *frame.Lines, st *theme.Styles, log []sources.SlowEntry) {
	if len(log) == 0 {
		return
	}
	ls.Add(frame.Ordinary, st.Muted, "slowest commands")
	for _, e := range log {
		text := fmt.Sprintf("  %s %s", units.Format(e.Duration.Seconds(), units.Seconds), frame.OneLine(e.Command))
		if e.Node != "" {
			text += " @" + e.Node
		}
		ls.More(st.Text, text)
	}
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
