package snapshot

import (
	"context"
	"fmt"
	"strings"

	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
)

// Redis is the cache and Celery broker section, shaped like Postgres.
type Redis struct {
	Reachable bool   `json:"reachable"`
	Target    string `json:"target,omitempty"`
	Error     string `json:"error,omitempty"`
	*sources.CacheState
	queueThresholds, memoryThresholds sources.Thresholds
	configured                        bool
}

func redisSource() Source {
	return Source{Name: "redis", Key: "redis", Gate: GateAlways,
		configured: func(env *sources.Environment) bool { return isSet(env.Cache) },
		read:       func(ctx context.Context, r *reading) { r.doc.Redis = readRedis(ctx, r.env) },
		section:    func(d *Document) Section { return d.Redis }}
}

func readRedis(ctx context.Context, env *sources.Environment) Redis {
	out := Redis{Target: env.Cache.Target, queueThresholds: env.QueueThresholds, memoryThresholds: env.MemoryThresholds,
		configured: env.Cache.Source != nil}
	if env.Cache.Source == nil {
		out.Error = notConfigured(env.Cache.Problem)
		return out
	}
	st, err := env.Cache.Source.Poll(ctx)
	if err != nil {
		out.Error = env.Scrubber.Error(err)
		return out
	}
	out.Reachable, out.CacheState = true, &st
	return out
}

func (r Redis) Down() string {
	if r.configured && !r.Reachable {
		return r.Error
	}
	return ""
}

func (r Redis) Text(b *strings.Builder) {
	if !r.Reachable {
		fmt.Fprintf(b, "Redis: unreachable (%s)\n", r.Error)
		return
	}
	st := r.CacheState
	fmt.Fprintf(b, "Redis %s %s at %s: %s used, %d clients, %s ops/s\n", st.Version, st.Role, r.Target,
		units.Format(float64(st.UsedMemory), units.Bytes), st.ConnectedClients, units.FormatShort(st.OpsPerSec, units.None))
	for _, q := range st.Queues {
		if q.Error != "" {
			fmt.Fprintf(b, "  queue %s: %s\n", q.Name, q.Error)
		} else {
			fmt.Fprintf(b, "  queue %s: %d waiting\n", q.Name, q.Length)
		}
	}
	for _, k := range st.Keyspace {
		fmt.Fprintf(b, "  db%d: %d keys, %d expiring\n", k.DB, k.Keys, k.Expires)
	}
}

func (r Redis) Markdown(b *strings.Builder) {
	b.WriteString("## Redis\n\n")
	if !r.Reachable {
		fmt.Fprintf(b, "Unreachable: %s\n\n", orNone(r.Error))
		return
	}
	st := r.CacheState
	fmt.Fprintf(b, "- %s %s at `%s`: %s used", st.Role, st.Version, r.Target, units.Format(float64(st.UsedMemory), units.Bytes))
	if st.MaxMemory > 0 {
		fmt.Fprintf(b, " of %s", units.Format(float64(st.MaxMemory), units.Bytes))
	}
	fmt.Fprintf(b, ", %d clients, %s ops/s\n", st.ConnectedClients, units.FormatShort(st.OpsPerSec, units.None))
	for _, q := range st.Queues {
		switch {
		case q.Error != "":
			fmt.Fprintf(b, "- Queue `%s`: %s\n", q.Name, q.Error)
		case q.Growth != nil:
			fmt.Fprintf(b, "- Queue `%s`: %d waiting (%+d over %s)\n", q.Name, q.Length, *q.Growth, units.ShortDuration(q.GrowthOver))
		default:
			fmt.Fprintf(b, "- Queue `%s`: %d waiting\n", q.Name, q.Length)
		}
	}
	for _, k := range st.Keyspace {
		fmt.Fprintf(b, "- db%d: %d keys\n", k.DB, k.Keys)
	}
	b.WriteString("\n")
}

// longest is the longest queue the cache reads (ok false: none read).
func (r Redis) longest() (q sources.Queue, ok bool) {
	for _, x := range r.Queues {
		if x.Error == "" && (!ok || x.Length > q.Length) {
			q, ok = x, true
		}
	}
	return q, ok
}

// Cells: the longest queue (its figure first), then the memory used.
func (r Redis) Cells() []Cell {
	switch {
	case !r.configured:
		return []Cell{{Text: "Redis –"}}
	case !r.Reachable:
		return []Cell{{Text: "Redis down", Status: sources.StatusCrit}}
	}
	mem := Cell{Text: "Redis " + units.Format(float64(r.UsedMemory), units.Bytes), Status: sources.StatusOK}
	if r.MaxMemory > 0 {
		mem.Status = worst(sources.StatusOK, r.memoryThresholds.Classify(float64(r.UsedMemory)/float64(r.MaxMemory)))
	}
	if q, ok := r.longest(); ok {
		return []Cell{mem, {Text: fmt.Sprintf("%d %s", q.Length, q.Name), Status: r.queueThresholds.Classify(float64(q.Length))}}
	}
	return []Cell{mem}
}

// Findings: a cache that cannot be reached.
func (r Redis) Findings() []Finding {
	if r.configured && !r.Reachable {
		return []Finding{{Level: sources.StatusCrit, Text: "Redis at " + r.Target + " cannot be read: " + r.Error}}
	}
	return nil
}
