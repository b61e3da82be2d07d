package frame

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// megabyte is a line of about n bytes: words, then one word of the rest
// (a task's JSON arguments have no spaces).
func megabyte(n int) string {
	words := strings.Repeat("args are ", n/18)
	return words + strings.Repeat("x", n-len(words))
}

func TestCut(t *testing.T) {
	if got := Cut("short", 10); got != "short" {
		t.Errorf("short text: %q", got)
	}
	s := strings.Repeat("é", 5000) // two bytes each: a cut must not split one
	got := Cut(s, 1000)
	if len(got) > 1000 || !utf8.ValidString(got) {
		t.Fatalf("%d bytes, valid UTF-8 %v", len(got), utf8.ValidString(got))
	}
	kept, _, _ := strings.Cut(got, "…")
	if want := fmt.Sprintf("… (%d more bytes)", len(s)-len(kept)); !strings.HasSuffix(got, want) {
		t.Errorf("ends %q, want %q", got[len(got)-30:], want)
	}
	if again := Cut(got, 1000); again != got {
		t.Errorf("cut twice: %q", again[len(again)-30:])
	}
	if got := Cut(s, 5); len(got) > 5 || !utf8.ValidString(got) {
		t.Errorf("a bound too small for the note: %q", got)
	}
}

// TestWrapOfAMegabyteLine: a 1 MB line wraps into a bounded number of
// lines, none wider than asked, the last saying what was left out.
func TestWrapOfAMegabyteLine(t *testing.T) {
	for _, w := range []int{20, 76, 156} {
		lines := Wrap(megabyte(1<<20), w)
		// A line broken at a space can be short: at most two lines per w cells.
		if limit := 2*MaxText/w + 2; len(lines) > limit {
			t.Errorf("width %d: %d lines, want at most %d", w, len(lines), limit)
		}
		for _, l := range lines {
			if ansi.StringWidth(l) > w {
				t.Fatalf("width %d: line %q is wider", w, l)
			}
		}
		if all := strings.Join(lines, " "); !strings.Contains(all, "more bytes)") {
			t.Errorf("width %d: the cut is not said: %q", w, all[len(all)-40:])
		}
	}
	if n := len(WrapN(megabyte(1<<20), 80, 3)); n != 3 {
		t.Errorf("WrapN kept %d lines", n)
	}
}

// TestWrapBreaksLongWords: a word longer than the line is broken where the
// line ends, wide characters whole.
func TestWrapBreaksLongWords(t *testing.T) {
	for _, c := range []struct {
		in   string
		w    int
		want []string
	}{
		{"abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"go abcdefghij", 4, []string{"go", "abcd", "efgh", "ij"}},
		{"日本語のテキスト", 5, []string{"日本", "語の", "テキ", "スト"}},
	} {
		if got := Wrap(c.in, c.w); strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("Wrap(%q, %d) = %q, want %q", c.in, c.w, got, c.want)
		}
	}
}

// TestFitOfAMegabyteLine: a long plain line is cut before it is measured,
// with the same result as measuring it whole.
func TestFitOfAMegabyteLine(t *testing.T) {
	if got := Fit(megabyte(1<<20), 12); got != "args are ar…" {
		t.Errorf("%q", got)
	}
	if got := Fit(strings.Repeat("x", 1<<20), 5); got != "xxxx…" {
		t.Errorf("%q", got)
	}
}

// BenchmarkWrap: wrapping a megabyte line (what a retry's stored arguments
// can be) costs what wrapping MaxText bytes does. Budget
// (docs/PERFORMANCE.md): 2 ms.
func BenchmarkWrap(b *testing.B) {
	const budget = 2 * time.Millisecond
	for _, size := range []int{1 << 10, 100 << 10, 1 << 20} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			line := megabyte(size)
			b.ReportAllocs()
			start := time.Now()
			for b.Loop() {
				_ = Wrap(line, 156)
			}
			if per := time.Since(start) / time.Duration(b.N); per > budget {
				b.Errorf("%s per wrap: over the %s budget", per, budget)
			}
		})
	}
}
