package units

import (
	"math"
	"testing"
	"time"
)

func TestFormat(t *testing.T) {
	cases := []struct {
		v    float64
		u    Unit
		want string
	}{
		{0, ReqPerSec, "0 req/s"},
		{0.523, ReqPerSec, "0.52 req/s"},
		{12.34, ReqPerSec, "12.3 req/s"},
		{123.4, ReqPerSec, "123 req/s"},
		{12345, ReqPerSec, "12.3k req/s"},
		{0.031, Ratio, "3.10 %"},
		{0, Ratio, "0 %"},
		{0.00001, Ratio, "<0.01 %"},
		{0.5, Ratio, "50.0 %"},
		{0.245, Seconds, "245 ms"},
		{0.0008, Seconds, "800 µs"},
		{1.234, Seconds, "1.23 s"},
		{125, Seconds, "2m5s"},
		{512 * 1024 * 1024, Bytes, "512 MiB"},
		{1.5 * 1024 * 1024 * 1024, Bytes, "1.5 GiB"},
		{900, Bytes, "900 B"},
		{math.NaN(), Seconds, "–"},
		{math.Inf(1), Seconds, "+Inf"},
	}
	for _, c := range cases {
		if got := Format(c.v, c.u); got != c.want {
			t.Errorf("Format(%v, %q) = %q, want %q", c.v, c.u, got, c.want)
		}
	}
}

func TestParse(t *testing.T) {
	cases := []struct {
		in   string
		want float64
		kind Kind
	}{
		{"0.05", 0.05, Plain},
		{"5%", 0.05, Percent},
		{"1.5 %", 0.015, Percent},
		{"2s", 2, Duration},
		{"500ms", 0.5, Duration},
		{"512MiB", 512 << 20, Size},
		{"1GB", 1e9, Size},
		{"3", 3, Plain},
	}
	for _, c := range cases {
		got, kind, err := Parse(c.in)
		if err != nil || math.Abs(got-c.want) > 1e-12 || kind != c.kind {
			t.Errorf("Parse(%q) = %v, %v, %v; want %v, %v", c.in, got, kind, err, c.want, c.kind)
		}
	}
	for _, bad := range []string{"", "fast", "5 percent", "x%", "12parsecs"} {
		if _, _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted a bad value", bad)
		}
	}
}

func TestAccepts(t *testing.T) {
	if Accepts(Seconds, Size) || Accepts(Bytes, Percent) || Accepts(Ratio, Duration) {
		t.Fatal("a mismatched suffix was accepted")
	}
	if !Accepts(Ratio, Percent) || !Accepts(Seconds, Duration) || !Accepts(Bytes, Size) || !Accepts(ReqPerSec, Plain) {
		t.Fatal("a matching suffix was refused")
	}
}

func TestAgeAndShortDuration(t *testing.T) {
	ages := map[time.Duration]string{
		-time.Second: "0s", 12 * time.Second: "12s", 3 * time.Minute: "3m",
		time.Hour: "1h", 65 * time.Minute: "1h5m",
	}
	for d, want := range ages {
		if got := Age(d); got != want {
			t.Errorf("Age(%v) = %q, want %q", d, got, want)
		}
	}
	shorts := map[time.Duration]string{
		15 * time.Minute: "15m", time.Hour: "1h", 90 * time.Second: "1m30s", 2 * time.Second: "2s",
	}
	for d, want := range shorts {
		if got := ShortDuration(d); got != want {
			t.Errorf("ShortDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestFormatShort(t *testing.T) {
	if got := FormatShort(12.34, ReqPerSec); got != "12.3" {
		t.Errorf("req/s: %q", got)
	}
	if got := FormatShort(0.031, Ratio); got != "3.10 %" {
		t.Errorf("ratio keeps its unit: %q", got)
	}
}

func TestSpanAndCount(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{{-time.Second, "0s"}, {42 * time.Second, "42s"}, {192 * time.Second, "3m12s"}, {4*time.Hour + 5*time.Minute, "4h05m"}, {76 * time.Hour, "3d4h"}} {
		if got := Span(c.d); got != c.want {
			t.Errorf("Span(%v) = %q, want %q", c.d, got, c.want)
		}
	}
	for _, c := range []struct {
		n    int64
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1000"}, {12345, "12.3k"}, {4_500_000, "4.5M"}} {
		if got := Count(c.n); got != c.want {
			t.Errorf("Count(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}
