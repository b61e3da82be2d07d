package units

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Unit names the physical unit of a metric value; the strings are the ones the
// JSON snapshot documents.
type Unit string

const (
	ReqPerSec Unit = "req/s"
	Ratio     Unit = "ratio"
	Seconds   Unit = "seconds"
	Bytes     Unit = "bytes"
	// Percentage is a value already multiplied by 100 (Grafana's "percent").
	Percentage Unit = "percent"
	None       Unit = ""
)

// Format renders v for a human: ratios as percent, seconds scaled to µs/ms/s/min,
// bytes in IEC multiples, rates with three significant digits.
func Format(v float64, u Unit) string {
	if math.IsNaN(v) {
		return "–"
	}
	if math.IsInf(v, 0) {
		if v > 0 {
			return "+Inf"
		}
		return "-Inf"
	}
	switch u {
	case ReqPerSec:
		return number(v) + " req/s"
	case Ratio:
		return percent(v * 100)
	case Percentage:
		return percent(v)
	case Seconds:
		return seconds(v)
	case Bytes:
		return bytes(v)
	default:
		return number(v)
	}
}

// FormatShort is Format without the unit where the unit is only a label
// (req/s); units that carry meaning (%, ms, MiB) are kept.
func FormatShort(v float64, u Unit) string {
	if u == ReqPerSec {
		return strings.TrimSuffix(Format(v, u), " req/s")
	}
	return Format(v, u)
}

// number prints three significant digits, switching to k/M suffixes for large values.
func number(v float64) string {
	a := math.Abs(v)
	switch {
	case a == 0:
		return "0"
	case a >= 1e9:
		return trim(v/1e9, 3) + "G"
	case a >= 1e6:
		return trim(v/1e6, 3) + "M"
	case a >= 1e4:
		return trim(v/1e3, 3) + "k"
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 0.01:
		return strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return strconv.FormatFloat(v, 'g', 2, 64)
	}
}

// trim formats with at most sig significant digits and no trailing zeros.
func trim(v float64, sig int) string {
	decimals := sig - 1 - int(math.Floor(math.Log10(math.Abs(v))))
	if decimals < 0 {
		decimals = 0
	}
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

func percent(p float64) string {
	a := math.Abs(p)
	switch {
	case a == 0:
		return "0 %"
	case a < 0.01:
		return "<0.01 %"
	case a < 10:
		return strconv.FormatFloat(p, 'f', 2, 64) + " %"
	default:
		return strconv.FormatFloat(p, 'f', 1, 64) + " %"
	}
}

func seconds(s float64) string {
	a := math.Abs(s)
	switch {
	case a == 0:
		return "0 s"
	case a < 1e-3:
		return trim(s*1e6, 3) + " µs"
	case a < 1:
		return trim(s*1e3, 3) + " ms"
	case a < 60:
		return strconv.FormatFloat(s, 'f', 2, 64) + " s"
	default:
		return time.Duration(s * float64(time.Second)).Round(time.Second).String()
	}
}

var iec = []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}

func bytes(b float64) string {
	a := math.Abs(b)
	i := 0
	for a >= 1024 && i < len(iec)-1 {
		a /= 1024
		b /= 1024
		i++
	}
	if i == 0 {
		return strconv.FormatFloat(b, 'f', 0, 64) + " B"
	}
	return trim(b, 3) + " " + iec[i]
}

// Kind is what a suffix in a written quantity says about its unit.
type Kind int

const (
	Plain    Kind = iota // a bare number: already in the metric's base unit
	Percent              // "5%": a ratio written as percent
	Duration             // "500ms", "2s"
	Size                 // "512MiB", "1GB"
)

func (k Kind) String() string {
	return [...]string{"a number", "a percentage", "a duration", "a byte size"}[k]
}

var sizeSuffixes = []struct {
	suffix string
	mult   float64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1},
}

// Parse reads a quantity as written in a config file: a bare number, a
// percentage ("5%" = 0.05), a Go duration ("1.5s", "500ms" -> seconds) or a
// byte size ("512MiB"). The Kind tells which, so callers can reject a size
// where a latency belongs.
func Parse(s string) (float64, Kind, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, Plain, fmt.Errorf("empty value")
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		return v, Plain, nil
	}
	if p, ok := strings.CutSuffix(s, "%"); ok {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return 0, Percent, fmt.Errorf("%q is not a percentage like 5%%", s)
		}
		return v / 100, Percent, nil
	}
	for _, sz := range sizeSuffixes {
		if n, ok := strings.CutSuffix(s, sz.suffix); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
			if err != nil {
				break
			}
			return v * sz.mult, Size, nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil {
		return d.Seconds(), Duration, nil
	}
	return 0, Plain, fmt.Errorf("%q is not a number, percentage (5%%), duration (500ms) or size (512MiB)", s)
}

// Accepts reports whether a quantity of kind k may be written for unit u.
func Accepts(u Unit, k Kind) bool {
	switch k {
	case Plain:
		return true
	case Percent:
		return u == Ratio
	case Duration:
		return u == Seconds
	case Size:
		return u == Bytes
	}
	return false
}

// Age renders how long ago something happened, coarsely: "3s", "2m", "1h5m".
func Age(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	default:
		h := int(d / time.Hour)
		m := int((d % time.Hour) / time.Minute)
		if m == 0 {
			return strconv.Itoa(h) + "h"
		}
		return strconv.Itoa(h) + "h" + strconv.Itoa(m) + "m"
	}
}

// ShortDuration prints whole durations without trailing zero units: 15m, 1h, 90s.
func ShortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// Span renders a duration with two units, for ages and uptimes: "42s",
// "3m12s", "4h05m", "3d4h".
func Span(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	default:
		return fmt.Sprintf("%dd%dh", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
	}
}

// Count renders a count compactly: 999, 12.3k, 4.5M.
func Count(n int64) string {
	if n < 1000 && n > -1000 {
		return strconv.FormatInt(n, 10)
	}
	return number(float64(n))
}

// Offset names how far back a comparison looks, as PromQL's offset would:
// "1d", "7d", "6h".
func Offset(d time.Duration) string {
	if day := 24 * time.Hour; d >= day && d%day == 0 {
		return strconv.Itoa(int(d/day)) + "d"
	}
	return ShortDuration(d)
}

// FromSeconds is a number of seconds (as PostgreSQL and Redis report ages) as a
// duration.
func FromSeconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
