package ui

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// runewidthChild is set in the process TestWidthsNeedNoTable measures in.
const runewidthChild = "OPSDECK_TEST_RUNEWIDTH_CHILD"

// rssAnonKiB is this process's anonymous resident memory.
func rssAnonKiB(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatalf("no /proc/self/status: cannot measure memory here: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && k == "RssAnon" {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatalf("RssAnon %q: %v", v, err)
			}
			return n
		}
	}
	t.Fatal("no RssAnon in /proc/self/status")
	return 0
}

// TestWidthsNeedNoTable: Bubble Tea's renderer measures every cell by
// wcwidth where the terminal does not report mode 2027 (tmux does not),
// through go-runewidth, which upstream answers above U+02FF from a table
// of 2.2 MB built on the first such rune: every border and chart cell is
// one. The patched copy (third_party/go-runewidth) searches its interval
// tables instead. Measured in a process of its own, where no other test
// has built the table or grows the heap meanwhile; the widths are the
// terminal's.
func TestWidthsNeedNoTable(t *testing.T) {
	if os.Getenv(runewidthChild) == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestWidthsNeedNoTable$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), runewidthChild+"=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		t.Logf("%s", out)
		return
	}
	frame := "╭─ Postgres ──╮│⣀⣤⣶⣿⡇ 1.2k│╰────────────╯ 漢字 é"
	before := rssAnonKiB(t)
	w := ansi.StringWidthWc(frame)
	grew := rssAnonKiB(t) - before
	t.Logf("RssAnon grew %d KiB measuring %q", grew, frame)
	if want := 48; w != want {
		t.Errorf("width %d, want %d", w, want)
	}
	// The table is 2,176 KiB; half of it is far above anything else the
	// measurement allocates.
	if grew > 1024 {
		t.Errorf("measuring widths grew RssAnon by %d KiB: the width table was built", grew)
	}
}
