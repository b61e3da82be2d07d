package ui

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/internal/testenv/wait"
)

// tickerChild is set in the process that TestRendererRestsWhileNothingChanges
// runs its count in.
const tickerChild = "OPSDECK_TEST_TICKER_CHILD"

// still is a model whose view changes only when told.
type still struct{ text string }

type setText string

func (m still) Init() tea.Cmd { return nil }
func (m still) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if s, ok := msg.(setText); ok {
		m.text = string(s)
	}
	return m, nil
}
func (m still) View() tea.View { return tea.NewView(m.text) }

// lockedBuffer is the program's output, read by the test meanwhile.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// switches is the voluntary context switches (a thread that blocked and
// was woken) of every thread of this process so far; preemption by a busy
// machine is not counted.
func switches(t *testing.T) int {
	t.Helper()
	paths, _ := filepath.Glob("/proc/self/task/*/status")
	if len(paths) == 0 {
		t.Fatal("no /proc/self/task: cannot count context switches here")
	}
	n := 0
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // a thread that ended
		}
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && k == "voluntary_ctxt_switches" {
				c, _ := strconv.Atoi(strings.TrimSpace(v))
				n += c
			}
		}
	}
	return n
}

// TestRendererRestsWhileNothingChanges: the renderer's ticker (Bubble Tea,
// patched in third_party/bubbletea) runs only while views are queued. A
// program whose view does not change makes next to no context switches
// where the unpatched ticker woke it fps times a second; a view queued
// after the pause is still drawn.
//
// It counts in a process of its own (this test run again), where no other
// test's goroutines wake threads.
func TestRendererRestsWhileNothingChanges(t *testing.T) {
	if os.Getenv(tickerChild) == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestRendererRestsWhileNothingChanges$", "-test.count=1")
		cmd.Env = append(os.Environ(), tickerChild+"=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return
	}
	const fps = 100
	out := &lockedBuffer{}
	p := tea.NewProgram(still{text: "first frame"}, tea.WithInput(nil), tea.WithOutput(out),
		tea.WithFPS(fps), tea.WithWindowSize(40, 5))
	done := make(chan error, 1)
	go func() { _, err := p.Run(); done <- err }()
	defer func() {
		p.Quit()
		if err := <-done; err != nil {
			t.Errorf("program: %v", err)
		}
	}()
	wait.Eventually(t, "the first frame drawn", func() error {
		if !strings.Contains(out.String(), "first frame") {
			return fmt.Errorf("not yet: %q", out.String())
		}
		return nil
	})
	before, start := switches(t), time.Now()
	time.Sleep(500 * time.Millisecond) // the idle stretch observed
	woke, ticks := switches(t)-before, time.Since(start).Seconds()*fps
	if float64(woke) > ticks/2 {
		t.Errorf("%d context switches in %.0f ticks' time of an unchanging view: the renderer still ticks", woke, ticks)
	}
	p.Send(setText("second frame"))
	wait.Eventually(t, "a view queued after the pause drawn", func() error {
		if !strings.Contains(out.String(), "second frame") {
			return fmt.Errorf("not drawn: %q", out.String())
		}
		return nil
	})
}
