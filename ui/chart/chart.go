package chart

import (
	"math"
	"strings"
	"time"
)

// dotBits[y][x] is the braille bit of the dot at column x (0..1), row y (0..3).
var dotBits = [4][2]rune{{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}}

// Columns returns how many points a chart w cells wide draws.
func Columns(w int) int { return 2 * w }

// Braille renders values (NaN = no data, drawn as a gap) scaled between lo and
// hi into h lines of exactly w cells. Consecutive points are joined vertically
// so the line reads as a line. Values are resampled to the chart's 2w dot
// columns, keeping each column's peak.
func Braille(values []float64, w, h int, lo, hi float64) []string {
	lines, _ := Layers(w, h, lo, hi, values)
	return lines
}

// Layers draws several lines on one chart, each as Braille would, and says
// which layer each cell shows: the first layer drawn there (owner -1: an
// empty cell). A cell two layers cross holds both layers' dots.
func Layers(w, h int, lo, hi float64, layers ...[]float64) (lines []string, owner [][]int8) {
	if w <= 0 || h <= 0 {
		return nil, nil
	}
	grid := make([]rune, w*h)
	own := make([]int8, w*h)
	for i := range own {
		own[i] = -1
	}
	for li, values := range layers {
		g := plot(values, w, h, lo, hi)
		for i, bits := range g {
			if bits != 0 && own[i] < 0 {
				own[i] = int8(li)
			}
			grid[i] |= bits
		}
	}
	lines, owner = make([]string, h), make([][]int8, h)
	var b strings.Builder
	for row := 0; row < h; row++ {
		b.Reset()
		for _, r := range grid[row*w : (row+1)*w] {
			if r == 0 {
				b.WriteByte(' ')
			} else {
				b.WriteRune(0x2800 + r)
			}
		}
		lines[row], owner[row] = b.String(), own[row*w:(row+1)*w]
	}
	return lines, owner
}

// plot is values' braille dots on a w x h grid of cells.
func plot(values []float64, w, h int, lo, hi float64) []rune {
	cols, rows := 2*w, 4*h
	ys := resample(values, cols)
	if hi < lo || math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		lo, hi = 0, 1
	}
	flat := hi == lo
	grid := make([]rune, w*h)
	level := func(v float64) int {
		if flat {
			return rows / 2
		}
		l := int(math.Round((v - lo) / (hi - lo) * float64(rows-1)))
		return min(max(l, 0), rows-1)
	}
	set := func(x, l int) {
		y := rows - 1 - l // level 0 is the bottom dot row
		grid[(y/4)*w+x/2] |= dotBits[y%4][x%2]
	}
	prev := -1
	for x, v := range ys {
		if math.IsNaN(v) {
			prev = -1
			continue
		}
		l := level(v)
		from, to := l, l
		if prev >= 0 { // join to the previous point, half way each side
			mid := (prev + l) / 2
			if prev < l {
				from = mid + 1
			} else if prev > l {
				to = mid
			}
		}
		for y := min(from, to); y <= max(from, to); y++ {
			set(x, y)
		}
		if prev >= 0 && x > 0 {
			mid := (prev + l) / 2
			for y := min(prev, mid); y <= max(prev, mid); y++ {
				set(x-1, y)
			}
		}
		prev = l
	}
	return grid
}

// resample maps n values onto cols columns: each column takes the largest
// value of the points it covers (peaks survive), or the nearest point when
// there are fewer points than columns.
func resample(values []float64, cols int) []float64 {
	n := len(values)
	out := make([]float64, cols)
	if n == 0 {
		for i := range out {
			out[i] = math.NaN()
		}
		return out
	}
	if n == cols {
		copy(out, values)
		return out
	}
	for x := 0; x < cols; x++ {
		start, end := x*n/cols, (x+1)*n/cols
		if end <= start { // fewer points than columns
			i := 0
			if cols > 1 {
				i = int(math.Round(float64(x) * float64(n-1) / float64(cols-1)))
			}
			out[x] = values[i]
			continue
		}
		peak := math.NaN()
		for _, v := range values[start:end] {
			if !math.IsNaN(v) && (math.IsNaN(peak) || v > peak) {
				peak = v
			}
		}
		out[x] = peak
	}
	return out
}

// TimeAxis is a line of w cells under a chart of the window [start,
// start+length]: clock labels at round times, as many as fit with room
// between them.
func TimeAxis(start time.Time, length time.Duration, w int) string {
	if w <= 0 || length <= 0 {
		return strings.Repeat(" ", max(w, 0))
	}
	const label = 5 // "15:04"
	steps := []time.Duration{time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
		time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour}
	step := steps[len(steps)-1]
	for _, s := range steps {
		if float64(w)/(float64(length)/float64(s)) >= 3*label {
			step = s
			break
		}
	}
	line := []rune(strings.Repeat(" ", w))
	next := 0 // the first cell a label may use
	for t := start.Truncate(step); !t.After(start.Add(length)); t = t.Add(step) {
		if t.Before(start) {
			continue
		}
		x := int(math.Round(float64(t.Sub(start))/float64(length)*float64(w-1))) - label/2
		x = min(max(x, 0), w-label)
		if x < next || x < 0 {
			continue
		}
		copy(line[x:], []rune(t.Format("15:04")))
		next = x + label + 1
	}
	return string(line)
}

// Column is the cell of a chart w cells wide, over [start, start+length],
// that instant t falls in; ok is false outside the window.
func Column(start time.Time, length time.Duration, w int, t time.Time) (x int, ok bool) {
	if w <= 0 || length <= 0 || t.Before(start) || t.After(start.Add(length)) {
		return 0, false
	}
	return int(math.Round(float64(t.Sub(start)) / float64(length) * float64(w-1))), true
}
