package chart

import (
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestRisingLine(t *testing.T) {
	vals := make([]float64, 8)
	for i := range vals {
		vals[i] = float64(i)
	}
	lines := Braille(vals, 4, 2, 0, 7)
	if len(lines) != 2 {
		t.Fatalf("%d lines", len(lines))
	}
	for _, l := range lines {
		if utf8.RuneCountInString(l) != 4 {
			t.Fatalf("line %q is not 4 cells", l)
		}
	}
	// The first point is the lowest dot of the bottom-left cell, the last the
	// highest dot of the top-right cell.
	bl := []rune(lines[1])[0] - 0x2800
	tr := []rune(lines[0])[3] - 0x2800
	if bl&0x40 == 0 {
		t.Errorf("bottom-left cell %U lacks its lowest-left dot", 0x2800+bl)
	}
	if tr&0x08 == 0 {
		t.Errorf("top-right cell %U lacks its top-right dot", 0x2800+tr)
	}
	if lines[0][0] != ' ' {
		t.Errorf("top-left should be empty for a rising line: %q", lines[0])
	}
}

func TestGapsAndFlat(t *testing.T) {
	nan := math.NaN()
	lines := Braille([]float64{nan, nan, nan, nan}, 2, 1, 0, 1)
	if lines[0] != "  " {
		t.Errorf("all-NaN chart should be blank, got %q", lines[0])
	}
	lines = Braille([]float64{5, 5, 5, 5}, 2, 2, 5, 5)
	if strings.TrimSpace(lines[0]+lines[1]) == "" {
		t.Error("a flat series should still be drawn")
	}
}

func TestResampleKeepsPeaks(t *testing.T) {
	vals := make([]float64, 100)
	vals[57] = 10
	out := resample(vals, 10)
	if out[5] != 10 {
		t.Errorf("peak lost: %v", out)
	}
	few := resample([]float64{1, 2}, 4)
	if few[0] != 1 || few[3] != 2 {
		t.Errorf("upsample = %v", few)
	}
}

func TestNoPanicOnOddSizes(t *testing.T) {
	for _, w := range []int{0, 1, 3} {
		for _, h := range []int{0, 1, 5} {
			got := Braille([]float64{1, math.Inf(1), 2}, w, h, math.NaN(), 2)
			if w > 0 && h > 0 && len(got) != h {
				t.Errorf("%dx%d: %d lines", w, h, len(got))
			}
		}
	}
}

func TestTimeAxis(t *testing.T) {
	start := time.Date(2026, 11, 30, 14, 15, 0, 0, time.UTC)
	got := TimeAxis(start, 15*time.Minute, 76)
	if len([]rune(got)) != 76 || !strings.HasPrefix(got, "14:15") || !strings.Contains(got, "14:20") || !strings.Contains(got, "14:25") || !strings.HasSuffix(got, "14:30") {
		t.Errorf("15 minutes in 76 cells: %q", got)
	}
	narrow := TimeAxis(start, 15*time.Minute, 20)
	if strings.Count(narrow, ":") > 2 || len([]rune(narrow)) != 20 {
		t.Errorf("labels must not crowd a narrow chart: %q", narrow)
	}
	day := TimeAxis(start, 24*time.Hour, 150)
	if !strings.Contains(day, "18:00") || strings.Contains(day, "14:20") {
		t.Errorf("a day: %q", day)
	}
}
