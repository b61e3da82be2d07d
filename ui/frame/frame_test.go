package frame

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/opsdeck/opsdeck/ui/theme"
)

func TestFitAndSpread(t *testing.T) {
	if got := Fit("abc", 5); got != "abc  " {
		t.Errorf("pad: %q", got)
	}
	if got := Fit("abcdef", 4); got != "abc…" {
		t.Errorf("truncate: %q", got)
	}
	if got := Fit("\x1b[1mabcdef\x1b[m", 4); ansi.StringWidth(got) != 4 || ansi.Strip(got) != "abc…" {
		t.Errorf("styled truncate: %q", got)
	}
	if got := Spread("left", "right", 12); got != "left   right" {
		t.Errorf("spread: %q", got)
	}
	if got := Spread("a long left part", "right", 12); got != "a long left…" {
		t.Errorf("left wins: %q", got)
	}
	if got := FirstFit(5, "too long", "short", "x"); got != "short" {
		t.Errorf("FirstFit: %q", got)
	}
}

func TestWrap(t *testing.T) {
	got := Wrap("metric http_requests_duration_seconds_bucket does not exist", 20)
	for _, l := range got {
		if ansi.StringWidth(l) > 20 {
			t.Errorf("line %q wider than 20", l)
		}
	}
	if strings.Join(got, "") == "" || !strings.Contains(strings.Join(got, ""), "exist") {
		t.Errorf("wrap lost text: %q", got)
	}
	if got := Wrap("a\nb", 10); len(got) != 2 {
		t.Errorf("paragraphs: %q", got)
	}
}

func TestBoxGeometry(t *testing.T) {
	st := theme.New(theme.Dark(), false)
	for _, w := range []int{6, 10, 40} {
		for _, h := range []int{2, 3, 8} {
			lines := Box{Title: "A rather long title", Info: "2s ago"}.Render(st, w, h, []string{"body line that is long", "x"})
			if len(lines) != h {
				t.Fatalf("%dx%d: %d lines", w, h, len(lines))
			}
			for _, l := range lines {
				if ansi.StringWidth(l) != w {
					t.Fatalf("%dx%d: line %q is %d wide", w, h, ansi.Strip(l), ansi.StringWidth(l))
				}
			}
		}
	}
	top := ansi.Strip(Box{Title: "RPS", Info: "live"}.Render(st, 20, 3, nil)[0])
	if !strings.HasPrefix(top, "╭─ RPS ") || !strings.HasSuffix(top, " live ╮") {
		t.Errorf("top border %q", top)
	}
}

func TestMemo(t *testing.T) {
	var m Memo
	calls := 0
	render := func() []string { calls++; return []string{"x"} }
	k := MemoKey{W: 1, H: 1}
	m.Get(k, render)
	m.Get(k, render)
	k.Version++
	m.Get(k, render)
	if calls != 2 {
		t.Errorf("rendered %d times, want 2", calls)
	}
}

func TestWrapN(t *testing.T) {
	got := WrapN("one two three four five six", 9, 2)
	if len(got) != 2 || !strings.HasSuffix(got[1], "…") || ansi.StringWidth(got[1]) > 9 {
		t.Errorf("WrapN = %q", got)
	}
	if got := WrapN("short", 9, 2); len(got) != 1 || got[0] != "short" {
		t.Errorf("no cut: %q", got)
	}
	if got := WrapN("x", 9, 0); got != nil {
		t.Errorf("n=0: %q", got)
	}
}

// TestLinesBySeverity: findings come out critical first, then warnings,
// then the ordinary ones, each level in the order added, and a finding's
// detail lines stay under it.
func TestLinesBySeverity(t *testing.T) {
	st := theme.New(theme.Dark(), true)
	ls := NewLines(st, 20, false)
	ls.Add(Ordinary, st.Text, "head")
	ls.Add(Warning, st.Warn, "warn 1")
	ls.Add(Critical, st.Crit, "crit 1")
	ls.More(st.Muted, "crit 1 detail")
	ls.Add(Ordinary, st.Text, "figures")
	ls.Add(Critical, st.Crit, "crit 2")
	ls.Add(Warning, st.Warn, "warn 2")
	var got []string
	for _, l := range ls.Out() {
		if ansi.StringWidth(l) != 20 {
			t.Errorf("line %q is not 20 cells", l)
		}
		got = append(got, strings.TrimRight(ansi.Strip(l), " "))
	}
	want := []string{"crit 1", "crit 1 detail", "crit 2", "warn 1", "warn 2", "head", "figures"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("order:\n got %q\nwant %q", got, want)
	}
}

// TestLinesTop: a short body shows the first line of as many findings as
// fit before any detail; the details take what room is left, the most
// urgent finding's first.
func TestLinesTop(t *testing.T) {
	st := theme.New(theme.Dark(), true)
	ls := NewLines(st, 20, false)
	ls.Add(Critical, st.Crit, "crit")
	ls.More(st.Muted, "crit detail 1")
	ls.More(st.Muted, "crit detail 2")
	ls.Add(Warning, st.Warn, "warn")
	ls.More(st.Muted, "warn detail")
	ls.Add(Ordinary, st.Text, "figures")
	plain := func(lines []string) string {
		var out []string
		for _, l := range lines {
			out = append(out, strings.TrimRight(ansi.Strip(l), " "))
		}
		return strings.Join(out, "|")
	}
	for _, c := range []struct {
		h    int
		want string
	}{
		{0, ""},
		{2, "crit|warn"},
		{3, "crit|warn|figures"},
		{4, "crit|crit detail 1|warn|figures"},
		{6, "crit|crit detail 1|crit detail 2|warn|warn detail|figures"},
		{9, "crit|crit detail 1|crit detail 2|warn|warn detail|figures"},
	} {
		if got := plain(ls.Top(c.h)); got != c.want {
			t.Errorf("Top(%d) = %q, want %q", c.h, got, c.want)
		}
	}
	if got := plain(ls.Out()); got != "crit|crit detail 1|crit detail 2|warn|warn detail|figures" {
		t.Errorf("Out = %q", got)
	}
}

// TestSpreadMemoIsSpread: the memo's line is Spread's for every change of
// a part, and the same line again when nothing changed.
func TestSpreadMemoIsSpread(t *testing.T) {
	var m SpreadMemo
	for _, c := range []struct {
		left, right string
		w           int
	}{
		{"left", "right", 20},
		{"left", "right", 20},
		{"left", "right", 12}, // the width changed
		{"left", "right", 7},  // too narrow for both: the left part wins
		{"lefter", "right", 20},
		{"lefter", "\x1b[2mright\x1b[m", 20},
		{"", "", 20},
		{"lefter", "\x1b[2mright\x1b[m", 20}, // after an empty line
	} {
		if got, want := m.Spread(c.left, c.right, c.w), Spread(c.left, c.right, c.w); got != want {
			t.Errorf("Spread(%q, %q, %d): the memo gave %q, want %q", c.left, c.right, c.w, got, want)
		}
	}
}
