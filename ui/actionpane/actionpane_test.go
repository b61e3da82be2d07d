package actionpane

import (
	"context"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/ui/theme"
)

func press(s string) tea.KeyPressMsg { return tea.KeyPressMsg{Code: rune(s[0]), Text: s} }

// TestRunningOneAtATimeAndCancel drives the model by hand: while an action
// runs, a second press says so, x cancels it, the elapsed time moves.
func TestRunningOneAtATimeAndCancel(t *testing.T) {
	now := time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)
	cancelled := false
	lines := make(chan Line)
	m := New("qa", context.Background(), func() time.Time { return now }, []Action{{
		Name: "tests", Key: "t", Guard: None,
		Preview: func(context.Context) (Preview, error) {
			return Preview{Head: []string{"tests in qa"}, Run: func(context.Context, Consent) (<-chan Line, func(), error) {
				return lines, func() { cancelled = true }, nil
			}}, nil
		},
	}}, testKeys())
	m.SetSize(100, 20)
	cmd, ok := m.Press("t")
	if !ok || cmd == nil {
		t.Fatal("t is not an action key")
	}
	next := m.Update(cmd()) // preview -> no confirmation needed -> running
	if !m.Running() || next == nil {
		t.Fatalf("not running after the preview (phase %d)", m.phase)
	}
	if _, ok := m.Press("t"); !ok || !strings.Contains(m.Flash(), "tests is running (0s): one action at a time") {
		t.Errorf("second press: %q", m.Flash())
	}
	now = now.Add(7 * time.Second)
	st := theme.New(theme.Dark(), true)
	if v := strings.Join(m.View(st), "\n"); !strings.Contains(v, "running 7s · x cancels") {
		t.Errorf("view:\n%s", v)
	}
	m.Key(press("x"))
	if !cancelled || !strings.Contains(m.Flash(), "cancelling tests") {
		t.Error("x did not cancel")
	}
	m.Update(lineMsg{owner: m, gen: m.gen, line: Line{Done: true, Exit: -1, Err: context.Canceled}, ok: true})
	if v := strings.Join(m.View(st), "\n"); m.Running() || !strings.Contains(v, "✖ context canceled after 7s") {
		t.Errorf("after cancel:\n%s", v)
	}
	// A message of an earlier run is ignored.
	m.Update(lineMsg{owner: m, gen: m.gen - 1, line: Line{Text: "stale"}, ok: true})
	if len(m.lines) != 0 {
		t.Error("a stale line was taken")
	}
}

// TestRemappedCancel: with cancel remapped, x is an ordinary key and the new
// key cancels; the overlay says which.
func TestRemappedCancel(t *testing.T) {
	cancelled := false
	keys := testKeys()
	keys.Cancel = key.NewBinding(key.WithKeys("k"), key.WithHelp("k", "cancel"))
	m := New("qa", context.Background(), time.Now, []Action{{
		Name: "tests", Key: "t", Guard: None,
		Preview: func(context.Context) (Preview, error) {
			return Preview{Head: []string{"tests"}, Run: func(context.Context, Consent) (<-chan Line, func(), error) {
				return make(chan Line), func() { cancelled = true }, nil
			}}, nil
		},
	}}, keys)
	m.SetSize(100, 20)
	cmd, _ := m.Press("t")
	m.Update(cmd())
	if v := strings.Join(m.View(theme.New(theme.Dark(), true)), "\n"); !strings.Contains(v, "k cancels") {
		t.Errorf("view:\n%s", v)
	}
	m.Key(press("x"))
	if cancelled {
		t.Fatal("x still cancels after cancel was remapped")
	}
	m.Key(press("k"))
	if !cancelled {
		t.Error("k must cancel")
	}
}

// testKeys are the overlay's keys as the console binds them by default.
func testKeys() Bindings {
	b := func(help string, ks ...string) key.Binding {
		return key.NewBinding(key.WithKeys(ks...), key.WithHelp(ks[0], help))
	}
	return Bindings{Cancel: b("cancel", "x"), Close: b("close", "esc"), Select: b("choose", "enter"), Up: b("up", "up", "k"), Down: b("down", "down", "j"),
		PageUp: b("ten up", "pgup"), PageDown: b("ten down", "pgdown"), Interrupt: b("quit", "ctrl+c")}
}

// TestPreviewRaisesTheGuard: a preview whose preflight found a hazard makes
// a one-keystroke action ask y/N (the verdict is shown, not skipped), and
// the escalation lasts for that run only; its hazard lines are painted.
func TestPreviewRaisesTheGuard(t *testing.T) {
	ran := 0
	hazard := true
	m := New("demo", context.Background(), time.Now, []Action{{
		Name: "migrate", Key: "m", Guard: None,
		Preview: func(context.Context) (Preview, error) {
			p := Preview{Head: []string{"migrate in demo"}, Items: []string{"hazard: CREATE INDEX on messages", "1 pending"}, Levels: []Level{Danger},
				Run: func(context.Context, Consent) (<-chan Line, func(), error) {
					ran++
					ch := make(chan Line, 1)
					ch <- Line{Done: true}
					close(ch)
					return ch, func() {}, nil
				}}
			if hazard {
				g := Confirm
				p.Guard = &g
			}
			return p, nil
		},
	}}, testKeys())
	m.SetSize(120, 30)
	cmd, _ := m.Press("m")
	m.Update(cmd())
	st := theme.New(theme.Dark(), false)
	v := strings.Join(m.View(st), "\n")
	crit := st.Crit.Render("\x00") // the paint's opening: lines are padded inside it
	crit = crit[:strings.IndexByte(crit, 0)]
	if ran != 0 || !strings.Contains(v, "[y/N]") || !strings.Contains(v, crit+"  hazard: CREATE INDEX on messages") {
		t.Fatalf("a hazard must ask first, painted:\n%s", v)
	}
	m.Key(press("n"))
	hazard = false
	cmd, _ = m.Press("m")
	if next := m.Update(cmd()); next == nil || !m.Running() {
		t.Fatal("without a hazard the one-keystroke action runs at once")
	}
}
