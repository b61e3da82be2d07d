package frame

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"

	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/theme"
)

// MaxText bounds one text laid out on screen, in bytes (and so in cells: a
// cell takes at least a byte). What sources send can be megabytes (a task's
// stored arguments, a label value); measuring and wrapping it in full on
// every frame froze the console for minutes. 4 KiB is some fifty lines of a
// wide pane.
const MaxText = 4096

// Cut is plain text s cut to at most n bytes on a character boundary, its
// end saying what was left out: "… (N more bytes)". Cutting again what it
// returns changes nothing. An escape sequence could be cut in two: cut
// text before painting it.
func Cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	reserve := len("… ( more bytes)") + len(strconv.Itoa(len(s)))
	if n < reserve {
		return s[:runeStart(s, max(n, 0))]
	}
	cut := runeStart(s, n-reserve)
	return s[:cut] + fmt.Sprintf("… (%d more bytes)", len(s)-cut)
}

// runeStart is i, or the start of the character byte i is inside of.
func runeStart(s string, i int) int {
	for i > 0 && i < len(s) && !utf8.RuneStart(s[i]) {
		i--
	}
	return i
}

// fitBytes is how much of a plain text Fit looks at for w cells: far more
// than w cells take, unless nearly every character is a combining mark.
func fitBytes(w int) int { return max(MaxText, 16*w) }

// Fit pads or truncates s (which may hold escape sequences) to exactly w
// cells. A long plain text is cut first: only its start can show.
func Fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if len(s) > fitBytes(w) && strings.IndexByte(s, ansi.ESC) < 0 {
		s = Cut(s, fitBytes(w))
	}
	n := ansi.StringWidth(s)
	if n > w {
		s = ansi.Truncate(s, w, "…")
		n = ansi.StringWidth(s)
	}
	if n < w {
		return s + strings.Repeat(" ", w-n)
	}
	return s
}

// FitRight is Fit aligned right: numbers in a column.
func FitRight(s string, w int) string {
	if n := ansi.StringWidth(s); n < w {
		return strings.Repeat(" ", w-n) + s
	}
	return Fit(s, w)
}

// Spread places left and right text in w cells. The left part wins: the
// right part is dropped when both do not fit (it is the less important one).
func Spread(left, right string, w int) string {
	lw, rw := ansi.StringWidth(left), ansi.StringWidth(right)
	if right == "" || lw+1+rw > w {
		return Fit(left, w)
	}
	return left + strings.Repeat(" ", w-lw-rw) + right
}

// FirstFit returns the first candidate no wider than w, or "".
func FirstFit(w int, candidates ...string) string {
	for _, c := range candidates {
		if ansi.StringWidth(c) <= w {
			return c
		}
	}
	return ""
}

// Box is a bordered pane: title and info in the top border, body inside.
type Box struct {
	Title   string // plain text; styled by the box
	Info    string // pre-styled text for the right end of the top border
	Focused bool
}

// Inner is the body width of a box w cells wide: borders and a space of
// padding on each side.
func Inner(w int) int { return max(w-4, 0) }

// Render draws the box in exactly w x h cells and returns its lines. Body
// lines are fitted to the inner width; missing lines are blank.
func (b Box) Render(s *theme.Styles, w, h int, body []string) []string {
	if w < 6 || h < 2 {
		return blank(w, h)
	}
	border, title := s.Border, s.Title
	if b.Focused {
		border, title = s.BorderFocus, s.TitleFocus
	}
	inner := w - 2
	lines := make([]string, 0, h)

	// Top: ╭─ Title ───── info ─╮
	var top strings.Builder
	top.WriteString(border.Render("╭─"))
	used := 2
	t, info := b.Title, b.Info
	iw := ansi.StringWidth(info)
	// The title wins over the info when both do not fit.
	if used+ansi.StringWidth(t)+2+iw+2+1 > w-1 {
		info, iw = "", 0
	}
	if t != "" {
		if maxT := max(inner-3, 1); ansi.StringWidth(t) > maxT {
			t = ansi.Truncate(t, maxT, "…")
		}
		top.WriteString(" " + title.Render(t) + " ")
		used += ansi.StringWidth(t) + 2
	}
	fill := w - 1 - used - iw
	if iw > 0 {
		fill -= 2
	}
	if fill > 0 {
		top.WriteString(border.Render(strings.Repeat("─", fill)))
	}
	if iw > 0 {
		top.WriteString(" " + info + " ")
	}
	top.WriteString(border.Render("╮"))
	lines = append(lines, top.String())

	left, right := border.Render("│")+" ", " "+border.Render("│")
	for i := 0; i < h-2; i++ {
		line := ""
		if i < len(body) {
			line = body[i]
		}
		lines = append(lines, left+Fit(line, inner-2)+right)
	}
	lines = append(lines, border.Render("╰"+strings.Repeat("─", inner)+"╯"))
	return lines
}

func blank(w, h int) []string {
	if h <= 0 {
		return nil
	}
	out := make([]string, h)
	for i := range out {
		out[i] = strings.Repeat(" ", max(w, 0))
	}
	return out
}

// Wrap breaks plain text into lines of at most w cells, on spaces where it
// can. Text longer than MaxText is cut first (and says so): the lines stay
// few and the work bounded, whatever the text's size.
func Wrap(text string, w int) []string {
	if w <= 0 {
		return nil
	}
	text = Cut(text, MaxText)
	var out []string
	for _, para := range strings.Split(text, "\n") {
		wrapped := ansi.Wordwrap(para, w, "")
		for _, l := range strings.Split(wrapped, "\n") {
			if ansi.StringWidth(l) > w { // a word longer than the line: broken in one pass
				out = append(out, strings.Split(ansi.Hardwrap(l, w, true), "\n")...)
				continue
			}
			out = append(out, l)
		}
	}
	return out
}

// WrapN wraps text like Wrap but keeps at most n lines; when text is cut,
// the last line ends in "…". Only what n lines can hold is wrapped.
func WrapN(text string, w, n int) []string {
	if n <= 0 {
		return nil
	}
	// A cell takes at most 4 bytes but for combining marks; a line break
	// drops a space or two.
	lines := Wrap(Cut(text, max(n*(4*w+8), 256)), w)
	if len(lines) > n {
		lines = lines[:n]
		last := lines[n-1]
		if ansi.StringWidth(last) >= w {
			last = ansi.Truncate(last, w-1, "")
		}
		lines[n-1] = last + "…"
	}
	return lines
}

// Memo keeps a pane's last rendered lines while nothing they depend on has
// changed: the frame is redrawn after every message, most of which touch
// one pane or none.
type Memo struct {
	key   MemoKey
	lines []string
	valid bool
}

// MemoKey is everything a pane's drawing depends on besides its own state,
// which the pane tracks with Version.
type MemoKey struct {
	W, H    int
	Focused bool
	Version int   // bumped by the pane on every state change
	Second  int64 // ages ("3s ago") move once a second
	Shared  int   // the version of shared state the pane shows (the timeline)
}

// Get returns the cached lines for k, or renders and caches them.
func (m *Memo) Get(k MemoKey, render func() []string) []string {
	if !m.valid || m.key != k {
		m.key, m.lines, m.valid = k, render(), true
	}
	return m.lines
}

// Level is how urgent a line of a pane's findings is. A pane lists its
// findings most urgent first, so that a short pane keeps what matters.
type Level int

const (
	Ordinary Level = iota // a figure to read, nothing wrong
	Warning
	Critical
)

// LevelOf is the level of a figure judged against its thresholds.
func LevelOf(s sources.Status) Level {
	switch s {
	case sources.StatusCrit, sources.StatusError:
		return Critical
	case sources.StatusWarn:
		return Warning
	}
	return Ordinary
}

// Mark is what starts a line of a finding at level lv, so that it shows
// without colour too: "⚠ " for a warning or worse, "" otherwise.
func Mark(lv Level) string {
	if lv >= Warning {
		return "⚠ "
	}
	return ""
}

// Lines collects a pane's body: every line fitted to the width and painted,
// faintly when the data is stale (its source is failing). Lines come in
// findings, each at a level; Out lists the critical findings first, then the
// warnings, then the ordinary ones, each level in the order added.
type Lines struct {
	w     int
	stale bool
	faint theme.Paint
	items []finding
}

// finding is one or more lines that stay together (a blocker and the
// first session it holds up; a heading and its rows).
type finding struct {
	level Level
	lines []string
}

// NewLines starts a body w cells wide.
func NewLines(st *theme.Styles, w int, stale bool) *Lines {
	return &Lines{w: w, stale: stale, faint: st.Faint}
}

// Width is the body's width in cells.
func (l *Lines) Width() int { return l.w }

// Paint is p, or the faint paint for stale data (for lines built in pieces).
func (l *Lines) Paint(p theme.Paint) theme.Paint {
	if l.stale {
		return l.faint
	}
	return p
}

// Add starts a finding at level: text fitted and painted.
func (l *Lines) Add(lv Level, p theme.Paint, text string) {
	l.Raw(lv, l.Paint(p).Render(Fit(text, l.w)))
}

// Raw starts a finding at level with a line already painted and fitted.
func (l *Lines) Raw(lv Level, line string) {
	l.items = append(l.items, finding{level: lv, lines: []string{line}})
}

// More adds a line to the last finding (a detail that must stay under it).
func (l *Lines) More(p theme.Paint, text string) {
	line := l.Paint(p).Render(Fit(text, l.w))
	if len(l.items) == 0 {
		l.items = append(l.items, finding{})
	}
	last := &l.items[len(l.items)-1]
	last.lines = append(last.lines, line)
}

// Out is the body, the most urgent findings first.
func (l *Lines) Out() []string {
	var out []string
	for _, it := range l.ordered() {
		out = append(out, it.lines...)
	}
	return out
}

// Top is the body in at most h lines, the most urgent findings first: when
// not all fit, the first line of as many findings as fit comes before any
// finding's details, which take what room is left, the most urgent first.
func (l *Lines) Top(h int) []string {
	items := l.ordered()
	shown := min(len(items), max(h, 0))
	spare := max(h, 0) - shown
	var out []string
	for _, it := range items[:shown] {
		more := min(len(it.lines)-1, spare)
		spare -= more
		out = append(out, it.lines[:1+more]...)
	}
	return out
}

// ordered are the findings, critical first, each level in the order added.
func (l *Lines) ordered() []finding {
	out := make([]finding, 0, len(l.items))
	for lv := Critical; lv >= Ordinary; lv-- {
		for _, it := range l.items {
			if it.level == lv {
				out = append(out, it)
			}
		}
	}
	return out
}

// OneLine folds text (a query, a command) onto one line.
func OneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Or is s, or def when s is empty.
func Or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// SpreadMemo is Spread that hands back its last line when asked again with
// the same parts: the header and the footer are built for every message,
// and measuring their widths was half the cost of a frame that had not
// changed.
type SpreadMemo struct {
	left, right, line string
	w                 int
}

// Spread is Spread(left, right, w), measured again only when a part changed.
func (s *SpreadMemo) Spread(left, right string, w int) string {
	if s.line != "" && w == s.w && left == s.left && right == s.right {
		return s.line
	}
	s.left, s.right, s.w = left, right, w
	s.line = Spread(left, right, w)
	return s.line
}
