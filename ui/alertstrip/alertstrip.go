package alertstrip

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/charmbracelet/x/ansi"
	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/alerthistory"
	"github.com/opsdeck/opsdeck/ui/frame"
	"github.com/opsdeck/opsdeck/ui/pane"
	"github.com/opsdeck/opsdeck/ui/poll"
)

// Model polls alerts and renders them on one line.
type Model struct {
	pane.Polled[Alerts]
	w int
}

// Alerts are what one poll read: the alerts, Alertmanager's groups they
// came in (none from Prometheus), and their history (Prometheus's).
type Alerts struct {
	List   []sources.Alert
	Groups []sources.AlertGroup
	// History is the alerts' firings over the last week (HasHistory false:
	// none read, no Prometheus); HistoryProblem why the last read failed.
	History        sources.History
	HasHistory     bool
	HistoryProblem string
}

// New builds the strip. It reads am (Alertmanager: which alerts are
// silenced) when there is one, else src (Prometheus); both may be nil. The
// alerts' history comes from src, read in the background every few minutes
// or when the alerts firing change (alerthistory.Reader), never at every
// refresh, and shown from the poll after it came.
func New(ctx *pane.Context, src sources.Metrics, am sources.Alerting, scrubber *redact.Scrubber) *Model {
	m := &Model{}
	hist, base := alerthistory.For(src, alerthistory.Options{Now: ctx.Now}), ctx.Base
	m.Polled = pane.Polled[Alerts]{
		Ctx: ctx, Poll: poll.State[Alerts]{ID: ctx.ID("alerts")}, Name: "Alerts", Short: "alerts",
		Configured: src != nil || am != nil, Scrubber: scrubber,
		NewFetch: func() func(context.Context) (Alerts, error) {
			return func(ctx context.Context) (Alerts, error) {
				list, err := src.Alerts(ctx)
				a := Alerts{List: list}
				if err == nil {
					a.readHistory(base, hist, scrubber)
				}
				return a, err
			}
		},
	}
	if am != nil {
		m.Short = "alertmanager"
		m.NewFetch = func() func(context.Context) (Alerts, error) {
			return func(ctx context.Context) (Alerts, error) {
				gs, err := am.Groups(ctx)
				a := Alerts{List: sources.Flatten(gs), Groups: gs}
				if err == nil {
					a.readHistory(base, hist, scrubber)
				}
				return a, err
			}
		}
	}
	return m
}

// readHistory starts a read of the alerts' history when one is due (nil
// hist: there is none to read) and adds the last one read to the alerts
// and to each of Alertmanager's groups, on the fetch's goroutine: the
// groups are copies, not the pane's.
func (a *Alerts) readHistory(base context.Context, hist *alerthistory.Reader, scrubber *redact.Scrubber) {
	if hist == nil {
		return
	}
	hist.Refresh(base, a.List)
	h, err := hist.Last()
	if h.At.IsZero() && err == nil {
		return // the first read is under way
	}
	a.History = h
	a.HasHistory = !h.At.IsZero()
	if err != nil {
		a.HistoryProblem = "not read: " + scrubber.Error(err)
	}
	note := h.Note
	if !a.HasHistory {
		note = a.HistoryProblem
	}
	gs := make([]sources.AlertGroup, len(a.Groups))
	for i, g := range a.Groups {
		g.History, g.HistoryNote = make([]*sources.AlertHistory, len(g.Alerts)), note
		for j, al := range g.Alerts {
			if ah, ok := h.For(al); ok {
				g.History[j] = &ah
			}
		}
		gs[i] = g
	}
	a.Groups = gs
}

// Groups are Alertmanager's alert groups as last read, and whether any
// read has succeeded yet.
func (m *Model) Groups() ([]sources.AlertGroup, bool) { return m.Poll.Last.Groups, m.Poll.HasLast }

// SetSize sets the strip's width; it is one line high.
func (m *Model) SetSize(w, _ int) tea.Cmd { m.w = w; m.Changed(); return nil }

// Failing reports whether the last fetch failed (direct /metrics mode has
// no alerts to fetch: that is not a failure).
func (m *Model) Failing() bool {
	return m.Poll.Err != nil && !errors.Is(m.Poll.Err, sources.ErrNoAlerting)
}

// Ticking reports whether the strip shows an age that moves every second.
func (m *Model) Ticking() bool { return m.Failing() }

// View renders one line.
func (m *Model) View(bool) []string {
	// Firing alerts show how long they have fired, in minutes.
	now := m.Ctx.Now()
	key := frame.MemoKey{W: m.w, H: 1, Version: m.Version(), Second: now.Unix() / 60}
	if m.Poll.Err != nil {
		key.Second = now.Unix()
	}
	return m.Memo().Get(key, m.render)
}

func (m *Model) render() []string {
	st := m.Ctx.Styles
	p := &m.Poll
	var line string
	switch {
	case !m.Configured:
		line = st.Muted.Render(" alerts: no Prometheus configured")
	case errors.Is(p.Err, sources.ErrNoAlerting) && p.Err != sources.ErrNoAlerting:
		// A server that evaluates no rules says so in its own words.
		line = st.Muted.Render(" alerts: " + p.Err.Error())
	case errors.Is(p.Err, sources.ErrNoAlerting):
		line = st.Muted.Render(" alerts: none in direct /metrics mode (alerting rules live in Prometheus)")
	case !p.HasLast && p.Err == nil:
		line = st.Muted.Render(" alerts: " + pane.Connecting)
	case p.Err != nil && p.HasLast:
		// One line holds what is wrong, how old the alerts shown are, and
		// the alerts: the error's text gives way, never the age.
		age := fmt.Sprintf(" (last ok %s ago)", units.Age(m.Ctx.Now().Sub(p.LastOK)))
		head := "⚠ " + m.Short + ": "
		msg := frame.OneLine(m.Scrubber.Error(p.Err))
		if room := m.w*2/3 - ansi.StringWidth(head+age); ansi.StringWidth(msg) > room {
			msg = ansi.Truncate(msg, max(room, 12), "…")
		}
		line = " " + st.Error.Render(head+msg+age) + "  " + m.summary()
	case p.Err != nil:
		// The words every pane uses for a failing source, on one line.
		line = " " + pane.ErrorLines(m.Ctx, m.Short, m.Scrubber.Error(p.Err), p, m.w, 1)[0]
	default:
		line = m.summary()
	}
	return []string{frame.Fit(line, m.w)}
}

func (m *Model) summary() string {
	st := m.Ctx.Styles
	var firing, pending, silenced []sources.Alert
	for _, a := range m.Poll.Last.List {
		switch {
		case a.Firing():
			firing = append(firing, a)
		case a.State == sources.AlertSuppressed:
			silenced = append(silenced, a)
		default:
			pending = append(pending, a)
		}
	}
	// Alertmanager's silenced alerts page no one: counted, apart.
	quiet := ""
	if len(silenced) > 0 {
		quiet = fmt.Sprintf(" · %d silenced: %s", len(silenced), names(silenced))
	}
	if len(firing) == 0 {
		s := st.OK.Render(" ✔ no alerts firing")
		if len(pending) > 0 {
			s += st.Muted.Render(fmt.Sprintf(" · %d pending: %s", len(pending), names(pending)))
		}
		return s + st.Muted.Render(quiet)
	}
	now := m.Ctx.Now()
	var b strings.Builder
	b.WriteString(st.Crit.Render(fmt.Sprintf(" ● %d firing:", len(firing))))
	for i, a := range firing {
		if i > 0 {
			b.WriteString(st.Muted.Render(" ·"))
		}
		paint := st.Warn
		if sources.Critical(a.Severity) {
			paint = st.Crit
		}
		detail := a.Severity
		if !a.ActiveAt.IsZero() {
			detail = strings.TrimPrefix(detail+", "+units.Age(now.Sub(a.ActiveAt)), ", ")
		}
		if h := m.historyWords(a, now); h != "" {
			detail = strings.TrimPrefix(detail+", "+h, ", ")
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
	b.WriteString(st.Muted.Render(quiet))
	return b.String()
}

// historyWords are a's last day in a few words: "5× in 24 h, flapping";
// "" when there is no history or it did not fire before this firing.
func (m *Model) historyWords(a sources.Alert, now time.Time) string {
	last := m.Poll.Last
	if !last.HasHistory {
		return ""
	}
	h, ok := last.History.For(a)
	if !ok {
		return ""
	}
	n := h.Stats(now, sources.HistoryDay).Count
	if n <= 1 {
		return ""
	}
	words := fmt.Sprintf("%d× in 24 h", n)
	if h.Flapping(now) {
		words += ", flapping"
	}
	return words
}

func names(as []sources.Alert) string {
	n := make([]string, len(as))
	for i, a := range as {
		n[i] = a.Name
	}
	return strings.Join(n, ", ")
}
