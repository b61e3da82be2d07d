package alertstrip

import (
	"context"
	"errors"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/frame"
	"github.com/opsdeck/opsdeck/ui/pane"
	"github.com/opsdeck/opsdeck/ui/poll"
)

// Model polls alerts and renders them on one line.
type Model struct {
	ctx      *pane.Context
	src      sources.Metrics
	scrubber *redact.Scrubber
	poll     poll.State[[]sources.Alert]
	w        int
	version  int
	memo     frame.Memo
}

// New builds the strip; src may be nil (no Prometheus configured).
func New(ctx *pane.Context, src sources.Metrics, scrubber *redact.Scrubber) *Model {
	return &Model{ctx: ctx, src: src, scrubber: scrubber, poll: poll.State[[]sources.Alert]{ID: ctx.ID("alerts")}}
}

func (m *Model) ID() string               { return m.poll.ID }
func (m *Model) Title() string            { return "Alerts" }
func (m *Model) SetSize(w, _ int) tea.Cmd { m.w = w; return nil }
func (m *Model) Start() tea.Cmd           { return m.fetch() }

func (m *Model) fetch() tea.Cmd {
	if m.src == nil {
		return nil
	}
	src := m.src
	return m.poll.Fetch(m.ctx.Base, pane.FetchGuard, m.ctx.Now, func(ctx context.Context) ([]sources.Alert, error) {
		return src.Alerts(ctx)
	})
}

// Update handles the strip's poll results and ticks, and refresh requests.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	m.version++
	return m.poll.Update(msg, m.ctx.Scheduler(), m.fetch)
}

// Failing reports whether the last fetch failed.
func (m *Model) Failing() bool {
	return m.poll.Err != nil && !errors.Is(m.poll.Err, sources.ErrNoAlerting)
}

// View renders one line.
func (m *Model) View(bool) []string {
	// Firing alerts show how long they have fired, in minutes.
	key := frame.MemoKey{W: m.w, H: 1, Version: m.version, Second: m.ctx.Now().Unix() / 60}
	if m.poll.Err != nil {
		key.Second = m.ctx.Now().Unix()
	}
	return m.memo.Get(key, m.render)
}

func (m *Model) render() []string {
	st := m.ctx.Styles
	p := &m.poll
	var line string
	switch {
	case m.src == nil:
		line = st.Muted.Render(" alerts: no Prometheus configured")
	case errors.Is(p.Err, sources.ErrNoAlerting):
		line = st.Muted.Render(" alerts: none in direct /metrics mode (alerting rules live in Prometheus)")
	case !p.HasLast && p.Err == nil:
		line = st.Muted.Render(" alerts: loading…")
	case !p.HasLast:
		line = st.Error.Render(" ⚠ alerts: " + m.scrubber.Error(p.Err))
	default:
		line = m.summary()
		if p.Err != nil {
			line = st.Error.Render(fmt.Sprintf(" ⚠ alerts: %s (last ok %s ago)", m.scrubber.Error(p.Err), units.Age(m.ctx.Now().Sub(p.LastOK)))) + "  " + line
		}
	}
	return []string{frame.Fit(line, m.w)}
}

func (m *Model) summary() string {
	st := m.ctx.Styles
	var firing, pending []sources.Alert
	for _, a := range m.poll.Last {
		if a.State == "firing" {
			firing = append(firing, a)
		} else {
			pending = append(pending, a)
		}
	}
	if len(firing) == 0 {
		s := st.OK.Render(" ✔ no alerts firing")
		if len(pending) > 0 {
			s += st.Muted.Render(fmt.Sprintf(" · %d pending: %s", len(pending), names(pending)))
		}
		return s
	}
	now := m.ctx.Now()
	var b strings.Builder
	b.WriteString(st.Crit.Render(fmt.Sprintf(" ● %d firing:", len(firing))))
	for i, a := range firing {
		if i > 0 {
			b.WriteString(st.Muted.Render(" ·"))
		}
		paint := st.Warn
		if sev := strings.ToLower(a.Severity); sev == "critical" || sev == "page" {
			paint = st.Crit
		}
		detail := a.Severity
		if !a.ActiveAt.IsZero() {
			detail = strings.TrimPrefix(detail+", "+units.Age(now.Sub(a.ActiveAt)), ", ")
		}
		b.WriteString(" " + paint.Render(a.Name))
		if detail != "" {
			b.WriteString(st.Muted.Render(" (" + detail + ")"))
		}
		if a.Summary != "" {
			b.WriteString(st.Muted.Render(" " + a.Summary))
		}
	}
	if len(pending) > 0 {
		b.WriteString(st.Muted.Render(fmt.Sprintf(" · %d pending", len(pending))))
	}
	return b.String()
}

func names(as []sources.Alert) string {
	n := make([]string, len(as))
	for i, a := range as {
		n[i] = a.Name
	}
	return strings.Join(n, ", ")
}

// Loaded reports whether the first fetch has come back (or there is nothing to fetch).
func (m *Model) Loaded() bool { return m.src == nil || m.poll.HasLast || m.poll.Err != nil }

// Ticking reports whether the strip shows an age that moves every second.
func (m *Model) Ticking() bool { return m.Failing() }
