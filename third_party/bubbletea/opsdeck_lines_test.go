package tea

// opsdeck's test of its patch (PATCHED.md): a frame draws again only the
// lines that changed, and the screen it leaves is the one a whole draw
// leaves.

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	uv "github.com/charmbracelet/ultraviolet"
)

const linesW, linesH = 30, 8

// styledLine is line y of frame n: plain, bold or coloured segments, each
// closed by a reset, some wide runes; the pen always back at rest.
func styledLine(r *rand.Rand) string {
	var b strings.Builder
	for b.Len() < 40 {
		word := []string{"ok", "▂▄█", "⣿⡇", "日本", "p95", "│", " "}[r.IntN(7)]
		switch r.IntN(3) {
		case 0:
			b.WriteString(word)
		case 1:
			fmt.Fprintf(&b, "\x1b[1m%s\x1b[m", word)
		default:
			fmt.Fprintf(&b, "\x1b[38;5;%dm%s\x1b[m", r.IntN(256), word)
		}
	}
	return b.String()
}

// wholeDraw is the cell buffer a whole draw of content leaves.
func wholeDraw(content string) uv.ScreenBuffer {
	buf := uv.NewScreenBuffer(linesW, linesH)
	buf.Clear()
	uv.NewStyledString(content).Draw(buf, buf.Bounds())
	return buf
}

func sameCells(t *testing.T, got, want uv.ScreenBuffer, frame int) {
	t.Helper()
	for y := range linesH {
		for x := range linesW {
			if g, w := got.CellAt(x, y), want.CellAt(x, y); (g == nil) != (w == nil) || g != nil && !g.Equal(w) {
				t.Fatalf("frame %d: cell %d,%d is %+v, a whole draw makes it %+v", frame, x, y, g, w)
			}
		}
	}
}

// TestOnlyChangedLinesDrawn: frames changing a few lines at a time, through
// the renderer: after each, its cells are a whole draw's; and drawing a
// frame by its changed lines touches only those.
func TestOnlyChangedLinesDrawn(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var out bytes.Buffer
	s := newCursedRenderer(&out, []string{"TERM=xterm-256color"}, linesW, linesH)
	lines := make([]string, linesH)
	for y := range lines {
		lines[y] = styledLine(r)
	}
	for frame := range 200 {
		previous := slices.Clone(lines)
		changed := 0
		if frame > 0 {
			for y := range lines {
				if r.IntN(4) == 0 {
					lines[y], changed = styledLine(r), changed+1
				}
			}
		}
		content := strings.Join(lines, "\n")
		view := View{Content: content, AltScreen: true}
		if only := s.changedOnly(view, s.cellbuf.Bounds(), lines); only != (frame > 0) {
			t.Fatalf("frame %d: changed lines alone %v", frame, only)
		}
		if frame > 0 { // the draw alone, on the last frame drawn whole
			buf := wholeDraw(strings.Join(previous, "\n"))
			buf.Touched = make([]*uv.LineData, linesH)
			saved := s.cellbuf
			s.cellbuf = buf
			s.draw(uv.NewStyledString(content), lines, previous, true)
			s.cellbuf = saved
			if touched := buf.TouchedLines(); touched > changed {
				t.Fatalf("frame %d: %d lines touched, %d changed", frame, touched, changed)
			}
			sameCells(t, buf, wholeDraw(content), frame)
		}
		s.render(view)
		if err := s.flush(false); err != nil {
			t.Fatal(err)
		}
		sameCells(t, s.cellbuf, wholeDraw(content), frame)
	}
	// A resize, a screen switch: drawn whole again.
	s.resize(linesW, linesH)
	if s.changedOnly(View{Content: strings.Join(lines, "\n"), AltScreen: true}, s.cellbuf.Bounds(), lines) {
		t.Error("after a resize, a frame is drawn by its changed lines")
	}
	s.pendingErase = false
	if s.changedOnly(View{Content: strings.Join(lines, "\n")}, s.cellbuf.Bounds(), lines) {
		t.Error("leaving the alt screen, a frame is drawn by its changed lines")
	}
}

// TestStyleCarriedAcrossLinesDrawnWhole: a frame whose style runs on past
// a line's end is drawn whole: a line drawn alone would lose it.
func TestStyleCarriedAcrossLinesDrawnWhole(t *testing.T) {
	var out bytes.Buffer
	s := newCursedRenderer(&out, []string{"TERM=xterm-256color"}, linesW, linesH)
	frames := []string{
		"a\nb\nc\nd\ne\nf\ng\nh",
		"\x1b[1ma\nb\nc\nd\ne\nf\ng\nh\x1b[m", // bold from the first line on
		"\x1b[1mA\nb\nc\nd\ne\nf\ng\nh\x1b[m", // the first line alone changed
	}
	for i, content := range frames {
		s.render(View{Content: content, AltScreen: true})
		if err := s.flush(false); err != nil {
			t.Fatal(err)
		}
		sameCells(t, s.cellbuf, wholeDraw(content), i)
	}
	if c := s.cellbuf.CellAt(0, 1); c == nil || c.Style.Attrs&uv.AttrBold == 0 {
		t.Errorf("the second line lost the bold its first line left on: %+v", c)
	}
}

func TestPenAtRest(t *testing.T) {
	for line, want := range map[string]bool{
		"plain":                  true,
		"\x1b[1mbold\x1b[m tail": true,
		"\x1b[31mred\x1b[0m":     true,
		"\x1b[31mred":            false,
		"\x1b[1mb\x1b[m\x1b[32m": false,
		"\x1b]8;;http://x\x1b\\": false,
	} {
		if got := penAtRest([]string{"a", line}); got != want {
			t.Errorf("%q: %v, want %v", line, got, want)
		}
	}
}
