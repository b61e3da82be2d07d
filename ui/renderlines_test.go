package ui

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
)

// linesChild is set in the program TestChangedLinesReachTheTerminal runs
// in tmux: the file it writes its last frame to.
const linesChild = "OPSDECK_TEST_LINES_CHILD"

const linesCols, linesRows = 60, 16

// altFrame is a full-screen view of text, as the console's.
type altFrame struct{ text string }

func (m altFrame) Init() tea.Cmd { return nil }
func (m altFrame) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case setText:
		m.text = string(msg)
	case tea.KeyPressMsg:
		return m, tea.Quit
	}
	return m, nil
}
func (m altFrame) View() tea.View {
	v := tea.NewView(m.text)
	v.AltScreen = true
	return v
}

// frameLine is a line of coloured, bold and plain words, borders, braille
// and wide runes, each style closed, as lipgloss writes them.
func frameLine(r *rand.Rand) string {
	var b strings.Builder
	for ansi.StringWidth(b.String()) < linesCols-8 {
		word := []string{"ok", "▂▄█", "⣿⡇⠉", "日本", "p95 ", "│", "  ", "3.2 s"}[r.IntN(8)]
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

// TestChangedLinesReachTheTerminal: Bubble Tea's renderer (patched in
// third_party/bubbletea) draws a frame again by its changed lines alone.
// Hundreds of frames, each changing a few lines of the last (one a
// shorter line, leaving cells to clear), sent to a program in a real
// terminal (tmux): what the terminal shows at the end is the last frame.
func TestChangedLinesReachTheTerminal(t *testing.T) {
	if file := os.Getenv(linesChild); file != "" {
		showFrames(t, file)
		return
	}
	bin, err := servers.LookPath("tmux", "tmux")
	if err != nil {
		t.Fatal(err)
	}
	socket := fmt.Sprintf("opsdeck-lines-%d", os.Getpid())
	t.Cleanup(func() { exec.Command(bin, "-L", socket, "kill-server").Run() })
	last := filepath.Join(t.TempDir(), "last")
	child := fmt.Sprintf("%s=%s %q -test.run='^TestChangedLinesReachTheTerminal$' -test.count=1", linesChild, last, os.Args[0])
	if out, err := exec.Command(bin, "-L", socket, "new-session", "-d", "-x", fmt.Sprint(linesCols), "-y", fmt.Sprint(linesRows), child).CombinedOutput(); err != nil {
		t.Fatalf("tmux: %v\n%s", err, out)
	}
	var want, screen string
	wait.Eventually(t, "the last frame on the terminal", func() error {
		b, _ := os.ReadFile(last)
		if want = string(b); want == "" {
			return fmt.Errorf("the program has not sent its last frame yet")
		}
		out, _ := exec.Command(bin, "-L", socket, "capture-pane", "-p").CombinedOutput()
		if screen = trimLines(string(out)); screen != want {
			return fmt.Errorf("the screen:\n%s\nthe last frame:\n%s", screen, want)
		}
		return nil
	})
}

// showFrames runs the program, sends it its frames, and writes the last
// one's text (without styles) to file once it is queued.
func showFrames(t *testing.T, file string) {
	r := rand.New(rand.NewPCG(7, 11))
	lines := make([]string, linesRows)
	for y := range lines {
		lines[y] = frameLine(r)
	}
	p := tea.NewProgram(altFrame{text: strings.Join(lines, "\n")}, tea.WithFPS(120))
	go func() {
		for range 400 {
			for y := range lines {
				if r.IntN(5) == 0 {
					lines[y] = frameLine(r)
				}
			}
			lines[r.IntN(linesRows)] = "short"
			p.Send(setText(strings.Join(lines, "\n")))
			time.Sleep(2 * time.Millisecond)
		}
		if err := os.WriteFile(file, []byte(trimLines(ansi.Strip(strings.Join(lines, "\n")))), 0o644); err != nil {
			t.Error(err)
		}
	}()
	if _, err := p.Run(); err != nil {
		t.Fatal(err)
	}
}

// trimLines is s without trailing blanks on each line or trailing empty
// lines, as a terminal's screen and a frame compare.
func trimLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n")
}
