package glance

import (
	"context"
	"time"

	"github.com/opsdeck/opsdeck/internal/snapshot"
	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
)

// Points is how many points a sparkline has.
const Points = snapshot.GlanceSignals

// Row is one environment at a glance, as read at At: its golden signals
// with their sparklines, and every other source's cells.
type Row struct {
	Name    string
	At      time.Time
	Signals []Signal
	Parts   []Part
}

// Signal is one golden signal: its value now, status, and its sparkline
// over the window.
type Signal struct {
	Key, Title string
	Unit       units.Unit
	Value      float64
	Has        bool
	Status     sources.Status
	Points     []float64
	Err        string
}

// Part is one source on the row: its cells as its section says them, why
// it could not be read ("" when it was), and the worst status its cells had
// as read (the screen may show older cells while it is down).
type Part struct {
	Source     string
	Configured bool
	Cells      []snapshot.Cell
	Down       string
	Worst      sources.Status
}

// NewPart is a source's part with the worst of its cells.
func NewPart(source string, configured bool, down string, cells ...snapshot.Cell) Part {
	p := Part{Source: source, Configured: configured, Cells: cells, Down: down}
	for _, c := range cells {
		if Rank(c.Status) > Rank(p.Worst) {
			p.Worst = c.Status
		}
	}
	return p
}

// Read reads env once, as a snapshot reads it at a glance: every source
// concurrently, each bounded by its own timeout; a part that fails says why
// and the rest stands. window is the sparklines' span.
func Read(ctx context.Context, env *sources.Environment, window time.Duration, now time.Time) Row {
	d := snapshot.TakeWith(ctx, env, now, snapshot.Options{Depth: snapshot.Glance, Window: window})
	r := Row{Name: env.Name, At: now}
	for _, spec := range env.Signals {
		m := d.Metrics[spec.Key]
		s := Signal{Key: spec.Key, Title: spec.Title, Unit: spec.Unit, Status: sources.Status(m.Status), Points: m.Points,
			Has: m.Value != nil, Err: m.Error}
		if m.Value != nil {
			s.Value = *m.Value
		} else if s.Err == "" {
			s.Err = m.Diagnosis
		}
		r.Signals = append(r.Signals, s)
	}
	for _, s := range snapshot.Sources() {
		if s.Name == "metrics" {
			continue
		}
		sec := s.Section(d)
		r.Parts = append(r.Parts, NewPart(s.Name, s.Configured(env), sec.Down(), sec.Cells()...))
	}
	return r
}

// Level is how bad the row is: the worst of its signals and of its parts'
// cells as read. A signal that cannot be read only warns: an unknown signal
// is not an outage in itself.
func (r Row) Level() sources.Status {
	level := sources.StatusOK
	worse := func(s sources.Status) {
		if Rank(s) > Rank(level) {
			level = s
		}
	}
	for _, s := range r.Signals {
		if s.Err != "" && s.Status == sources.StatusError {
			worse(sources.StatusWarn)
		} else {
			worse(s.Status)
		}
	}
	for _, p := range r.Parts {
		worse(p.Worst)
	}
	return level
}

// Part is the row's part of that source (ok false: none).
func (r Row) Part(source string) (Part, bool) {
	for _, p := range r.Parts {
		if p.Source == source {
			return p, true
		}
	}
	return Part{}, false
}

// Rank orders statuses from none through ok and warn (or error) to crit.
func Rank(s sources.Status) int { return snapshot.Rank(s) }
