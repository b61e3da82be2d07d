package ui

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/ui/actionpane"
	"github.com/opsdeck/opsdeck/ui/binding"
	"github.com/opsdeck/opsdeck/ui/frame"
	"github.com/opsdeck/opsdeck/ui/theme"
)

// Smallest usable screen; below it the console says so instead of garbling.
const (
	minWidth  = 40
	minHeight = 12
)

// row is one band of the body: a height and the panes side by side in it.
type row struct {
	h     int
	cells []cell
}

type cell struct {
	pane int // index into m.panes
	w    int
}

// layout is recomputed on every size, focus or zoom change. It returns the
// fetches of panes that grew.
func (m *Model) layout() tea.Cmd {
	body := m.h - 3 // header, alert strip, footer
	m.rowsCache = nil
	m.action.SetSize(min(m.w-4, 140), m.h*2/3) // the action overlay's largest size
	for _, s := range m.stack {
		s.resize(m.w, m.h)
	}
	if m.w < minWidth || m.h < minHeight || len(m.panes) == 0 {
		return nil
	}
	m.alerts.SetSize(m.w, 1)
	metrics := len(m.charts)
	showState := len(m.panes) > metrics && body >= 16
	if metrics == 0 {
		showState = len(m.panes) > 0
	}
	metricsH := body
	switch {
	case metrics == 0:
		metricsH = 0
	case showState:
		metricsH = body * 2 / 3
	}
	// Pages, when the panes would be drawn smaller than they can show; the
	// page follows the focus.
	groups := make([]string, metrics)
	for i, c := range m.charts {
		groups[i] = c.Spec().Group
	}
	chartsH, stripH := m.stripSplit(metricsH, body, showState) // the log volume under the charts
	m.pages = paginate(groups, chartCols(m.w, metrics)*max(chartsH/minChartH, 1))
	if m.focus < metrics {
		m.page = pageOf(m.pages, m.focus)
	}
	m.page = min(m.page, len(m.pages)-1)
	shown := m.pages[m.page].charts
	var cmds []tea.Cmd
	for i, c := range m.charts {
		cmds = append(cmds, c.SetHidden(metrics > 0 && !slices.Contains(shown, i)))
	}
	if m.zoomed() {
		m.rowsCache = []row{{h: body, cells: []cell{{pane: m.focus, w: m.w}}}}
		return tea.Batch(append(cmds, m.panes[m.focus].SetSize(m.w, body))...)
	}
	cols := chartCols(m.w, len(shown))
	metricRows := (len(shown) + cols - 1) / cols
	idx := 0
	for r := 0; r < metricRows; r++ {
		h := chartsH / metricRows
		if r == metricRows-1 {
			h = chartsH - h*(metricRows-1)
		}
		var cells []cell
		n := min(cols, len(shown)-idx) // a short last row still spans the screen
		for c := 0; c < n; c++ {
			cells = append(cells, cell{pane: shown[idx], w: share(m.w, n, c)})
			idx++
		}
		m.rowsCache = append(m.rowsCache, row{h: h, cells: cells})
	}
	m.rowsCache = append(m.rowsCache, m.stripRows(stripH, m.rowsCache)...)
	if showState {
		cols, rows := stateGrid(m.w, len(m.panes)-metrics)
		m.rowsCache = append(m.rowsCache, stateRowsOf(metrics, len(m.panes)-metrics, cols, rows, m.w, body-chartsH-stripH)...)
	}
	for _, r := range m.rowsCache {
		for _, c := range r.cells {
			if c.pane != stripCell { // sized by stripRows
				cmds = append(cmds, m.panes[c.pane].SetSize(c.w, r.h))
			}
		}
	}
	// Hidden panes (state row on a short screen) keep polling at a nominal size.
	if !showState {
		for i := metrics; i < len(m.panes); i++ {
			cmds = append(cmds, m.panes[i].SetSize(m.w/3, 8))
		}
	}
	return tea.Batch(cmds...)
}

// minStateW is the narrowest a state pane is drawn in one row: narrower,
// its lines lose their figures, and the panes go into two rows, each pane
// keeping its most urgent lines (the panes list them first).
const minStateW = 26

// stateGrid lays n state panes out in w cells: one row when each gets
// minStateW, else two rows (a 2x2 grid for four).
func stateGrid(w, n int) (cols, rows int) {
	if n <= 1 || w/n >= minStateW {
		return max(n, 1), 1
	}
	return (n + 1) / 2, 2
}

// stateRowsOf are the state panes (from the first, n of them) in rows of
// cols, sharing h lines; a short last row still spans the screen.
func stateRowsOf(first, n, cols, rows, w, h int) []row {
	var out []row
	for r := 0; r < rows; r++ {
		from, to := first+r*cols, min(first+(r+1)*cols, first+n)
		var cells []cell
		for i := from; i < to; i++ {
			cells = append(cells, cell{pane: i, w: share(w, to-from, i-from)})
		}
		if len(cells) > 0 {
			out = append(out, row{h: share(h, rows, r), cells: cells})
		}
	}
	return out
}

// share splits total into n near-equal parts; part i gets the remainder last.
func share(total, n, i int) int {
	w := total / n
	if i == n-1 {
		return total - w*(n-1)
	}
	return w
}

// View is the whole screen.
func (m *Model) View() tea.View {
	v := tea.NewView(m.Render())
	v.AltScreen = true
	v.WindowTitle = "opsdeck · " + m.env.Name
	return v
}

// Render draws the screen as a string of exactly h lines of w cells; the
// frame last drawn while it is held (hold.go).
func (m *Model) Render() string {
	if m.hold.on && m.shown != "" {
		return m.shown
	}
	m.shown = m.render()
	return m.shown
}

func (m *Model) render() string {
	if m.w == 0 {
		return "opsdeck: starting…"
	}
	st := m.deps.Styles
	if m.w < minWidth || m.h < minHeight {
		return frame.Fit(st.Warn.Render(fmt.Sprintf("terminal too small: %dx%d, opsdeck needs at least %dx%d", m.w, m.h, minWidth, minHeight)), m.w)
	}
	if o, ok := m.top().(*overviewScreen); ok && o.model != nil {
		return m.overviewFrame(o.model)
	}
	// The panes hand over cached lines, and the frame is only their
	// concatenation. Most messages (a pane's tick, a fetch that changed
	// nothing) change no line: the last frame is then handed back as it
	// was, without building it again.
	header, alert, footer := m.header(), m.alerts.View(false)[0], m.footer()
	views := m.viewsBuf[:0] // apart from the key's: compared with it
	for _, r := range m.rowsCache {
		for _, c := range r.cells {
			views = append(views, m.cellView(c))
		}
	}
	key := frameKey{header: header, alert: alert, footer: footer, w: m.w, h: m.h, views: views}
	if m.frameKey.same(key) && m.frame != "" {
		m.viewsBuf = views
		return m.overlaid(m.frame)
	}
	m.viewsBuf, m.frameKey = m.frameKey.views, key
	// Composed in a buffer kept from frame to frame, then copied once into
	// the frame's string: one allocation of the frame's own size.
	b := append(m.frameBuf[:0], header...)
	b = append(b, '\n')
	b = append(b, alert...)
	written := 2
	blocks := make([][]string, 0, 4)
	at := 0
	for _, r := range m.rowsCache {
		blocks = blocks[:0]
		for range r.cells {
			blocks = append(blocks, views[at])
			at++
		}
		for i := 0; i < r.h; i++ {
			b = append(b, '\n')
			for _, blk := range blocks {
				if i < len(blk) {
					b = append(b, blk[i]...)
				}
			}
		}
		written += r.h
	}
	for ; written < m.h-1; written++ {
		b = append(b, '\n')
		for range m.w {
			b = append(b, ' ')
		}
	}
	b = append(b, '\n')
	b = append(b, footer...)
	m.frameBuf = b
	m.frame = string(b)
	return m.overlaid(m.frame)
}

// frameKey is what a frame was built from: the same key, the same frame.
// The panes' lines are compared by identity: a pane hands back the same
// memoised slice while it draws the same.
type frameKey struct {
	header, alert, footer string
	w, h                  int
	views                 [][]string
}

func (k frameKey) same(o frameKey) bool {
	if k.header != o.header || k.alert != o.alert || k.footer != o.footer || k.w != o.w || k.h != o.h || len(k.views) != len(o.views) {
		return false
	}
	for i := range k.views {
		if len(k.views[i]) != len(o.views[i]) || (len(k.views[i]) > 0 && &k.views[i][0] != &o.views[i][0]) {
			return false
		}
	}
	return true
}

// overlaid is the console's frame with the top screen drawn over it, and
// the action overlay over both while it is up.
func (m *Model) overlaid(screen string) string {
	if m.action.Active() {
		return m.compose(screen, strings.Join(m.action.View(m.deps.Styles), "\n"))
	}
	return m.top().draw(m, screen)
}

func (m *Model) header() string {
	st := m.deps.Styles
	env := m.env
	left := st.Accent.Render(" opsdeck ")
	var badges []string
	if env.Protected {
		badges = append(badges, st.BadgeProtected.Render(" ⚠ PROTECTED ")+" ")
	}
	if env.Readonly {
		badges = append(badges, st.BadgeReadonly.Render(" READ-ONLY ")+" ")
	}
	if env.Disposable {
		badges = append(badges, st.BadgeDisposable.Render(" disposable ")+" ")
	}
	envPaint := st.BadgeEnv
	if env.Protected {
		envPaint = st.BadgeProtected
	}
	left += envPaint.Render(" env: "+env.Name+" ") + " " + strings.Join(badges, "")
	if f := m.narrow.String(); f != "" {
		left += st.Accent.Render("◎ "+f) + st.Faint.Render(" ("+m.keys.key("close")+" clears) ")
	}
	if n := len(m.pages); n > 1 {
		left += st.Accent.Render(fmt.Sprintf("page %d/%d ", m.page+1, n)) + st.Muted.Render(m.pages[m.page].title+" ")
	}
	if n := m.failing(); n > 0 {
		left += st.Error.Render(fmt.Sprintf("⚠ %d failing ", n))
	}
	// The right side's parts, most important first: what is paused and
	// where the cursor is must stay when the line is short of room; the
	// config's path, then the server's name give way first.
	base := st.Muted.Render(fmt.Sprintf("refresh %s · window %s · %s ",
		units.ShortDuration(m.deps.Refresh), units.ShortDuration(m.timeline.Window), m.deps.Now().Format("15:04")))
	var pause, compare, config, server string
	if srv := m.serverName(); srv != "" && m.w >= 100 {
		server = st.Muted.Render(srv + " · ")
	}
	if by := m.timeline.Compare; by > 0 {
		compare = st.Accent.Render("vs "+units.Offset(by)+" ") + st.Faint.Render("· ")
	}
	if src := m.deps.ConfigSource; src != "" && m.w >= 120 {
		// The file's name is at the end of its path: keep that end.
		if n, room := ansi.StringWidth(src), m.w/4; n > room {
			src = ansi.TruncateLeft(src, n-room+1, "…")
		}
		config = st.Faint.Render("config " + src + " · ")
	}
	if t := m.timeline; t.Paused {
		p := " ‖ PAUSED at " + t.At.Format("15:04:05")
		if !t.Cursor.IsZero() {
			p += " · cursor " + t.Cursor.Format("15:04:05")
		}
		pause = st.BadgeReadonly.Render(p+" ") + " "
	}
	right := m.headerRight.pick(left, m.w, pause+compare+config+server+base, pause+compare+server+base, pause+compare+base, pause+base, pause)
	line := m.headerLine.Spread(left, right, m.w)
	if env.Protected {
		// Production must be unmistakable: the whole bar turns red.
		return st.HeaderProtected.Render(ansi.Strip(line))
	}
	return line
}

// rightPick is the header's right side that fits beside its left, the
// choice kept while neither changes (measuring is most of a header's cost).
type rightPick struct {
	left, full, out string
	w               int
}

// pick is the first of candidates (fullest first) that fits beside left in
// w cells; the last when none does (Spread then drops it).
func (p *rightPick) pick(left string, w int, candidates ...string) string {
	if p.left == left && p.w == w && p.full == candidates[0] {
		return p.out
	}
	p.left, p.w, p.full = left, w, candidates[0]
	room := w - ansi.StringWidth(left) - 1
	p.out = candidates[len(candidates)-1]
	for _, c := range candidates {
		if ansi.StringWidth(c) <= room {
			p.out = c
			break
		}
	}
	return p.out
}

func (m *Model) footer() string {
	st := m.deps.Styles
	var parts []string
	for _, b := range m.bindings {
		if !b.Footer || (b.Disabled != nil && b.Disabled(m) != "") {
			continue
		}
		parts = append(parts, st.Key.Render(m.keys.key(b.Name))+" "+st.Muted.Render(b.Help))
	}
	left := " " + strings.Join(parts, st.Faint.Render(" · "))
	right := ""
	if len(m.deps.Warnings) > 0 {
		right = st.Warn.Render(fmt.Sprintf("⚠ %d config warning(s): opsdeck config print ", len(m.deps.Warnings)))
	}
	if m.zoomed() {
		right = st.Muted.Render("zoomed: "+m.keys.key("close")+" to return ") + right
	}
	// The answer to the last key, then a notice (where a report went),
	// matter more than the key hints: they take their place, where no
	// width can drop them.
	switch f := cmp.Or(m.flash, m.action.Flash()); {
	case f != "":
		left = " " + st.Warn.Render(f)
	case m.notice != "":
		left = " " + st.Accent.Render(m.notice)
	}
	return m.footerLine.Spread(left, right, m.w)
}

// compose draws box centred over screen.
func (m *Model) compose(screen, box string) string {
	c := &m.composed
	if c.screen == screen && c.box == box && c.w == m.w && c.h == m.h {
		return c.out // the frame drawn for a message that changed nothing seen
	}
	bw, bh := lipgloss.Size(box)
	x, y := max((m.w-bw)/2, 0), max((m.h-bh)/2, 0)
	// Each of the box's lines goes between the screen line's cells left and
	// right of it. (lipgloss's compositor does the same through a cell
	// canvas of the whole screen: some ten times the work, every frame.)
	lines := strings.Split(screen, "\n")
	for i, b := range strings.Split(box, "\n") {
		r := y + i
		if r >= len(lines) {
			break
		}
		l := lines[r]
		// The right part keeps the escape sequences before its cut, so it
		// is drawn in the style it had; the box starts and ends unstyled.
		lines[r] = frame.Fit(ansi.Truncate(l, x, "")+reset+frame.Fit(b, bw)+reset+ansi.TruncateLeft(l, x+bw, ""), m.w)
	}
	*c = composed{screen: screen, box: box, w: m.w, h: m.h, out: strings.Join(lines, "\n")}
	return c.out
}

// composed is the last overlay frame and what it was made of: most
// messages change nothing on screen, and an overlay frame is costly.
type composed struct {
	screen, box, out string
	w, h             int
}

// box draws content in the overlays' bordered box, the last one kept: an
// overlay's text changes far less often than frames are drawn.
// titled is a box's content: its title, cut to the body's width (a long
// filter or trace id must not widen the box past the screen), a blank line,
// then the body.
func titled(st *theme.Styles, title string, body []string) string {
	w := 0
	for _, l := range body {
		w = max(w, ansi.StringWidth(l))
	}
	if w > 0 && ansi.StringWidth(title) > w {
		title = frame.Fit(title, w)
	}
	return st.Title.Render(title) + "\n\n" + strings.Join(body, "\n")
}

func (m *Model) box(content string) string {
	b := &m.boxed
	if b.content != content || b.out == "" {
		b.content, b.out = content, m.boxStyle().Render(content)
	}
	return b.out
}

// reset ends every style (SGR 0).
const reset = "\x1b[m"

func (m *Model) boxStyle() lipgloss.Style {
	s := lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).Padding(0, 1)
	if !m.deps.Styles.NoColor {
		s = s.BorderForeground(lipgloss.Color("#88c0d0"))
	}
	return s
}

// helpBox is generated from the keymap, so it lists exactly what keys do.
func (m *Model) helpBox() string {
	st := m.deps.Styles
	title := st.Accent.Render("opsdeck " + m.deps.Version + " — keys")
	footer := st.Muted.Render("any key closes this help")
	// Why a key is off makes the columns wide: on a short screen they go
	// (the key stays, greyed), and what still does not fit is cut above
	// the last line, which always says how to close.
	room := max(m.h-6, 3) // the box's border and padding, title and footer
	grid := m.helpGrid(true)
	if lipgloss.Height(grid) > room {
		grid = m.helpGrid(false)
	}
	if lines := strings.Split(grid, "\n"); len(lines) > room {
		grid = strings.Join(append(lines[:room-1], st.Muted.Render("… (a taller terminal shows every key)")), "\n")
	}
	return m.box(title + "\n\n" + grid + "\n\n" + footer)
}

// helpGrid is the bindings by group in columns, side by side while they fit
// the screen; reasons says why a disabled key does nothing.
func (m *Model) helpGrid(reasons bool) string {
	st := m.deps.Styles
	var cols []string
	for _, g := range m.helpGroups() {
		var b strings.Builder
		b.WriteString(st.Title.Render(g[0].Group) + "\n")
		width := 0
		for _, k := range g {
			width = max(width, ansi.StringWidth(m.keys.key(k.Name)))
		}
		for _, k := range g {
			line := st.Key.Render(padRight(m.keys.key(k.Name), width)) + "  " + st.Desc.Render(k.Help)
			if k.Disabled != nil {
				if why := k.Disabled(m); why != "" {
					line = padRight(m.keys.key(k.Name), width) + "  " + k.Help
					if reasons {
						// Cut, so that one long reason does not take the
						// columns' room: the footer gives it whole.
						line = frame.Fit(line+" ("+why+")", helpLine)
					}
					line = st.Faint.Render(line)
				}
			}
			b.WriteString(line + "\n")
		}
		cols = append(cols, strings.TrimRight(b.String(), "\n"))
	}
	// The environment's own commands; migrate and reset are in the list above.
	var cmds strings.Builder
	for _, a := range m.action.Actions() {
		if a.Key == "" || m.isBinding(a.Name) {
			continue // started from its pane (the migration check), or bound above
		}
		switch {
		case a.Guard == actionpane.Refused && reasons:
			cmds.WriteString(st.Faint.Render(a.Key+"  "+a.Name+": "+a.Reason) + "\n")
		case a.Guard == actionpane.Refused:
			cmds.WriteString(st.Faint.Render(a.Key+"  "+a.Name) + "\n")
		default:
			cmds.WriteString(st.Key.Render(a.Key) + "  " + st.Desc.Render(a.Name) + "\n")
		}
	}
	if cmds.Len() > 0 {
		cols = append(cols, st.Title.Render("Commands ("+m.env.Name+")")+"\n"+strings.TrimRight(cmds.String(), "\n"))
	}
	return stack(cols, m.w-6)
}

// helpLine is the widest a help line with its reason may be.
const helpLine = 64

// stack lays groups out in as many columns as fit width, each group going
// under the shortest column so far (in order): the help's height is about
// the groups' total over the columns, not the sum of each row's tallest.
func stack(groups []string, width int) string {
	const gap = "    "
	widest := 0
	for _, g := range groups {
		widest = max(widest, lipgloss.Width(g))
	}
	n := max(min((width+len(gap))/(widest+len(gap)), len(groups)), 1)
	for ; n > 1; n-- { // the columns are as wide as their widest group
		if cols := fill(groups, n); lipgloss.Width(lipgloss.JoinHorizontal(lipgloss.Top, joinWithGap(cols, gap)...)) <= width {
			return lipgloss.JoinHorizontal(lipgloss.Top, joinWithGap(cols, gap)...)
		}
	}
	return strings.Join(groups, "\n\n")
}

// fill puts each group under the shortest of n columns.
func fill(groups []string, n int) []string {
	cols := make([][]string, n)
	heights := make([]int, n)
	for _, g := range groups {
		i := 0
		for j := range heights {
			if heights[j] < heights[i] {
				i = j
			}
		}
		cols[i] = append(cols[i], g)
		heights[i] += lipgloss.Height(g) + 1
	}
	out := make([]string, 0, n)
	for _, c := range cols {
		if len(c) > 0 {
			out = append(out, strings.Join(c, "\n\n"))
		}
	}
	return out
}

// envBox is the environment picker, cursor on the environment at cursor.
func (m *Model) envBox(cursor int) string {
	st := m.deps.Styles
	var b strings.Builder
	b.WriteString(st.Title.Render("Switch environment") + "\n\n")
	for i, e := range m.deps.Environments {
		marker := "  "
		if e.Name == m.env.Name {
			marker = "• "
		}
		var flags []string
		if e.Protected {
			flags = append(flags, "protected")
		}
		if e.Readonly {
			flags = append(flags, "read-only")
		}
		if e.Disposable {
			flags = append(flags, "disposable")
		}
		line := marker + e.Name
		if len(flags) > 0 {
			line += "  (" + strings.Join(flags, ", ") + ")"
		}
		if i == cursor {
			line = st.Selected.Render(line)
		} else if e.Protected {
			line = st.Crit.Render(line)
		}
		b.WriteString(line + "\n")
	}
	b.WriteString("\n" + st.Muted.Render(m.keys.hint("up", "down", "select", "close")))
	return m.box(b.String())
}

// isBinding reports whether name is one of the console's bindings.
func (m *Model) isBinding(name string) bool {
	for _, b := range m.bindings {
		if b.Name == name {
			return true
		}
	}
	return false
}

// helpGroups are the bindings by help column, in the list's order.
func (m *Model) helpGroups() [][]Binding {
	var groups [][]Binding
	at := map[string]int{}
	for _, b := range m.bindings {
		if m.celeryPane == nil && slices.Equal(b.Scopes, []binding.Scope{binding.Celery}) {
			continue // no Celery pane in this environment: its keys are noise
		}
		if m.env.Logs.Source == nil && slices.Equal(b.Scopes, []binding.Scope{binding.Logs}) {
			continue // no log backend: the logs view never opens
		}
		i, ok := at[b.Group]
		if !ok {
			i = len(groups)
			at[b.Group] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], b)
	}
	return groups
}

func padRight(s string, w int) string {
	if n := ansi.StringWidth(s); n < w {
		return s + strings.Repeat(" ", w-n)
	}
	return s
}

func joinWithGap(cols []string, gap string) []string {
	out := make([]string, 0, 2*len(cols))
	for i, c := range cols {
		if i > 0 {
			out = append(out, gap)
		}
		out = append(out, c)
	}
	return out
}
