package main

import (
	"strings"
	"testing"
)

func TestRewritePinsEveryCell(t *testing.T) {
	// An empty line's text element is self-closing: the next one is still
	// its own (a screen with a blank line came out as broken XML).
	in := `<g><text x="1.00px" y="0px" xml:space="preserve"/><text x="5.00px" y="1px"><tspan>z</tspan></text><text x="20.00px" y="36.80px" xml:space="preserve"><tspan xml:space="preserve"/><tspan xml:space="preserve" fill="#31BB71">a ⣀&amp;</tspan><tspan xml:space="preserve">│</tspan></text>` + "\n</g>\n"
	var out strings.Builder
	if err := rewrite(strings.NewReader(in), &out, 10); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		`<tspan x="20.00px" xml:space="preserve" fill="#31BB71">a</tspan>`,
		`<tspan x="40.00px" xml:space="preserve" fill="#31BB71">⣀</tspan>`,
		`<tspan x="50.00px" xml:space="preserve" fill="#31BB71">&amp;</tspan>`,
		`<tspan x="60.00px" xml:space="preserve">│</tspan>`,
		`<text x="5.00px" y="1px"><tspan x="5.00px">z</tspan></text>`,
		`<text x="1.00px" y="0px" xml:space="preserve"/><text x="5.00px"`,
		"</g>\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %s:\n%s", want, got)
		}
	}
}
