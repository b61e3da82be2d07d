package poll

import (
	"github.com/opsdeck/opsdeck/internal/safetext"

	"context"
	"time"

	tea "charm.land/bubbletea/v2"
)

// Result is a fetch's outcome, routed back to the pane with this ID.
type Result[T any] struct {
	ID    string
	Gen   int
	Value T
	Err   error
	At    time.Time // when the fetch finished
}

// PaneID lets the root route the message to its pane alone.
func (r Result[T]) PaneID() string { return r.ID }

// Tick asks the pane with this ID to fetch again.
type Tick struct {
	ID  string
	Gen int
}

// PaneID routes the tick.
func (t Tick) PaneID() string { return t.ID }

// Refresh asks for a fetch now (the refresh key); the root sends it to every pane.
type Refresh struct{}

// Scheduler is what Update needs from the pane: the clock, the refresh
// interval and a timer (tea.Tick in the program, a recorder in tests).
type Scheduler struct {
	Now     func() time.Time
	Refresh time.Duration
	After   func(d time.Duration, msg tea.Msg) tea.Cmd
}

// Update handles the polling messages: a result schedules the next tick, a
// due tick or a refresh request starts fetch. Other messages are ignored.
func (s *State[T]) Update(msg tea.Msg, sch Scheduler, fetch func() tea.Cmd) tea.Cmd {
	switch msg := msg.(type) {
	case Result[T]:
		if s.Accept(msg) {
			return sch.After(s.Next(sch.Now(), sch.Refresh))
		}
	case Tick:
		if s.Due(msg) {
			return fetch()
		}
	case Refresh:
		if s.RefreshNow() {
			return fetch()
		}
	}
	return nil
}

// State is one pane's polling state.
type State[T any] struct {
	ID string

	gen      int
	inflight bool

	Last    T         // last good value
	HasLast bool      // whether Last holds anything
	LastOK  time.Time // when Last arrived
	Err     error     // the latest failure; nil after a success
	ErrAt   time.Time
	since   time.Time // the first failure of the current run
}

// FailingSince is when the source started failing (zero while it works).
func (s *State[T]) FailingSince() time.Time {
	if s.Err == nil {
		return time.Time{}
	}
	return s.since
}

// InFlight reports whether a fetch is running.
func (s *State[T]) InFlight() bool { return s.inflight }

// Fetch starts a fetch now. fn must only use values copied into it: it runs on
// another goroutine. The context ends after timeout (or when base ends).
func (s *State[T]) Fetch(base context.Context, timeout time.Duration, now func() time.Time, fn func(context.Context) (T, error)) tea.Cmd {
	s.inflight = true
	id, gen := s.ID, s.gen
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(base, timeout)
		defer cancel()
		v, err := fn(ctx)
		// What a source sent is text to show, never instructions to the
		// terminal: made safe here, once, for every pane.
		safetext.Value(&v)
		return Result[T]{ID: id, Gen: gen, Value: v, Err: safetext.Error(err), At: now()}
	}
}

// Accept records r if it belongs to the current generation and reports
// whether it did. Stale results are dropped.
func (s *State[T]) Accept(r Result[T]) bool {
	if r.Gen != s.gen {
		return false
	}
	s.inflight = false
	if r.Err != nil {
		if s.Err == nil {
			s.since = r.At
		}
		s.Err, s.ErrAt = r.Err, r.At
		return true
	}
	s.Err = nil
	s.Last, s.HasLast, s.LastOK = r.Value, true, r.At
	return true
}

// Delay is how long to wait before the next fetch: until the next multiple
// of the refresh interval on the wall clock. Aligning to the clock makes every
// pane fetch at the same instants, so their results land in one redraw
// instead of five.
//
// A failing source is retried on the same schedule, not with a growing
// backoff: the wait is then at most 1.25 intervals, so a pane recovers within
// two intervals of a fault ending. A source that hangs backs off by itself, as
// the next fetch starts only when the hung one has timed out.
func (s *State[T]) Delay(now time.Time, refresh time.Duration) time.Duration {
	next := now.Truncate(refresh).Add(refresh)
	if d := next.Sub(now); d >= refresh/4 {
		return d
	}
	return next.Add(refresh).Sub(now) // a result just before a boundary waits for the one after
}

// Next is the tick for the next fetch and how long to wait for it; the pane
// schedules it with its context's timer.
func (s *State[T]) Next(now time.Time, refresh time.Duration) (time.Duration, Tick) {
	return s.Delay(now, refresh), Tick{ID: s.ID, Gen: s.gen}
}

// Due reports whether a tick should start a fetch (current generation, idle).
func (s *State[T]) Due(t Tick) bool { return t.Gen == s.gen && !s.inflight }

// RefreshNow invalidates the pending tick and reports whether a fetch should
// start at once. While a fetch is in flight it does nothing: overlapping
// refreshes are dropped, not queued.
func (s *State[T]) RefreshNow() bool {
	if s.inflight {
		return false
	}
	s.gen++
	return true
}

// Reset forgets everything (an environment switch): results and ticks of the
// old generation are discarded when they arrive.
func (s *State[T]) Reset() {
	var zero T
	s.gen++
	s.inflight = false
	s.Last, s.HasLast, s.LastOK = zero, false, time.Time{}
	s.Err, s.ErrAt = nil, time.Time{}
}

// Stale reports whether the last good data is older than two refresh
// intervals: a fetch is late or failing. Fresh data is shown as "live" rather
// than with an age ticking every second, which would redraw the screen for
// nothing.
func (s *State[T]) Stale(now time.Time, refresh time.Duration) bool {
	return s.HasLast && now.Sub(s.LastOK) > 2*refresh
}
