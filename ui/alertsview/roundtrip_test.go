package alertsview

import (
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/faults"
	"github.com/opsdeck/opsdeck/sources"
)

// FuzzFormRoundTrip: whatever a label value holds, the form shows its
// matchers without a control or bidi character, and reads them back (through
// the text field, which drops some characters) to exactly the alert's raw
// labels.
func FuzzFormRoundTrip(f *testing.F) {
	for _, v := range []string{"red \x1b[31mtext", "two\nlines", "abc\u202edef", `say "hi", \ back`, "bad \uFFFD char", "tab\there", "\x00\x7f\u0085\u2028\u2066", "日本語", strings.Repeat("0123456789", 1000)} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if v == "" {
			return // a label with no value is no label: Alertmanager drops it
		}
		raw := map[string]string{"alertname": "X", "value": v, "other": v + ","}
		a := sources.Alert{Name: "X", Labels: map[string]string{"alertname": "X"}, Raw: sources.NewRawLabels(raw)}
		form := NewForm(a, nil, 0, "why")
		shown := form.inputs[fieldMatchers].Value()
		if faults.HasControl(shown) || strings.ContainsAny(shown, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c") {
			t.Fatalf("the form shows %q", shown)
		}
		s, err := form.Silence(time.Now(), "me@host")
		if err != nil {
			t.Fatalf("%q: %v", shown, err)
		}
		if !sources.SameMatchers(s.Matchers, a.Raw.Matchers()) || !a.Raw.MatchedBy(s.Matchers) {
			t.Fatalf("read back %q, want %q", s.Matchers, a.Raw.Matchers())
		}
	})
}
