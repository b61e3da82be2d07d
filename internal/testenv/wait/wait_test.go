package wait

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestForReturnsOnceTheConditionHolds(t *testing.T) {
	calls := 0
	err := For(t, func() error {
		calls++
		if calls < 4 {
			return fmt.Errorf("call %d", calls)
		}
		return nil
	})
	if err != nil || calls != 4 {
		t.Fatalf("err %v after %d calls, want nil after 4", err, calls)
	}
}

func TestForEndsWithItsBoundAndTheLastError(t *testing.T) {
	calls := 0
	err := For(t, func() error { calls++; return fmt.Errorf("seen %d", calls) }, Within(30*time.Millisecond))
	if err == nil || err.Error() != fmt.Sprintf("seen %d", calls) {
		t.Fatalf("err %v, want the last of %d calls", err, calls)
	}
	if calls < 2 {
		t.Fatalf("%d calls, want the condition polled more than once", calls)
	}
}

func TestEventuallyFailsSayingWhatItAwaited(t *testing.T) {
	rec := &recorder{TB: t}
	func() {
		defer func() { _ = recover() }()
		Eventually(rec, "the queue to drain", func() error { return errors.New("3 left") }, Within(10*time.Millisecond))
	}()
	if want := "waited in vain for the queue to drain: 3 left"; rec.msg != want {
		t.Fatalf("failure %q, want %q", rec.msg, want)
	}
}

// recorder keeps a Fatalf's message instead of ending the test.
type recorder struct {
	testing.TB
	msg string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	panic("fatal")
}

func TestBoundedEndsBeforeTheBinarysDeadline(t *testing.T) {
	ctx, cancel := Bounded(t)
	defer cancel()
	got, ok := ctx.Deadline()
	end, has := t.Deadline()
	if ok != has || (has && !got.Equal(end.Add(-margin))) {
		t.Fatalf("deadline %v (%v), want %v before the binary's %v (%v)", got, ok, margin, end, has)
	}
}
