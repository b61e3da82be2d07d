package safetext

import (
	"errors"
	"io"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

func TestString(t *testing.T) {
	for in, want := range map[string]string{
		"plain text, ünïcode ✓": "plain text, ünïcode ✓",
		"a\x1b[2Jb":             "a␛[2Jb",
		"line\nbreak\r\ttab":    "line break  tab",
		"\x1b]52;c;eA==\x07":    "␛]52;c;eA==␇",
		"c1 \u009b31m and \x7f": "c1 �31m and ␡",
		"bad utf8 \xff\xfe":     "bad utf8 ��",
		"\x00nul":               "␀nul",
		// Text that reorders or hides the text around it: shown, not obeyed.
		"ok\u202egnp.exe": "ok�gnp.exe",
		"\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069": "��������",
		"\u200e\u200f\u061c":                        "���",
		"\ufeffbom, zero\u200bwidth, tag\U000E0041": "�bom, zero�width, tag�",
		"line\u2028sep\u2029para":                   "line sep para",
		// Joiners stay: emoji sequences and scripts are made of them.
		"👩\u200d💻 می\u200cخواهم": "👩\u200d💻 می\u200cخواهم",
	} {
		if got := String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Text("one\x1b[K\ntwo\tcols\r"); got != "one␛[K\ntwo\tcols " {
		t.Errorf("Text = %q", got)
	}
	if got := Text("a\u202e\tb\u2029\n"); got != "a�\tb \n" {
		t.Errorf("Text = %q", got)
	}
}

func TestValueAndError(t *testing.T) {
	type inner struct{ Labels map[string]string }
	type doc struct {
		Name   string
		List   []string
		Ptr    *inner
		Any    any
		hidden string
		Number float64
	}
	d := doc{Name: "x\x1b", List: []string{"\x1b[1A"}, Ptr: &inner{Labels: map[string]string{"k\x1b": "v\x07"}}, Any: "i\x1b", hidden: "\x1b"}
	Value(&d)
	if d.Name != "x␛" || d.List[0] != "␛[1A" || d.Ptr.Labels["k␛"] != "v␇" || d.Any != "i␛" || d.hidden != "\x1b" {
		t.Fatalf("%+v %+v", d, d.Ptr)
	}
	base := errors.New("body: \x1b[2J")
	err := Error(base)
	if err.Error() != "body: ␛[2J" || !errors.Is(err, base) {
		t.Fatalf("%v", err)
	}
	var b strings.Builder
	io.WriteString(Writer{W: &b}, "a\x1b[1m\nb\n")
	if b.String() != "a␛[1m\nb\n" {
		t.Fatalf("writer: %q", b.String())
	}
}

// FuzzString: nothing that comes out is a control character or a format
// character that reorders or hides text (bidirectional controls, marks,
// isolates, zero-width and tag characters, line and paragraph separators),
// the text stays UTF-8, text without any comes out unchanged, and every
// character taken out leaves a visible cell in its place.
func FuzzString(f *testing.F) {
	for _, s := range []string{"", "ok", "\x1b[1A", "\u009b", "\xff", "\n\r\t", "\u202egnp.exe", "a\u2066b\u2069c\u200e\u200f\u061c",
		"\ufeff\u200b\U000E0041", "\u2028\u2029", "👩\u200d💻", "ع\u202bx"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := String(s)
		for _, r := range out {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || reorders(r) {
				t.Fatalf("String(%q) = %q holds %U", s, out, r)
			}
		}
		if !utf8.ValidString(out) {
			t.Fatalf("String(%q) = %q is not UTF-8", s, out)
		}
		if clean(s) && out != s {
			t.Fatalf("clean text changed: %q -> %q", s, out)
		}
		// Each stand-in takes a cell: what was hidden cannot make the text
		// narrower than what stayed of it.
		if in, got := visibleWidth(s), ansi.StringWidth(out); got < in {
			t.Fatalf("String(%q) = %q is %d cells, narrower than the %d cells of what was visible", s, out, got, in)
		}
	})
}

// reorders is the test's own list of what must not reach a terminal: the
// format characters (Cf) but the joiners, which emoji and scripts need,
// and the line and paragraph separators.
func reorders(r rune) bool {
	return (unicode.Is(unicode.Cf, r) && r != '\u200c' && r != '\u200d') || r == '\u2028' || r == '\u2029'
}

// visibleWidth is the width of s's runes that String keeps as they are.
func visibleWidth(s string) int {
	var b strings.Builder
	for _, r := range s {
		if r >= 0x20 && r != 0x7f && (r < 0x80 || r > 0x9f) && r != utf8.RuneError && !reorders(r) {
			b.WriteRune(r)
		}
	}
	return ansi.StringWidth(b.String())
}

func TestLongErrorsShortened(t *testing.T) {
	base := errors.New(strings.Repeat("é", 100_000))
	err := Error(base)
	if len(err.Error()) > MaxError+40 || !strings.HasSuffix(err.Error(), "… (200000 bytes in all)") || !utf8.ValidString(err.Error()) || !errors.Is(err, base) {
		t.Fatalf("%.80q… (%d bytes)", err.Error(), len(err.Error()))
	}
}
