package theme

import (
	"image/color"
	"strings"

	"charm.land/lipgloss/v2"

	"github.com/opsdeck/opsdeck/sources"
)

// Palette is a theme's colours.
type Palette struct {
	Text, Muted, Faint, Border, Focus, Accent color.Color
	OK, Warn, Crit, NoData                    color.Color
	ProtectedBg, ProtectedFg, Header          color.Color
}

// Dark is the default palette.
func Dark() Palette {
	return Palette{
		Text: lipgloss.Color("#d8dee9"), Muted: lipgloss.Color("#8a93a5"), Faint: lipgloss.Color("#5b6270"),
		Border: lipgloss.Color("#4c566a"), Focus: lipgloss.Color("#88c0d0"), Accent: lipgloss.Color("#b48ead"),
		OK: lipgloss.Color("#a3be8c"), Warn: lipgloss.Color("#ebcb8b"), Crit: lipgloss.Color("#bf616a"), NoData: lipgloss.Color("#8a93a5"),
		ProtectedBg: lipgloss.Color("#bf2020"), ProtectedFg: lipgloss.Color("#ffffff"), Header: lipgloss.Color("#2e3440"),
	}
}

// Light is for light terminal backgrounds: darker, saturated foregrounds.
func Light() Palette {
	return Palette{
		Text: lipgloss.Color("#2e3440"), Muted: lipgloss.Color("#4c566a"), Faint: lipgloss.Color("#8a93a5"),
		Border: lipgloss.Color("#9aa3b5"), Focus: lipgloss.Color("#005f87"), Accent: lipgloss.Color("#8b3a8b"),
		OK: lipgloss.Color("#2e7d32"), Warn: lipgloss.Color("#9a6700"), Crit: lipgloss.Color("#c62828"), NoData: lipgloss.Color("#6b7280"),
		ProtectedBg: lipgloss.Color("#c62828"), ProtectedFg: lipgloss.Color("#ffffff"), Header: lipgloss.Color("#e5e9f0"),
	}
}

// Named returns the palette of a theme name from the configuration ("dark"
// for anything else).
func Named(name string) Palette {
	if name == "light" {
		return Light()
	}
	return Dark()
}

// Paint wraps text in a style's escape sequences. It is a precomputed
// prefix/suffix pair: much cheaper than rendering a lipgloss.Style per cell.
type Paint struct{ pre, post string }

// Render styles s.
func (p Paint) Render(s string) string {
	if p.pre == "" || s == "" {
		return s
	}
	return p.pre + s + p.post
}

func paintOf(st lipgloss.Style) Paint {
	const probe = "\x00"
	out := st.Render(probe)
	i := strings.Index(out, probe)
	if i < 0 {
		return Paint{}
	}
	return Paint{pre: out[:i], post: out[i+len(probe):]}
}

// Styles are the paints of one theme. Read-only once built.
type Styles struct {
	NoColor bool

	Text, Muted, Faint, Accent    Paint
	Border, BorderFocus           Paint
	Title, TitleFocus             Paint
	Value                         Paint
	OK, Warn, Crit, NoData, Error Paint
	ValueOK, ValueWarn, ValueCrit Paint
	Header, HeaderProtected       Paint
	BadgeProtected, BadgeReadonly Paint
	BadgeDisposable, BadgeEnv     Paint
	Key, Desc                     Paint
	Selected                      Paint
}

// New builds styles from a palette. With noColor (NO_COLOR set) only text
// attributes remain: bold, reverse, underline, faint carry the meaning.
func New(p Palette, noColor bool) *Styles {
	base := lipgloss.NewStyle()
	fg := func(c color.Color) lipgloss.Style {
		if noColor {
			return base
		}
		return base.Foreground(c)
	}
	bg := func(s lipgloss.Style, c color.Color) lipgloss.Style {
		if noColor {
			return s.Reverse(true)
		}
		return s.Background(c)
	}
	s := &Styles{NoColor: noColor}
	s.Text = paintOf(fg(p.Text))
	s.Muted = paintOf(fg(p.Muted))
	s.Faint = paintOf(fg(p.Faint).Faint(noColor))
	s.Accent = paintOf(fg(p.Accent).Bold(true))
	s.Border = paintOf(fg(p.Border))
	s.BorderFocus = paintOf(fg(p.Focus).Bold(noColor))
	s.Title = paintOf(fg(p.Text).Bold(true))
	s.TitleFocus = paintOf(fg(p.Focus).Bold(true).Underline(noColor))
	s.Value = paintOf(fg(p.Text).Bold(true))
	s.OK = paintOf(fg(p.OK))
	s.Warn = paintOf(fg(p.Warn).Bold(noColor))
	s.Crit = paintOf(fg(p.Crit).Bold(true))
	s.NoData = paintOf(fg(p.NoData))
	s.Error = paintOf(fg(p.Crit).Bold(true))
	s.ValueOK = paintOf(fg(p.OK).Bold(true))
	s.ValueWarn = paintOf(fg(p.Warn).Bold(true))
	s.ValueCrit = paintOf(fg(p.Crit).Bold(true).Reverse(noColor))
	s.Header = paintOf(bg(fg(p.Text), p.Header))
	s.HeaderProtected = paintOf(bg(fg(p.ProtectedFg).Bold(true), p.ProtectedBg))
	s.BadgeProtected = paintOf(bg(fg(p.ProtectedFg).Bold(true), p.ProtectedBg))
	s.BadgeReadonly = paintOf(bg(fg(p.Header).Bold(true), p.Warn))
	s.BadgeDisposable = paintOf(bg(fg(p.Header).Bold(true), p.OK))
	s.BadgeEnv = paintOf(bg(fg(p.Header).Bold(true), p.Focus))
	s.Key = paintOf(fg(p.Focus).Bold(true))
	s.Desc = paintOf(fg(p.Text))
	s.Selected = paintOf(bg(fg(p.Header).Bold(true), p.Focus))
	return s
}

// ForStatus is the paint for text describing a status.
func (s *Styles) ForStatus(st sources.Status) Paint {
	switch st {
	case sources.StatusOK:
		return s.OK
	case sources.StatusWarn:
		return s.Warn
	case sources.StatusCrit, sources.StatusError:
		return s.Crit
	default:
		return s.NoData
	}
}

// Status is the paint of a figure judged by thresholds: Warn or Crit when
// it is over one, calm otherwise.
func (s *Styles) Status(st sources.Status, calm Paint) Paint {
	switch st {
	case sources.StatusWarn:
		return s.Warn
	case sources.StatusCrit:
		return s.Crit
	}
	return calm
}

// ValueFor is the paint of a big current value with status st.
func (s *Styles) ValueFor(st sources.Status) Paint {
	switch st {
	case sources.StatusOK:
		return s.ValueOK
	case sources.StatusWarn:
		return s.ValueWarn
	case sources.StatusCrit:
		return s.ValueCrit
	default:
		return s.Value
	}
}
