package poll

import (
	"context"
	"errors"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return t0 }

func TestSuccessThenFailureKeepsLastData(t *testing.T) {
	s := &State[int]{ID: "p"}
	msg := s.Fetch(context.Background(), time.Second, clock, func(context.Context) (int, error) { return 7, nil })()
	if !s.InFlight() {
		t.Fatal("not in flight after Fetch")
	}
	if !s.Accept(msg.(Result[int])) || s.Last != 7 || !s.HasLast || s.InFlight() || s.Err != nil {
		t.Fatalf("after success: %+v", s)
	}
	boom := errors.New("boom")
	msg = s.Fetch(context.Background(), time.Second, clock, func(context.Context) (int, error) { return 0, boom })()
	s.Accept(msg.(Result[int]))
	if s.Last != 7 || !errors.Is(s.Err, boom) || s.FailingSince() != msg.(Result[int]).At {
		t.Fatalf("after failure the last data must stay: %+v", s)
	}
}

func TestStaleResultsAreDropped(t *testing.T) {
	s := &State[int]{ID: "p"}
	old := s.Fetch(context.Background(), time.Second, clock, func(context.Context) (int, error) { return 1, nil })
	s.Reset() // environment switch while the fetch runs
	if s.Accept(old().(Result[int])) || s.HasLast {
		t.Fatal("a result of the old generation was accepted")
	}
	if s.Due(Tick{ID: "p", Gen: 0}) {
		t.Fatal("a tick of the old generation is due")
	}
	if !s.Due(Tick{ID: "p", Gen: 1}) {
		t.Fatal("current tick not due")
	}
}

func TestRefreshNowDropsOverlap(t *testing.T) {
	s := &State[int]{ID: "p"}
	s.Fetch(context.Background(), time.Second, clock, func(context.Context) (int, error) { return 1, nil })
	if s.RefreshNow() {
		t.Fatal("refresh started a second, overlapping fetch")
	}
	s.Accept(Result[int]{ID: "p", Gen: 0, Value: 1})
	pendingTick := Tick{ID: "p", Gen: 0}
	if !s.RefreshNow() {
		t.Fatal("refresh while idle should fetch now")
	}
	if s.Due(pendingTick) {
		t.Fatal("the tick scheduled before the refresh would fetch twice")
	}
}

func TestDelayAlignsToTheClockFailingOrNot(t *testing.T) {
	s := &State[int]{ID: "p"}
	r := 2 * time.Second
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	if d := s.Delay(at(30), r); d != 1970*time.Millisecond {
		t.Fatalf("healthy delay from 30ms past a boundary = %v, want to the next boundary", d)
	}
	if d := s.Delay(at(1900), r); d != 2100*time.Millisecond {
		t.Fatalf("a result 100ms before a boundary should skip it: %v", d)
	}
	for i := 0; i < 5; i++ {
		s.Accept(Result[int]{ID: "p", Err: errors.New("down")})
	}
	// Failing, the longest wait is 1.25 intervals (a failure just before a
	// boundary), so recovery after a fault ends is within two.
	for ms := 0; ms < 2000; ms += 10 {
		if d := s.Delay(at(ms), r); d > 2500*time.Millisecond || d < 500*time.Millisecond {
			t.Fatalf("failing delay at +%dms = %v, want within [0.25, 1.25] intervals", ms, d)
		}
	}
	if !(&State[int]{HasLast: true, LastOK: t0}).Stale(t0.Add(5*time.Second), r) || (&State[int]{HasLast: true, LastOK: t0}).Stale(t0.Add(3*time.Second), r) {
		t.Fatal("stale means older than two refresh intervals")
	}
}

func TestFetchTimeout(t *testing.T) {
	s := &State[int]{ID: "p"}
	cmd := s.Fetch(context.Background(), 20*time.Millisecond, clock, func(ctx context.Context) (int, error) {
		<-ctx.Done()
		return 0, ctx.Err()
	})
	done := make(chan Result[int])
	go func() { done <- cmd().(Result[int]) }()
	select {
	case r := <-done:
		if !errors.Is(r.Err, context.DeadlineExceeded) {
			t.Fatalf("err = %v", r.Err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("fetch ignored its timeout")
	}
}
