package alertsview

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

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
	focus  int
	err    string
}

// NewForm is the form for alert a of the group whose alerts' fingerprints
// are group, for dur (0: DefaultDuration), with comment.
func NewForm(a sources.Alert, group []string, dur time.Duration, comment string) *Form {
	f := &Form{alert: a, group: group}
	for i := range f.inputs {
		in := textinput.New()
		in.Prompt = ""
		st := in.Styles()
		st.Cursor.Blink = false // a blinking cursor would redraw the console twice a second
		in.SetStyles(st)
		in.CharLimit = 1000
		f.inputs[i] = in
	}
	var ms []string
	for _, k := range slices.Sorted(maps.Keys(a.Labels)) {
		ms = append(ms, sources.Matcher{Name: k, Value: a.Labels[k], IsEqual: true}.String())
	}
	f.inputs[fieldMatchers].SetValue(strings.Join(ms, ", "))
	if dur == 0 {
		dur = DefaultDuration
	}
	f.inputs[fieldDuration].SetValue(durationText(dur))
	f.inputs[fieldComment].SetValue(comment)
	return f
}

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
		if err != nil || n <= 0 || n > 90 {
			return time.Time{}, fmt.Errorf("%q: write 1d to 90d", s)
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
	}
	return now.Add(d), nil
}

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
	add(st.Muted, "Silence "+f.alert.Name+": the alerts the matchers match stop paging until the end (Alertmanager, API v2)")
	out = append(out, "")
	for i, in := range f.inputs {
		mark, p := "  ", st.Muted
		if i == f.focus {
			mark, p = "▸ ", st.Text
		}
		v := in.Value()
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
