package safetext

import (
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
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
	} {
		if got := String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Text("one\x1b[K\ntwo\tcols\r"); got != "one␛[K\ntwo\tcols " {
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

// FuzzString: nothing that comes out is a control character, and text
// without any comes out unchanged.
func FuzzString(f *testing.F) {
	for _, s := range []string{"", "ok", "\x1b[1A", "\u009b", "\xff", "\n\r\t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := String(s)
		for _, r := range out {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) {
				t.Fatalf("String(%q) = %q holds %U", s, out, r)
			}
		}
		if !utf8.ValidString(out) {
			t.Fatalf("String(%q) = %q is not UTF-8", s, out)
		}
		if clean(s) && out != s {
			t.Fatalf("clean text changed: %q -> %q", s, out)
		}
	})
}

func TestLongErrorsShortened(t *testing.T) {
	base := errors.New(strings.Repeat("é", 100_000))
	err := Error(base)
	if len(err.Error()) > MaxError+40 || !strings.HasSuffix(err.Error(), "… (200000 bytes in all)") || !utf8.ValidString(err.Error()) || !errors.Is(err, base) {
		t.Fatalf("%.80q… (%d bytes)", err.Error(), len(err.Error()))
	}
}
