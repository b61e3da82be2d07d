package actionpane

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/opsdeck/opsdeck/ui/theme"
)

// hugePreview is an overlay asking about an action whose preview holds a
// head line of headBytes and n items of itemBytes each (a retry whose
// stored arguments are megabytes), in confirmation at w x h.
func hugePreview(headBytes, n, itemBytes, w, h int) *Model {
	words := strings.Repeat("retry args ", headBytes/22)
	head := words + strings.Repeat("a", headBytes-len(words)) // words, then one word of the rest
	item := `{"args": ["` + strings.Repeat("x", itemBytes) + `"]}`
	items := make([]string, n)
	for i := range items {
		items[i] = item // one backing array: the benchmark's memory stays small
	}
	m := New("prod", context.Background(), time.Now, []Action{{
		Name: "retry", Key: "r", Guard: Confirm,
		Preview: func(context.Context) (Preview, error) {
			// Never run: the overlay only asks.
			return Preview{Head: []string{head, "second line"}, Items: items}, nil
		},
	}}, testKeys())
	m.SetSize(w, h)
	cmd, _ := m.Press("r")
	m.Update(cmd())
	return m
}

// BenchmarkViewOfHugePreview: the confirmation of an action whose preview
// has a 1 MB head line and 1,000 items of 900 kB each draws in what a
// preview of a few kilobytes takes: every text is cut before it is laid
// out. Budget (docs/PERFORMANCE.md): 5 ms per View, at 160x48 and 80x24.
func BenchmarkViewOfHugePreview(b *testing.B) {
	const budget = 5 * time.Millisecond
	st := theme.New(theme.Dark(), true)
	for _, sz := range [][2]int{{160, 48}, {80, 24}} {
		m := hugePreview(1<<20, 1000, 900<<10, sz[0], sz[1])
		if m.phase != confirming {
			b.Fatalf("phase %d, want the confirmation", m.phase)
		}
		for _, phase := range []string{"confirming", "finished"} {
			b.Run(fmt.Sprintf("%dx%d/%s", sz[0], sz[1], phase), func(b *testing.B) {
				if phase == "finished" {
					// The run's output: lines as long as the items.
					m.phase, m.done = finished, Line{Done: true, Err: fmt.Errorf("retry failed: %s", m.preview.Items[0])}
					m.lines = make([]Line, maxLines)
					for i := range m.lines {
						m.lines[i] = Line{Text: m.preview.Items[0]}
					}
				}
				b.ReportAllocs()
				start := time.Now()
				for b.Loop() {
					_ = m.View(st)
				}
				if per := time.Since(start) / time.Duration(b.N); per > budget {
					b.Errorf("%s per View: over the %s budget", per, budget)
				}
			})
		}
	}
}

// TestViewOfHugePreview: the overlay of a megabyte preview fits its size,
// every line its width; the head keeps its start and leaves the question
// and some of the list in view.
func TestViewOfHugePreview(t *testing.T) {
	m := hugePreview(1<<20, 50, 900<<10, 120, 40)
	v := m.View(theme.New(theme.Dark(), true))
	if len(v) != 40 {
		t.Fatalf("%d lines in a 40-line overlay", len(v))
	}
	for _, l := range v {
		if ansi.StringWidth(l) != 120 {
			t.Fatalf("a line %d wide: %q", ansi.StringWidth(l), ansi.Strip(l))
		}
	}
	all := ansi.Strip(strings.Join(v, "\n"))
	for _, want := range []string{"│ retry args retry", "args…", `│   {"args": ["xxx`, "  1-3 of 50 ·", "[y/N]"} {
		if !strings.Contains(all, want) {
			t.Errorf("%q missing:\n%s", want, all)
		}
	}

	// Its output: a failure of a megabyte says its cause's start, how much
	// was left out and when it ended; each line of output fits.
	m.phase, m.done = finished, Line{Done: true, Err: fmt.Errorf("retry failed: %s", m.preview.Items[0])}
	m.lines = []Line{{Text: m.preview.Items[0]}, {Text: "日本語" + m.preview.Items[0]}}
	v = m.View(theme.New(theme.Dark(), true))
	all = ansi.Strip(strings.Join(v, "\n"))
	if len(v) > 40 || !strings.Contains(all, "more bytes) after 0s") || !strings.Contains(all, "│ 日本語{\"args\": [\"xxx") {
		t.Errorf("the output:\n%s", all)
	}
}
