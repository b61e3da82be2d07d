// Package wait is the tests' one way to wait for a condition: poll it until
// it holds, and fail saying what was awaited and what was last seen.
//
// There is no fixed clock here. A wait ends when the condition holds, when
// the caller's bound ends (a bound the test derived from what it measured),
// or, without one, shortly before the test binary's own deadline (go test
// -timeout), so that a slow, busy machine waits longer instead of failing.
package wait

import (
	"context"
	"testing"
	"time"
)

// Option bounds a wait.
type Option func(*bounds)

type bounds struct {
	within time.Duration
	ctx    context.Context
}

// Within ends the wait after d: pass a bound the test derived from a
// measurement on this machine, never a figure tuned to a quiet one.
func Within(d time.Duration) Option { return func(b *bounds) { b.within = d } }

// Context ends the wait when ctx ends.
func Context(ctx context.Context) Option { return func(b *bounds) { b.ctx = ctx } }

// deadliner is the part of *testing.T that knows the binary's deadline.
type deadliner interface{ Deadline() (time.Time, bool) }

// margin is kept before the binary's deadline so that the failure is
// reported by the test, with what it waited for, not by the runtime's panic.
const margin = 10 * time.Second

// Eventually polls cond until it returns nil. cond's error says what it saw
// instead; the last one is in the failure.
func Eventually(t testing.TB, what string, cond func() error, opts ...Option) {
	t.Helper()
	if err := For(t, cond, opts...); err != nil {
		t.Fatalf("waited in vain for %s: %v", what, err)
	}
}

// For polls cond as Eventually does and returns its last error when the
// wait ends without it holding (nil when it held).
func For(t testing.TB, cond func() error, opts ...Option) error {
	t.Helper()
	b := bounds{ctx: context.Background()}
	for _, o := range opts {
		o(&b)
	}
	ctx, cancel := b.ctx, context.CancelFunc(func() {})
	if b.within > 0 {
		ctx, cancel = context.WithTimeout(ctx, b.within)
	} else if d, ok := t.(deadliner); ok {
		if end, ok := d.Deadline(); ok {
			ctx, cancel = context.WithDeadline(ctx, end.Add(-margin))
		}
	}
	defer cancel()
	pause := 5 * time.Millisecond
	for {
		err := cond()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pause):
		}
		pause = min(2*pause, 200*time.Millisecond)
	}
}

// Bounded is a context that ends shortly before the test binary's deadline
// (go test -timeout), or only when cancelled without one: the bound of an
// operation whose time the test makes no claim about (a connection, a
// server's restart), so that a busy machine takes longer instead of failing.
func Bounded(t testing.TB) (context.Context, context.CancelFunc) {
	if d, ok := t.(deadliner); ok {
		if end, ok := d.Deadline(); ok {
			return context.WithDeadline(context.Background(), end.Add(-margin))
		}
	}
	return context.WithCancel(context.Background())
}
