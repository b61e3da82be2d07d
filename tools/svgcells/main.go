package main

import (
	"bufio"
	"flag"
	"fmt"
	"html"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
)

var (
	// A text element with content; an empty line's is self-closing
	// (<text …/>) and is left as it is.
	textRe  = regexp.MustCompile(`<text x="([0-9.]+)px"([^>]*[^/>])>(.*?)</text>`)
	tspanRe = regexp.MustCompile(`<tspan([^>]*?)/>|<tspan([^>]*)>(.*?)</tspan>`)
)

func main() {
	cell := flag.Float64("cell", 0, "cell width in px (font size x 0.602 for DejaVu Sans Mono)")
	flag.Parse()
	if *cell <= 0 {
		fmt.Fprintln(os.Stderr, "svgcells: -cell is required")
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	if err := rewrite(os.Stdin, out, *cell); err != nil {
		fmt.Fprintln(os.Stderr, "svgcells:", err)
		os.Exit(1)
	}
}

func rewrite(in io.Reader, out io.Writer, cell float64) error {
	data, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	_, err = io.WriteString(out, textRe.ReplaceAllStringFunc(string(data), func(text string) string {
		m := textRe.FindStringSubmatch(text)
		x0, _ := strconv.ParseFloat(m[1], 64)
		var b strings.Builder
		fmt.Fprintf(&b, `<text x="%spx"%s>`, m[1], m[2])
		col := 0
		for _, ts := range tspanRe.FindAllStringSubmatch(m[3], -1) {
			if ts[3] == "" { // empty, often self-closing
				continue
			}
			attrs, runes := ts[2], html.UnescapeString(ts[3])
			for _, r := range runes {
				if r != ' ' {
					fmt.Fprintf(&b, `<tspan x="%.2fpx"%s>%s</tspan>`, x0+float64(col)*cell, attrs, html.EscapeString(string(r)))
				}
				col++
			}
		}
		b.WriteString("</text>")
		return b.String()
	}))
	return err
}
