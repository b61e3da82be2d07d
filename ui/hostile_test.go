package ui

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/charmbracelet/x/ansi"

	hostile "github.com/opsdeck/opsdeck/internal/sandbox/faults"
)

// ourSGR is the styling the console itself writes; whatever else is left
// after removing it must hold no control character.
var ourSGR = regexp.MustCompile("\x1b\\[[0-9;:]*m")

// controlIn finds, in what remains of s without the console's own colours,
// a control character (but a line break) or a format character that
// reorders or hides text: a bidirectional control, a zero-width or tag
// character, a line or paragraph separator (the joiners excepted, which
// emoji and scripts need).
func controlIn(s string) (rune, bool) {
	for _, r := range ourSGR.ReplaceAllString(s, "") {
		if (r < 0x20 && r != '\n') || r == 0x7f || (r >= 0x80 && r <= 0x9f) ||
			(unicode.Is(unicode.Cf, r) && r != '\u200c' && r != '\u200d') || r == '\u2028' || r == '\u2029' {
			return r, true
		}
	}
	return 0, false
}

// FuzzNoSourceStringReachesTheTerminalRaw: whatever a source puts in any
// field it fills (alert labels and annotations, error bodies, queries,
// application names, key names, revision messages), the screen holds no
// control character but the console's own colours, no format character
// that would reorder or hide text, and keeps its size in cells.
func FuzzNoSourceStringReachesTheTerminalRaw(f *testing.F) {
	for _, seed := range []string{"\n\r\x1b[1A\x1b[K", "\x1b]52;c;aGVsbG8=\x07", "\x9b31m", "\x1bP+q\x1b\\", "\xff\xfe", "\x00\x7f\t",
		"\u202egnp.exe", "\u2066\u2067\u2068\u2069\u202a\u202b\u202c\u202d", "\u200e\u200f\u061c\ufeff\u200b", "\u2028\u2029\U000E0041"} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	f.Fuzz(func(t *testing.T, evil string, failing bool) {
		src := healthy()
		h := newHarness(t, src, nil, false)
		src.set(func(m *fakeMetrics) {
			for i := range m.alerts {
				m.alerts[i].Labels = map[string]string{"alertname": m.alerts[i].Name, "instance": "api-1"}
				hostile.Poison(&m.alerts[i], evil)
			}
			m.diag = "no series" + evil
			if failing {
				m.err = errors.New("prometheus said: " + evil)
			}
		})
		slos := sampleSLOs()
		hostile.Poison(&slos, evil)
		h.slos = &fakeSLOs{slos: slos}
		h.m.openEnv("qa") // the SLO pane comes with the environment
		db, cache, mig := sampleDB(), sampleCache(), sampleMigrations()
		hostile.Poison(&db, evil)
		hostile.Poison(&cache, evil)
		hostile.Poison(&mig, evil)
		h.db.st, h.cache.st, h.mig.st = db, cache, mig
		if failing {
			h.db.err = errors.New("FATAL: " + evil)
		}
		h.size(160, 48)
		h.advance(0)
		h.advance(2 * time.Second)
		screens := []string{h.m.Render()}
		for i := 0; i < len(h.m.panes); i++ { // every pane zoomed: the drill-downs show more fields
			h.key("enter")
			screens = append(screens, h.m.Render())
			h.key("esc")
			h.key("tab")
		}
		for _, s := range screens {
			if r, bad := controlIn(s); bad {
				t.Fatalf("control %U reached the screen:\n%q", r, s)
			}
			checkGeometry(t, ansi.Strip(s), 160, 48)
		}
	})
}

// TestControlCharactersShownAsText: an annotation that would move the cursor
// and clear a line is shown, visibly, as text, and the layout holds.
func TestControlCharactersShownAsText(t *testing.T) {
	src := healthy()
	src.alerts[0].Summary = "disk full\n\r\x1b[1A\x1b[K\x1b]52;c;cHduZWQ=\x07"
	h := newHarness(t, src, nil, false)
	h.size(160, 48)
	h.advance(0)
	raw := h.m.Render()
	if r, bad := controlIn(raw); bad {
		t.Fatalf("control %U on screen", r)
	}
	s := h.screen()
	checkGeometry(t, s, 160, 48)
	if !strings.Contains(s, "disk full  ␛[1A␛[K␛]52;c;cHduZWQ=␇") {
		t.Fatalf("alert strip: %s", strings.Split(s, "\n")[1])
	}
}
