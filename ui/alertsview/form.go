package alertsview

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/frame"
	"github.com/opsdeck/opsdeck/ui/theme"
)

// The form's fields, in order.
const (
	fieldMatchers = iota
	fieldDuration
	fieldComment
	fields
)

var fieldNames = [fields]string{"matchers", "duration", "comment"}

// DefaultDuration is a silence's length unless another is typed.
const DefaultDuration = time.Hour

// Form is a silence being written: its matchers (from the alert's labels,
// editable), how long, and why.
type Form struct {
	alert  sources.Alert
	group  []string
	inputs [fields]textinput.Model
	// starts are the start of each field's value, as an unfocused field
	// shows it, kept at every change: the matchers can be megabytes, which
	// the field would turn into a string on every frame.
	starts [fields]string
	focus  int
	err    string
}

// NewForm is the form for alert a of the group whose alerts' fingerprints
// are group, for dur (0: DefaultDuration), with comment. Its matchers are
// a's labels as Alertmanager holds them (a.Raw, never the shortened and
// made-safe a.Labels), written so that they read back to exactly those
// values: untouched, or edited and put back, they match a.
func NewForm(a sources.Alert, group []string, dur time.Duration, comment string) *Form {
	f := &Form{alert: a, group: group}
	var ms []string
	for _, m := range a.Raw.Matchers() {
		ms = append(ms, m.String())
	}
	matchers := strings.Join(ms, ", ")
	for i := range f.inputs {
		in := textinput.New()
		in.Prompt = ""
		st := in.Styles()
		st.Cursor.Blink = false // a blinking cursor would redraw the console twice a second
		in.SetStyles(st)
		// Set before the value: the field then draws only what fits.
		in.SetWidth(defaultFieldWidth)
		in.CharLimit = 1000
		if i == fieldMatchers {
			// A label value may be kilobytes: cutting it would make a
			// silence that matches nothing.
			in.CharLimit = max(in.CharLimit, utf8.RuneCountInString(matchers)+1000)
		}
		f.inputs[i] = in
	}
	f.inputs[fieldMatchers].SetValue(matchers)
	if dur == 0 {
		dur = DefaultDuration
	}
	f.inputs[fieldDuration].SetValue(durationText(dur))
	f.inputs[fieldComment].SetValue(comment)
	for i := range f.inputs {
		f.keepStart(i)
	}
	return f
}

// keepStart keeps the start of field i's value.
func (f *Form) keepStart(i int) { f.starts[i] = frame.Cut(f.inputs[i].Value(), frame.MaxText) }

// defaultFieldWidth is a field's width until the form is laid out.
const defaultFieldWidth = 60

// SetWidth lays the form out in iw cells: each field shows the part of its
// value around the cursor.
func (f *Form) SetWidth(iw int) {
	for i := range f.inputs {
		f.inputs[i].SetWidth(max(iw-fieldIndent, 1))
		f.inputs[i].SetCursor(f.inputs[i].Position()) // the visible part worked out again
	}
}

// fieldIndent is what comes before a field's value: its mark and name.
const fieldIndent = 2 + 9 + 1

// durationText writes d as the form reads it back: 1h, 90m, 2d.
func durationText(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	case d%time.Hour == 0:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	}
	return strconv.Itoa(int(d/time.Minute)) + "m"
}

// Focus puts the cursor in the first field that needs typing: the comment
// when the rest is filled in.
func (f *Form) Focus() tea.Cmd {
	f.focus = fieldComment
	return f.setFocus()
}

func (f *Form) setFocus() tea.Cmd {
	var cmd tea.Cmd
	for i := range f.inputs {
		if i == f.focus {
			cmd = f.inputs[i].Focus()
		} else {
			f.inputs[i].Blur()
		}
	}
	return cmd
}

// Type takes a key: tab and shift+tab (or ↑/↓) move between fields, the
// rest edits the field.
func (f *Form) Type(k tea.KeyPressMsg) tea.Cmd {
	switch k.String() {
	case "tab", "down":
		f.focus = (f.focus + 1) % fields
		return f.setFocus()
	case "shift+tab", "up":
		f.focus = (f.focus + fields - 1) % fields
		return f.setFocus()
	}
	var cmd tea.Cmd
	f.inputs[f.focus], cmd = f.inputs[f.focus].Update(k)
	f.keepStart(f.focus)
	f.err = ""
	return cmd
}

// Group is the fingerprints of the alert's group.
func (f *Form) Group() []string { return f.group }

// ParseMatchers reads matchers separated by commas (a comma inside quotes
// is the value's).
func ParseMatchers(s string) ([]sources.Matcher, error) {
	var parts []string
	var cur strings.Builder
	quoted, escaped := false, false
	for _, r := range s {
		switch {
		case escaped:
			escaped = false
		case r == '\\' && quoted:
			escaped = true
		case r == '"':
			quoted = !quoted
		case r == ',' && !quoted:
			parts = append(parts, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteRune(r)
	}
	parts = append(parts, cur.String())
	var out []sources.Matcher
	for _, p := range parts {
		if strings.TrimSpace(p) == "" {
			continue
		}
		m, err := sources.ParseMatcher(p)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	if len(out) == 0 {
		return nil, errors.New("no matcher: write at least one, like alertname=\"HighErrorRate\"")
	}
	return out, nil
}

// ParseEnd is when a silence typed as s, starting at now, ends: a length
// (90m, 4h, 2d) or "tomorrow" (09:00 local time the next day).
func ParseEnd(s string, now time.Time) (time.Time, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case s == "tomorrow":
		y, mo, d := now.Date()
		return time.Date(y, mo, d+1, 9, 0, 0, 0, now.Location()), nil
	case strings.HasSuffix(s, "d"):
		n, err := strconv.Atoi(strings.TrimSuffix(s, "d"))
		if err != nil || n <= 0 || time.Duration(n) > maxDays {
			return time.Time{}, fmt.Errorf("%q: write 1d to %dd", s, maxDays)
		}
		return now.Add(time.Duration(n) * 24 * time.Hour), nil
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return time.Time{}, fmt.Errorf("%q is not a duration: write 30m, 4h, 2d or tomorrow", s)
	case d <= 0:
		return time.Time{}, fmt.Errorf("%q would end the silence in the past", s)
	case d < time.Minute:
		return time.Time{}, fmt.Errorf("%q is shorter than a minute", s)
	case d > sources.MaxSilence:
		return time.Time{}, fmt.Errorf("%q is longer than a silence may last: at most %dd", s, maxDays)
	}
	return now.Add(d), nil
}

// maxDays is sources.MaxSilence in days, as the form writes lengths.
const maxDays = sources.MaxSilence / (24 * time.Hour)

// Silence is the silence the form describes, or why it cannot be made:
// nothing is sent until it reads.
func (f *Form) Silence(now time.Time, createdBy string) (sources.Silence, error) {
	ms, err := ParseMatchers(f.inputs[fieldMatchers].Value())
	if err != nil {
		return sources.Silence{}, fmt.Errorf("matchers: %w", err)
	}
	end, err := ParseEnd(f.inputs[fieldDuration].Value(), now)
	if err != nil {
		return sources.Silence{}, fmt.Errorf("duration: %w", err)
	}
	comment := strings.TrimSpace(f.inputs[fieldComment].Value())
	if comment == "" {
		return sources.Silence{}, errors.New("comment: say why (it is shown to whoever looks at the alert)")
	}
	for _, m := range ms {
		if m.Matches(map[string]string{}) {
			return sources.Silence{}, fmt.Errorf("matchers: %s matches an empty value: it would silence every alert without the label", m)
		}
	}
	return sources.Silence{Matchers: ms, StartsAt: now, EndsAt: end, CreatedBy: createdBy, Comment: comment}, nil
}

// Refuse shows why the form cannot be sent.
func (f *Form) Refuse(err error) { f.err = err.Error() }

// View draws the form in iw cells.
func (f *Form) View(st *theme.Styles, iw int, now time.Time) []string {
	var out []string
	add := func(p theme.Paint, s string) {
		for _, l := range frame.WrapN(s, iw, 3) {
			out = append(out, p.Render(frame.Fit(l, iw)))
		}
	}
	add(st.Muted, "Silence "+frame.Cut(f.alert.Name, 200)+": the alerts the matchers match stop paging until the end (Alertmanager, API v2)")
	out = append(out, "")
	for i, in := range f.inputs {
		mark, p := "  ", st.Muted
		if i == f.focus {
			mark, p = "▸ ", st.Text
		}
		// A field drawn whole could be megabytes: only its start shows
		// (the focused one shows what SetWidth lets around the cursor).
		v := f.starts[i]
		if i == f.focus {
			v = in.View()
		}
		out = append(out, p.Render(frame.Fit(mark+frame.Fit(fieldNames[i], 9)+" "+v, iw)))
	}
	out = append(out, "")
	if end, err := ParseEnd(f.inputs[fieldDuration].Value(), now); err == nil {
		add(st.Muted, fmt.Sprintf("until %s (%s)", end.Format("Mon 01-02 15:04 MST"), units.Age(end.Sub(now))))
	}
	add(st.Faint, "matchers: name=\"value\", !=, =~ or !~, separated by commas · duration: 30m, 1h, 4h, 2d or tomorrow (09:00)")
	if f.err != "" {
		add(st.Error, "⚠ "+f.err+" (nothing was sent)")
	}
	add(st.Muted, "tab next field · enter review (how many alerts it matches, then y/N) · esc cancel")
	return out
}
