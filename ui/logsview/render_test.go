package logsview

import (
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/opsdeck/opsdeck/internal/safetext"
	"github.com/opsdeck/opsdeck/ui/theme"
)

// FuzzHighlight: whatever the filter and the text, the highlight adds no
// cell and changes no character of the text.
func FuzzHighlight(f *testing.F) {
	f.Add(`"pool timeout" AND level:error -health (a OR b*) | stats`, "POST /api/chat 500: pool timeout after 30 s")
	f.Add(`é:"x`, "é pool é")
	st := theme.New(theme.Dark(), false)
	f.Fuzz(func(t *testing.T, filter, text string) {
		if safetext.String(text) != text {
			return // the view's rows are made safe first
		}
		got := Highlight(text, Terms(filter), st.Text, st.Accent)
		if plain := ansi.Strip(got); plain != ansi.Strip(st.Text.Render(text)) {
			t.Errorf("the text changed: %q -> %q", text, plain)
		}
	})
}
