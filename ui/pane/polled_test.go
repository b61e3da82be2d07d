package pane

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/opsdeck/opsdeck/ui/poll"
	"github.com/opsdeck/opsdeck/ui/theme"
)

var t0 = time.Date(2026, 11, 30, 14, 30, 0, 0, time.UTC)

func newPolled(now *time.Time) *Polled[int] {
	ctx := &Context{Styles: theme.New(theme.Dark(), true), Now: func() time.Time { return *now }, Refresh: 2 * time.Second,
		Time: NewTimeline(15 * time.Minute), Base: context.Background(), After: func(time.Duration, tea.Msg) tea.Cmd { return nil }}
	p := &Polled[int]{Ctx: ctx, Poll: poll.State[int]{ID: "1/x"}, Name: "X", Short: "xsrc", Configured: true, Target: "x.qa:1",
		Summary: func(_ *theme.Styles, v int, _, _ int, stale bool) []string {
			if stale {
				return []string{"stale value"}
			}
			return []string{"value"}
		}}
	p.SetSize(60, 8)
	return p
}

// answer runs one fetch that returns v or err, and hands the pane its result.
func answer(p *Polled[int], v int, err error) {
	cmd := p.Poll.Fetch(context.Background(), time.Second, p.Ctx.Now, func(context.Context) (int, error) { return v, err })
	p.Update(cmd())
}

func text(lines []string) string { return ansi.Strip(strings.Join(lines, "\n")) }

// TestOneWording: every polled pane says the same words for connecting,
// failing before any data, failing with data, and late data.
func TestOneWording(t *testing.T) {
	now := t0
	p := newPolled(&now)
	if got := text(p.View(false)); !strings.Contains(got, "connecting…") || !strings.Contains(got, "to x.qa:1") || !strings.Contains(got, "…") {
		t.Errorf("before the first answer:\n%s", got)
	}
	answer(p, 0, errors.New("refused"))
	if got := text(p.View(false)); !strings.Contains(got, "⚠ xsrc: refused (since 14:30:00)") || !strings.Contains(got, "⚠ down") ||
		!strings.Contains(got, "retrying every") {
		t.Errorf("failing without data:\n%s", got)
	}
	answer(p, 7, nil)
	now = t0.Add(10 * time.Second)
	p.Changed()
	if got := text(p.View(false)); !strings.Contains(got, "10s ago") || !strings.Contains(got, "value") {
		t.Errorf("late data:\n%s", got)
	}
	answer(p, 0, errors.New("refused"))
	if got := text(p.View(false)); !strings.Contains(got, "⚠ xsrc: refused (last ok 10s ago; since 14:30:10)") || !strings.Contains(got, "stale value") ||
		!strings.Contains(got, "⚠ 10s old") {
		t.Errorf("failing with data:\n%s", got)
	}
}

// TestHoldDropsTicksAndShowsItsBadge: a held pane (paused) does not poll on
// its own and shows the hold instead of its age.
func TestHoldDropsTicksAndShowsItsBadge(t *testing.T) {
	now := t0
	p := newPolled(&now)
	held := "‖ 14:30:00"
	p.Hold = func() string { return held }
	answer(p, 7, nil)
	now = t0.Add(time.Minute)
	if cmd := p.Update(poll.Tick{ID: "1/x"}); cmd != nil {
		t.Error("a held pane polled on a tick")
	}
	if p.Ticking() {
		t.Error("a held pane's age must not move")
	}
	if got := text(p.View(false)); !strings.Contains(got, held) || strings.Contains(got, "ago") {
		t.Errorf("held badge:\n%s", got)
	}
}

// TestTickKeepsTheFrame: a tick starts a fetch, which nothing on screen
// shows, so the pane hands back its memoised lines (the root then reuses
// its frame); the answer draws anew.
func TestTickKeepsTheFrame(t *testing.T) {
	now := t0
	p := newPolled(&now)
	p.NewFetch = func() func(context.Context) (int, error) {
		return func(context.Context) (int, error) { return 8, nil }
	}
	answer(p, 7, nil)
	before := p.View(false)
	cmd := p.Update(poll.Tick{ID: "1/x"})
	if cmd == nil {
		t.Fatal("a due tick started no fetch")
	}
	if after := p.View(false); &after[0] != &before[0] {
		t.Error("a tick drew the pane again")
	}
	p.Update(cmd())
	if after := p.View(false); &after[0] == &before[0] {
		t.Error("an answer did not draw the pane again")
	}
}

// TestFailureKeepsItsWordsWhenNarrow: five state panes at 160 columns get
// 32 cells each; a failure's words and its last data's age, what the
// engineer reads first, are wrapped whole over the pane's lines rather
// than cut, and the last data still shows below them.
func TestFailureKeepsItsWordsWhenNarrow(t *testing.T) {
	now := t0
	p := newPolled(&now)
	p.SetSize(32, 14)
	answer(p, 7, nil)
	now = t0.Add(5 * time.Second)
	msg := "server closed the connection unexpectedly; this probably means the server terminated abnormally"
	answer(p, 0, errors.New(msg))
	got := text(p.View(false))
	flat := strings.Join(strings.Fields(strings.NewReplacer("│", " ", "╭", " ", "╰", " ", "╮", " ", "╯", " ", "─", " ").Replace(got)), " ")
	for _, want := range []string{msg, "last ok 5s ago; since 14:30:05", "stale value"} {
		if !strings.Contains(flat, want) {
			t.Errorf("%q not shown whole at 32x14:\n%s", want, got)
		}
	}
}
