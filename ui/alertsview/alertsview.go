package alertsview

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/frame"
	"github.com/opsdeck/opsdeck/ui/pane"
	"github.com/opsdeck/opsdeck/ui/theme"
)

// Tabs of the view.
const (
	AlertsTab = iota
	SilencesTab
)

// Model is the view of one environment's Alertmanager.
type Model struct {
	ctx   *pane.Context
	src   sources.Alerting
	scrub *redact.Scrubber
	hints [2]string // per tab
	// groups reads the alert strip's last groups: the view does not ask
	// Alertmanager for them a second time.
	groups func() ([]sources.AlertGroup, bool, error)

	tab    int
	cursor [2]int

	silences []sources.Silence
	has      bool
	err      error
	loading  bool
	gen      int

	form *Form // the silence being written, while open
	w, h int
}

// New opens the view on src. groups gives the strip's last groups, whether
// one has come, and the strip's last error; hints are each tab's keys.
func New(ctx *pane.Context, src sources.Alerting, scrub *redact.Scrubber, groups func() ([]sources.AlertGroup, bool, error), alertHints, silenceHints string) *Model {
	return &Model{ctx: ctx, src: src, scrub: scrub, groups: groups, hints: [2]string{alertHints, silenceHints}}
}

type result struct {
	owner    *Model
	gen      int
	silences []sources.Silence
	err      error
}

// tick is the view's next read of the silences.
type tick struct {
	owner *Model
	gen   int
}

// Msg reports whether msg is the view's.
func Msg(msg tea.Msg) bool {
	switch msg.(type) {
	case result, tick:
		return true
	}
	return false
}

// Fetch reads the silences now; the next read follows a refresh after the
// answer, while the view is open (the only time they are read).
func (m *Model) Fetch() tea.Cmd {
	m.gen++
	m.loading = true
	owner, gen, src, base := m, m.gen, m.src, m.ctx.Base
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(base, pane.FetchGuard)
		defer cancel()
		s, err := src.Silences(ctx)
		return result{owner: owner, gen: gen, silences: s, err: err}
	}
}

// Update takes the view's messages.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tick:
		if msg.owner == m && msg.gen == m.gen {
			return m.Fetch()
		}
	case result:
		if msg.owner != m || msg.gen != m.gen {
			return nil
		}
		m.loading = false
		if msg.err != nil {
			m.err = msg.err
		} else {
			m.err, m.silences, m.has = nil, msg.silences, true
		}
		m.clamp()
		return m.ctx.After(m.ctx.Refresh, tick{owner: m, gen: m.gen})
	}
	return nil
}

// SetSize sets the view's outer size.
func (m *Model) SetSize(w, h int) {
	m.w, m.h = w, h
	if m.form != nil {
		m.form.SetWidth(m.innerWidth())
	}
}

// innerWidth is the width the view's lines take.
func (m *Model) innerWidth() int { return max(m.w-4, 30) }

// Tab is the tab shown.
func (m *Model) Tab() int { return m.tab }

// NextTab shows the other tab.
func (m *Model) NextTab() { m.tab = 1 - m.tab; m.clamp() }

// Move moves the cursor of the tab shown.
func (m *Model) Move(delta int) { m.cursor[m.tab] += delta; m.clamp() }

func (m *Model) clamp() {
	n := [2]int{len(m.alertRows()), len(m.active())}
	for t := range m.cursor {
		m.cursor[t] = min(max(m.cursor[t], 0), max(n[t]-1, 0))
	}
}

// alertRow is one alert of the list, with its group and its index there.
type alertRow struct {
	group, index int
	alert        sources.Alert
}

func (m *Model) alertRows() []alertRow {
	gs, _, _ := m.groups()
	var out []alertRow
	for i, g := range gs {
		for j, a := range g.Alerts {
			out = append(out, alertRow{group: i, index: j, alert: a})
		}
	}
	return out
}

// historyOf is the history of g's i-th alert, nil when none was read.
func historyOf(g sources.AlertGroup, i int) *sources.AlertHistory {
	if i < len(g.History) {
		return g.History[i]
	}
	return nil
}

// historyLines are the selected alert's history lines, wrapped to iw.
func (m *Model) historyLines(text []string, iw int) []string {
	var out []string
	st := m.ctx.Styles
	for i, t := range text {
		p := st.Muted
		if i > 0 { // flapping
			p = st.Warn
		}
		for _, l := range frame.WrapN(t, iw, 2) {
			out = append(out, p.Render(frame.Fit(l, iw)))
		}
	}
	return out
}

// active are the silences the view lists: active and pending ones (the
// expired are history).
func (m *Model) active() []sources.Silence {
	var out []sources.Silence
	for _, s := range m.silences {
		if s.State == "active" || s.State == "pending" {
			out = append(out, s)
		}
	}
	return out
}

// Selected is the alert under the cursor and the fingerprints of its
// group's alerts (to tell a silence's reach in and beyond it).
func (m *Model) Selected() (sources.Alert, []string, bool) {
	rows := m.alertRows()
	if m.tab != AlertsTab || m.cursor[AlertsTab] >= len(rows) {
		return sources.Alert{}, nil, false
	}
	r := rows[m.cursor[AlertsTab]]
	gs, _, _ := m.groups()
	var group []string
	for _, a := range gs[r.group].Alerts {
		group = append(group, a.Fingerprint)
	}
	return r.alert, group, true
}

// SelectedSilence is the silence under the cursor.
func (m *Model) SelectedSilence() (sources.Silence, bool) {
	act := m.active()
	if m.tab != SilencesTab || m.cursor[SilencesTab] >= len(act) {
		return sources.Silence{}, false
	}
	return act[m.cursor[SilencesTab]], true
}

// OpenForm starts a silence of the selected alert: its matchers are the
// alert's labels (exactly this alert; edit them to reach more), for dur
// (0: the form's default), with comment.
func (m *Model) OpenForm(dur time.Duration, comment string) (tea.Cmd, bool) {
	a, group, ok := m.Selected()
	if !ok {
		return nil, false
	}
	m.form = NewForm(a, group, dur, comment)
	m.form.SetWidth(m.innerWidth())
	return m.form.Focus(), true
}

// Form is the silence being written, nil when none.
func (m *Model) Form() *Form { return m.form }

// CloseForm drops the silence being written.
func (m *Model) CloseForm() { m.form = nil }

// Title names the view.
func (m *Model) Title() string {
	if m.form != nil {
		return "New silence"
	}
	return "Alerts · " + m.src.String()
}

// silencesOf maps silence IDs to silences.
func (m *Model) silenceByID() map[string]sources.Silence {
	out := make(map[string]sources.Silence, len(m.silences))
	for _, s := range m.silences {
		out[s.ID] = s
	}
	return out
}

// AlertFields are one alert as the list shows it: its state's mark, its
// severity, its name with the labels that tell it from its group's
// others, how long it has been firing, how often it fired in the last day
// (from h, nil when unknown; "flap" when flapping), and its summary or why
// it is quiet.
func AlertFields(a sources.Alert, group map[string]string, now time.Time, silences map[string]sources.Silence, h *sources.AlertHistory) []string {
	mark := map[string]string{sources.AlertActive: "●", sources.AlertSuppressed: "◌", sources.AlertUnprocessed: "…"}[a.State]
	var extra []string
	for _, k := range slices.Sorted(maps.Keys(a.Labels)) {
		if _, ok := group[k]; ok || k == "alertname" || k == "severity" {
			continue
		}
		extra = append(extra, k+"="+frame.Cut(a.Labels[k], labelCut))
	}
	name := a.Name
	if len(extra) > 0 {
		name += " {" + strings.Join(extra, ", ") + "}"
	}
	name = frame.Cut(name, frame.MaxText)
	age := ""
	if !a.ActiveAt.IsZero() {
		age = units.Age(now.Sub(a.ActiveAt))
	}
	note := a.Summary
	switch {
	case len(a.SilencedBy) > 0:
		note = "silenced"
		if s, ok := silences[a.SilencedBy[0]]; ok {
			note = fmt.Sprintf("silenced by %s until %s", s.CreatedBy, clock(s.EndsAt, now))
		}
	case len(a.InhibitedBy) > 0:
		note = "inhibited by another alert"
	}
	return []string{mark, a.Severity, frame.OneLine(name), age, fired(h, now), frame.OneLine(frame.Cut(note, frame.MaxText))}
}

// fired is how often h fired in the last day, in a few cells: "5× flap".
func fired(h *sources.AlertHistory, now time.Time) string {
	if h == nil {
		return ""
	}
	n := h.Stats(now, sources.HistoryDay).Count
	switch {
	case n == 0:
		return ""
	case h.Flapping(now):
		return fmt.Sprintf("%d× flap", n)
	}
	return fmt.Sprintf("%d×", n)
}

// HistoryText is an alert's history in words for its details: how often
// and how long it fired over 24 h and 7 days, its median firing, when it
// last resolved, and flapping spelled out. h nil with note "": no history
// was read (""); with a note: why there is none.
func HistoryText(h *sources.AlertHistory, read bool, note string, now time.Time) []string {
	switch {
	case note != "":
		return []string{"history: " + note}
	case !read:
		return nil
	case h == nil:
		return []string{"history: did not fire in " + sources.SpanWords(sources.HistoryWeek)}
	}
	day, week := h.Stats(now, sources.HistoryDay), h.Stats(now, sources.HistoryWeek)
	text := fmt.Sprintf("history: %s in 24 h (%s), %s in 7 days (%s), median %s", times(day.Count), sources.HistoryDuration(day.Total),
		times(week.Count), sources.HistoryDuration(week.Total), sources.HistoryDuration(week.Median))
	if at, ok := h.LastResolved(); ok {
		text += fmt.Sprintf("; last resolved %s (%s ago)", clock(at, now), units.Age(now.Sub(at)))
	}
	out := []string{text}
	if h.Flapping(now) {
		out = append(out, fmt.Sprintf("flapping: it fired %d times or more in 24 h; its threshold or its for: may want a look", sources.FlapFirings))
	}
	return out
}

// times is "once", "5 times".
func times(n int) string {
	if n == 1 {
		return "once"
	}
	return fmt.Sprintf("%d times", n)
}

// labelCut bounds one label value in a line that lists several: the line
// shows the first of them, the details the rest.
const labelCut = 200

// clock is t as the time of day when it is today, else with its date.
func clock(t, now time.Time) string {
	t = t.In(now.Location())
	if y, m, d := t.Date(); y == now.Year() && m == now.Month() && d == now.Day() {
		return t.Format("15:04")
	}
	return t.Format("01-02 15:04")
}

// SilenceFields are one silence as the list shows it: its state, when it
// ends and how long is left, who made it, its matchers, how many of the
// alerts it matches and why it was made.
func SilenceFields(s sources.Silence, now time.Time, alerts []sources.Alert) []string {
	ms := make([]string, len(s.Matchers))
	for i, m := range s.Matchers {
		ms[i] = frame.Cut(m.String(), labelCut)
	}
	matched := 0
	for _, a := range alerts {
		// Matched as Alertmanager does: on the values as they are.
		if a.Raw.MatchedBy(s.Matchers) {
			matched++
		}
	}
	left := "ended"
	switch {
	case s.State == "pending":
		left = "starts in " + units.Age(s.StartsAt.Sub(now))
	case s.EndsAt.After(now):
		left = units.Age(s.EndsAt.Sub(now)) + " left"
	}
	return []string{s.State, s.EndsAt.In(now.Location()).Format("01-02 15:04"), left, frame.OneLine(frame.Cut(s.CreatedBy, frame.MaxText)),
		frame.OneLine(frame.Cut(strings.Join(ms, ", "), frame.MaxText)), fmt.Sprint(matched), frame.OneLine(frame.Cut(s.Comment, frame.MaxText))}
}

// View draws the view within its size.
func (m *Model) View(st *theme.Styles) []string {
	iw := m.innerWidth()
	if m.form != nil {
		return m.form.View(st, iw, m.ctx.Now())
	}
	var out []string
	add := func(p theme.Paint, s string) { out = append(out, p.Render(frame.Fit(s, iw))) }
	gs, hasGroups, gerr := m.groups()
	var all []sources.Alert
	for _, g := range gs {
		all = append(all, g.Alerts...)
	}
	counts := map[string]int{}
	for _, a := range all {
		counts[a.State]++
	}
	tabs := "[alerts] silences"
	if m.tab == SilencesTab {
		tabs = "alerts [silences]"
	}
	status := fmt.Sprintf("%s · %d active, %d silenced or inhibited", tabs, counts[sources.AlertActive], counts[sources.AlertSuppressed])
	if m.has {
		status += fmt.Sprintf(" · %d silences", len(m.active()))
	}
	errText := ""
	switch {
	case gerr != nil:
		errText = m.scrub.Error(gerr)
	case m.err != nil:
		errText = "silences: " + m.scrub.Error(m.err)
	}
	head := pane.OverlayHead{Status: status, Loading: m.loading && !m.has, Has: hasGroups, Err: errText, Hints: m.hints[m.tab]}
	lines, done := head.Lines(st, iw)
	if out = append(out, lines...); done {
		return out
	}
	now := m.ctx.Now()
	if m.tab == SilencesTab {
		return append(out, m.silencesView(st, iw, now, all)...)
	}
	rows := m.alertRows()
	if len(rows) == 0 {
		add(st.OK, "✔ no alerts in Alertmanager")
		add(st.Muted, m.hints[m.tab])
		return out
	}
	byID := m.silenceByID()
	cols := []int{1, 9, 44, 6, 7}
	line := func(f []string) string {
		rest := iw - 2 - 1 - 9 - 44 - 6 - 7 - 5 // the row's indent, then the columns and their gaps
		return frame.Fit(f[0], cols[0]) + " " + frame.Fit(f[1], cols[1]) + " " + frame.Fit(f[2], cols[2]) + " " + frame.FitRight(f[3], cols[3]) + " " +
			frame.Fit(f[4], cols[4]) + " " + frame.Fit(f[5], max(rest, 0))
	}
	// The selected alert's details take the bottom; the list what is left.
	sel := rows[m.cursor[AlertsTab]]
	g := gs[sel.group]
	details := m.details(sel.alert, byID, now, iw)
	details = append(details, m.historyLines(HistoryText(historyOf(g, sel.index), g.History != nil, g.HistoryNote, now), iw)...)
	room := max(m.h-6-len(out)-len(details), 3)
	// Group headers count against the room too: rows are laid out, then cut.
	type shown struct {
		text  string
		paint theme.Paint
	}
	var list []shown
	cursorLine := 0
	for i, r := range rows {
		if i == 0 || rows[i-1].group != r.group {
			g := gs[r.group]
			list = append(list, shown{frame.OneLine("▸ " + labelText(g.Labels) + " → " + frame.Cut(g.Receiver, labelCut)), st.Muted})
		}
		p := st.Text
		switch {
		case i == m.cursor[AlertsTab]:
			p, cursorLine = st.Selected, len(list)
		case r.alert.State == sources.AlertSuppressed:
			p = st.Faint
		case r.alert.State == sources.AlertActive && sources.Critical(r.alert.Severity):
			p = st.Crit
		case r.alert.State == sources.AlertActive:
			p = st.Warn
		}
		list = append(list, shown{line(AlertFields(r.alert, gs[r.group].Labels, now, byID, historyOf(gs[r.group], r.index))), p})
	}
	top := min(max(cursorLine-room+1, 0), max(len(list)-room, 0))
	for _, l := range list[top:min(top+room, len(list))] {
		add(l.paint, "  "+l.text)
	}
	if len(list) > room {
		add(st.Muted, fmt.Sprintf("alert %d of %d", m.cursor[AlertsTab]+1, len(rows)))
	}
	out = append(out, details...)
	add(st.Muted, m.hints[m.tab])
	return out
}

// labelText writes labels as name="value", sorted, each value cut to
// labelCut bytes and the whole to frame.MaxText: 64 labels of kilobytes
// each would otherwise be laid out on every frame.
func labelText(labels map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		if b.Len() > frame.MaxText {
			break
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s=%q", k, frame.Cut(labels[k], labelCut))
	}
	if b.Len() == 0 {
		return "(all alerts)"
	}
	return frame.Cut(b.String(), frame.MaxText)
}

// details are the selected alert's lines: its labels, texts, runbook, and
// what keeps it quiet.
func (m *Model) details(a sources.Alert, byID map[string]sources.Silence, now time.Time, iw int) []string {
	st := m.ctx.Styles
	var out []string
	add := func(p theme.Paint, s string) {
		for _, l := range frame.WrapN(s, iw, 2) {
			out = append(out, p.Render(frame.Fit(l, iw)))
		}
	}
	out = append(out, st.Faint.Render(strings.Repeat("─", iw)))
	add(st.Muted, "labels: "+labelText(a.Labels))
	// WrapN cuts what it wraps to frame.MaxText.
	if a.Description != "" {
		add(st.Text, a.Description)
	} else if a.Summary != "" {
		add(st.Text, a.Summary)
	}
	if a.RunbookURL != "" {
		add(st.Value, "runbook: "+a.RunbookURL)
	}
	if !a.ActiveAt.IsZero() {
		add(st.Muted, "since "+a.ActiveAt.In(now.Location()).Format("2006-01-02 15:04:05")+" ("+units.Age(now.Sub(a.ActiveAt))+")")
	}
	for _, id := range a.SilencedBy {
		s, ok := byID[id]
		if !ok {
			add(st.Muted, "silenced by "+id)
			continue
		}
		add(st.Muted, fmt.Sprintf("silenced by %s until %s (%s left): %q", frame.Cut(s.CreatedBy, labelCut), s.EndsAt.In(now.Location()).Format("01-02 15:04"),
			units.Age(s.EndsAt.Sub(now)), frame.Cut(s.Comment, frame.MaxText)))
	}
	if len(a.InhibitedBy) > 0 {
		add(st.Muted, "inhibited by alert "+strings.Join(a.InhibitedBy, ", "))
	}
	return out
}

func (m *Model) silencesView(st *theme.Styles, iw int, now time.Time, alerts []sources.Alert) []string {
	var out []string
	add := func(p theme.Paint, s string) { out = append(out, p.Render(frame.Fit(s, iw))) }
	if !m.has {
		if m.err == nil {
			add(st.Muted, "reading the silences…")
		}
		add(st.Muted, m.hints[SilencesTab])
		return out
	}
	act := m.active()
	if len(act) == 0 {
		add(st.Muted, "no active or pending silences")
		add(st.Muted, m.hints[SilencesTab])
		return out
	}
	cols := []int{8, 11, 14, 16, 34, 6}
	line := func(f []string) string {
		var b strings.Builder
		rest := iw
		for i, c := range cols {
			if i == 5 {
				b.WriteString(frame.FitRight(f[i], c) + " ")
			} else {
				b.WriteString(frame.Fit(f[i], c) + " ")
			}
			rest -= c + 1
		}
		b.WriteString(frame.Fit(f[6], max(rest, 0)))
		return b.String()
	}
	add(st.Muted, line([]string{"STATE", "ENDS", "LEFT", "BY", "MATCHERS", "ALERTS", "COMMENT"}))
	room := max(m.h-6-len(out), 3)
	top := min(max(m.cursor[SilencesTab]-room+1, 0), max(len(act)-room, 0))
	for i := top; i < min(top+room, len(act)); i++ {
		p := st.Text
		if i == m.cursor[SilencesTab] {
			p = st.Selected
		}
		add(p, line(SilenceFields(act[i], now, alerts)))
	}
	if len(act) > room {
		add(st.Muted, fmt.Sprintf("silence %d of %d", m.cursor[SilencesTab]+1, len(act)))
	}
	add(st.Muted, m.hints[SilencesTab])
	return out
}
