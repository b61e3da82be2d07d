package sources

import (
	"math"
	"testing"
	"time"
)

func f(v float64) *float64 { return &v }

func TestClassify(t *testing.T) {
	th := Thresholds{Warn: f(0.01), Crit: f(0.05)}
	cases := map[float64]Status{0: StatusOK, 0.0099: StatusOK, 0.01: StatusWarn, 0.049: StatusWarn, 0.05: StatusCrit, 1: StatusCrit, math.NaN(): StatusNoData}
	for v, want := range cases {
		if got := th.Classify(v); got != want {
			t.Errorf("Classify(%v) = %s, want %s", v, got, want)
		}
	}
	if got := (Thresholds{}).Classify(1e12); got != StatusOK {
		t.Errorf("no thresholds: %s", got)
	}
	if got := (Thresholds{Crit: f(2)}).Classify(1.5); got != StatusOK {
		t.Errorf("crit only, below: %s", got)
	}
}

func TestWindowFor(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 7, 300e6, time.UTC)
	w := WindowFor(now, 15*time.Minute, 120)
	if w.Points() > 121 || w.Points() < 100 {
		t.Errorf("points = %d for 120 requested", w.Points())
	}
	if w.Length < 15*time.Minute {
		t.Errorf("window shrank to %v", w.Length)
	}
	if w.End.After(now) || now.Sub(w.End) >= w.Step || w.End.UnixNano()%int64(w.Step) != 0 {
		t.Errorf("end %v not aligned to step %v before %v", w.End, w.Step, now)
	}
	if w.Step%time.Second != 0 {
		t.Errorf("step %v not whole seconds", w.Step)
	}
	// Tiny panes still get a sane window; huge ones never go below a 1s step.
	if w := WindowFor(now, 15*time.Minute, 1); w.Points() != 2 {
		t.Errorf("1 point requested: %d", w.Points())
	}
	if w := WindowFor(now, time.Minute, 10000); w.Step != time.Second {
		t.Errorf("step below 1s: %v", w.Step)
	}
}

func TestMinMax(t *testing.T) {
	r := Reading{Points: []float64{math.NaN(), 3, 1, math.NaN(), 7, math.Inf(1)}}
	lo, hi, ok := r.MinMax()
	if !ok || lo != 1 || hi != 7 {
		t.Errorf("MinMax = %v %v %v", lo, hi, ok)
	}
	if _, _, ok := (Reading{Points: []float64{math.NaN()}}).MinMax(); ok {
		t.Error("all-NaN points reported a range")
	}
}
