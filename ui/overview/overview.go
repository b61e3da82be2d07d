package overview

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/charmbracelet/x/ansi"
	"github.com/opsdeck/opsdeck/internal/glance"
	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/chart"
	"github.com/opsdeck/opsdeck/ui/frame"
	"github.com/opsdeck/opsdeck/ui/pane"
	"github.com/opsdeck/opsdeck/ui/theme"
)

// Env is one configured environment and its guard badges.
type Env struct {
	Name                            string
	Protected, Readonly, Disposable bool
}

// Options configure the screen.
type Options struct {
	Styles  *theme.Styles
	Now     func() time.Time
	After   func(d time.Duration, msg tea.Msg) tea.Cmd
	Refresh time.Duration // how often each environment is read
	Window  time.Duration // the sparklines' span
	// Open opens an environment's sources (its own clients; no I/O).
	Open  func(name string) (*sources.Environment, error)
	Hints string
}

// Model is the overview screen.
type Model struct {
	o       Options
	envs    []*entry
	cursor  string // the selected environment's name
	base    context.Context
	cancel  context.CancelFunc
	w, h    int
	version int
	memo    frame.Memo
}

// entry is one environment: its sources, its last row and the age of each
// part's last good read.
type entry struct {
	Env
	order   int
	src     *sources.Environment
	openErr string
	row     glance.Row
	has     bool
	gen     int
	// okAt is when each source was last read well, by name.
	okAt map[string]time.Time
}

// New builds the screen for envs, in the configuration's order; Start
// opens them and begins reading.
func New(o Options, envs []Env) *Model {
	m := &Model{o: o}
	for i, e := range envs {
		m.envs = append(m.envs, &entry{Env: e, order: i, okAt: map[string]time.Time{}})
	}
	if len(envs) > 0 {
		m.cursor = envs[0].Name
	}
	return m
}

// result is one environment's row, read.
type result struct {
	owner *Model
	name  string
	gen   int
	row   glance.Row
}

// tick is an environment's next read.
type tick struct {
	owner *Model
	name  string
	gen   int
}

// Msg reports whether msg is the screen's.
func Msg(msg tea.Msg) bool {
	switch msg.(type) {
	case result, tick:
		return true
	}
	return false
}

// Start opens every environment and reads each at once.
func (m *Model) Start() tea.Cmd {
	m.base, m.cancel = context.WithCancel(context.Background())
	var cmds []tea.Cmd
	for _, e := range m.envs {
		src, err := m.o.Open(e.Name)
		if err != nil {
			e.openErr = err.Error()
			continue
		}
		e.src = src
		cmds = append(cmds, m.read(e))
	}
	return tea.Batch(cmds...)
}

// Close stops the reads and releases every environment's clients.
func (m *Model) Close() {
	if m.cancel != nil {
		m.cancel()
	}
	for _, e := range m.envs {
		if e.src != nil && e.src.Close != nil {
			e.src.Close()
		}
		e.src = nil
	}
}

// read reads e once; its answer schedules the next.
func (m *Model) read(e *entry) tea.Cmd {
	e.gen++
	owner, name, gen, src, base, window, now := m, e.Name, e.gen, e.src, m.base, m.o.Window, m.o.Now
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(base, pane.FetchGuard)
		defer cancel()
		return result{owner: owner, name: name, gen: gen, row: glance.Read(ctx, src, window, now())}
	}
}

func (m *Model) entry(name string) *entry {
	for _, e := range m.envs {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// Update takes the screen's messages.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tick:
		if e := m.entry(msg.name); msg.owner == m && e != nil && e.src != nil && msg.gen == e.gen {
			return m.read(e)
		}
	case result:
		e := m.entry(msg.name)
		if msg.owner != m || e == nil || msg.gen != e.gen || e.src == nil {
			return nil
		}
		m.take(e, msg.row)
		m.version++
		return m.o.After(m.o.Refresh, tick{owner: m, name: e.Name, gen: e.gen})
	}
	return nil
}

// take keeps what was read well; a part that failed keeps its last good
// cells, which the screen shows with their age.
func (m *Model) take(e *entry, r glance.Row) {
	prev, had := e.row, e.has
	for i, s := range r.Signals {
		if s.Err != "" && had && i < len(prev.Signals) && prev.Signals[i].Has {
			p := prev.Signals[i]
			p.Err = s.Err
			r.Signals[i] = p
		}
	}
	for i, p := range r.Parts {
		switch old, ok := prev.Part(p.Source); {
		case p.Down == "":
			e.okAt[p.Source] = r.At
		case p.Worst == sources.StatusCrit:
			// A server down says so ("PG down"); its old figures would read
			// as live ones.
		case had && ok:
			r.Parts[i].Cells = old.Cells // the last good cells, said to be old
		}
	}
	e.row, e.has = r, true
}

// Rows are the environments in the screen's order: the worst first, then
// the configuration's order.
func (m *Model) Rows() []string {
	es := m.sorted()
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Name
	}
	return out
}

func (m *Model) sorted() []*entry {
	es := slices.Clone(m.envs)
	slices.SortStableFunc(es, func(a, b *entry) int {
		return cmp.Or(cmp.Compare(glance.Rank(b.level()), glance.Rank(a.level())), cmp.Compare(a.order, b.order))
	})
	return es
}

// level is how bad the environment is; one that cannot be opened or has
// never been read well is unknown.
func (e *entry) level() sources.Status {
	switch {
	case e.openErr != "":
		return sources.StatusCrit
	case !e.has:
		return sources.StatusNoData
	}
	return e.row.Level()
}

// Move moves the selection.
func (m *Model) Move(delta int) {
	rows := m.Rows()
	i := max(slices.Index(rows, m.cursor), 0)
	if len(rows) > 0 {
		m.cursor = rows[min(max(i+delta, 0), len(rows)-1)]
	}
	m.version++
}

// Selected is the selected environment's name.
func (m *Model) Selected() string { return m.cursor }

// Select puts the cursor on env (the console's environment, on opening).
func (m *Model) Select(name string) {
	if m.entry(name) != nil {
		m.cursor = name
		m.version++
	}
}

// Refresh reads every environment now.
func (m *Model) Refresh() tea.Cmd {
	var cmds []tea.Cmd
	for _, e := range m.envs {
		if e.src != nil {
			cmds = append(cmds, m.read(e))
		}
	}
	return tea.Batch(cmds...)
}

// SetSize sets the screen's size.
func (m *Model) SetSize(w, h int) { m.w, m.h = w, h; m.version++ }

// Ticking reports whether the screen shows an age that moves every second.
func (m *Model) Ticking() bool {
	if m.late(m.o.Now()) {
		return true
	}
	for _, e := range m.envs {
		if e.failing() {
			return true
		}
	}
	return false
}

// late reports whether an environment's last read is older than two
// refreshes (its next has not come back), so its age moves on screen.
func (m *Model) late(now time.Time) bool {
	for _, e := range m.envs {
		if e.has && now.Sub(e.row.At) > 2*m.o.Refresh {
			return true
		}
	}
	return false
}

// failing reports whether a configured part of e failed its last read.
func (e *entry) failing() bool {
	r := e.row
	if e.openErr != "" || !e.has {
		return false
	}
	for _, p := range r.Parts {
		if p.Configured && p.Down != "" {
			return true
		}
	}
	for _, s := range r.Signals {
		if s.Err != "" && s.Has {
			return true
		}
	}
	return false
}

// View draws the screen's body: a head line, two lines an environment.
func (m *Model) View() []string {
	now := m.o.Now()
	key := frame.MemoKey{W: m.w, H: m.h, Version: m.version}
	if m.Ticking() {
		key.Second = now.Unix()
	}
	return m.memo.Get(key, func() []string { return m.render(now) })
}

func (m *Model) render(now time.Time) []string {
	st := m.o.Styles
	var out []string
	add := func(s string) { out = append(out, frame.Fit(s, m.w)) }
	rows := m.sorted()
	// As many environments as fit (three lines each), the selected among them.
	fit := max((m.h-2)/3, 1)
	cur := max(slices.IndexFunc(rows, func(e *entry) bool { return e.Name == m.cursor }), 0)
	top := min(max(cur-fit+1, 0), max(len(rows)-fit, 0))
	head := fmt.Sprintf(" Every environment · %d · read every %s · the worst first", len(m.envs), units.ShortDuration(m.o.Refresh))
	if len(rows) > fit {
		head += fmt.Sprintf(" · %d–%d of %d", top+1, top+fit, len(rows))
		rows = rows[top : top+fit]
	}
	add(st.Title.Render(head))
	add("")
	for _, e := range rows {
		sel := e.Name == m.cursor
		first, second := m.lines(e, now)
		mark := "  "
		if sel {
			mark = st.Selected.Render("▶") + " "
		}
		add(mark + first)
		add("  " + second)
		add("")
	}
	return out
}

// Hints are the screen's keys, for the footer.
func (m *Model) Hints() string { return m.o.Hints }

// paint is a status's colour.
func paint(st *theme.Styles, s sources.Status) theme.Paint {
	switch s {
	case sources.StatusCrit:
		return st.Crit
	case sources.StatusWarn, sources.StatusError:
		return st.Warn
	case sources.StatusOK:
		return st.OK
	}
	return st.Muted
}

// ago says how old a part's last good read is.
func (e *entry) ago(part string, now time.Time) string {
	at, ok := e.okAt[part]
	if !ok {
		return "never read"
	}
	return "last ok " + units.Age(now.Sub(at)) + " ago"
}

// lines are an environment's two lines: its name, badges and state, then
// its golden signals.
func (m *Model) lines(e *entry, now time.Time) (string, string) {
	st := m.o.Styles
	lvl := e.level()
	name := paint(st, lvl).Render("● ") + st.Value.Render(frame.Fit(e.Name, 14))
	var badges []string
	if e.Protected {
		badges = append(badges, st.Crit.Render("PROTECTED"))
	}
	if e.Readonly {
		badges = append(badges, st.Warn.Render("readonly"))
	}
	if e.Disposable {
		badges = append(badges, st.OK.Render("disposable"))
	}
	head := name + " " + frame.Fit(strings.Join(badges, " "), 22)
	switch {
	case e.openErr != "":
		return head + st.Crit.Render("⚠ "+e.openErr), ""
	case !e.has:
		return head + st.Muted.Render(pane.Connecting), ""
	}
	r := e.row
	if age := now.Sub(r.At); age > 2*m.o.Refresh {
		// Its last read has not come back: the data shown is this old.
		head += st.Warn.Render("⚠ read " + units.Age(age) + " ago ")
	}
	// The worst parts first: on a narrow screen the line is cut at its end.
	parts := slices.Clone(r.Parts)
	slices.SortStableFunc(parts, func(a, b glance.Part) int { return cmp.Compare(glance.Rank(b.Worst), glance.Rank(a.Worst)) })
	cells := make([]string, 0, len(parts))
	for _, p := range parts {
		if c := partCell(st, e, p, now); c != "" {
			cells = append(cells, c)
		}
	}
	sig := make([]string, 0, len(r.Signals))
	for _, s := range r.Signals {
		sig = append(sig, signalCell(st, s))
	}
	return head + strings.Join(cells, st.Muted.Render(" · ")), strings.Join(sig, "   ")
}

// partCell draws one source's cells; one that could not be read says so,
// with its last good cells and their age.
func partCell(st *theme.Styles, e *entry, p glance.Part, now time.Time) string {
	if p.Down == "" {
		parts := make([]string, 0, len(p.Cells))
		for _, c := range p.Cells {
			parts = append(parts, paint(st, c.Status).Render(c.Text))
		}
		return strings.Join(parts, st.Text.Render(" "))
	}
	if _, ok := e.okAt[p.Source]; ok && len(p.Cells) > 0 {
		texts := make([]string, 0, len(p.Cells))
		for _, c := range p.Cells {
			texts = append(texts, c.Text)
		}
		return st.Warn.Render("⚠ " + strings.Join(texts, " ") + ": " + ansi.Truncate(frame.OneLine(p.Down), 36, "…") + " (" + e.ago(p.Source, now) + ")")
	}
	texts := make([]string, 0, len(p.Cells))
	for _, c := range p.Cells {
		texts = append(texts, c.Text)
	}
	switch {
	case len(texts) == 0:
		return ""
	case p.Worst == sources.StatusCrit: // a server that cannot be reached ("PG down"): why, in words
		return down(st, strings.Join(texts, " "), p.Down, e.ago(p.Source, now))
	}
	// A part read through another source (the alerts, the changes through
	// Prometheus) says only that it is unknown: the server's own part says why.
	return st.Muted.Render(strings.Join(texts, " "))
}

// down is a server's cell while it cannot be reached (what: "PG down"): why
// (cut short, the row has other cells) and how old its data is.
func down(st *theme.Styles, what, err, ago string) string {
	return st.Crit.Render("⚠ " + what + ": " + ansi.Truncate(frame.OneLine(err), 36, "…") + " (" + ago + ")")
}

func signalCell(st *theme.Styles, s glance.Signal) string {
	label := map[string]string{sources.RPS: "rate", sources.ErrorRate: "errors", sources.P95Latency: "p95", sources.Memory: "mem"}[s.Key]
	label = frame.Or(label, s.Title)
	value := "–"
	if s.Has {
		value = units.Format(s.Value, s.Unit)
	}
	text := label + " " + value
	if s.Err != "" && s.Has {
		text = "⚠ " + text
	}
	return paint(st, s.Status).Render(text) + " " + st.Muted.Render(sparkline(s.Points))
}

// sparkWidth is how many cells a signal's sparkline takes (braille, two
// points a cell, as the charts and the breakdown draw).
const sparkWidth = 10

// sparkline draws points in sparkWidth cells, a flat line along the bottom,
// no point at all as blanks.
func sparkline(points []float64) string {
	lo, hi, ok := sources.MinMax(points...)
	if !ok {
		return strings.Repeat(" ", sparkWidth)
	}
	if hi == lo {
		hi = lo + 1
	}
	return chart.Braille(points, sparkWidth, 1, lo, hi)[0]
}
