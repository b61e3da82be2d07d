package logsview

import (
	"errors"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/ui/pane/panetest"
)

// viewSizes are the view's lines at the console's sizes 80x24, 100x30 and
// 160x48: the screen gives it min(w-4, 140) x (h-6), and its lines are that
// less the box (4 cells) and the title (2 lines).
var viewSizes = []panetest.Size{{W: 72, H: 16}, {W: 92, H: 22}, {W: 136, H: 40}}

func TestViews(t *testing.T) {
	states := []string{"loading", "ok", "error", "empty", "expanded", "typing", "trace"}
	panetest.Views(t, states, viewSizes, func(state string, s panetest.Size) []string {
		src := &fakeLogs{lines: sample()}
		j := Jump{Follow: true}
		switch state {
		case "empty":
			src.lines = nil
		case "trace":
			j = Jump{What: "trace 4bf92f3577b34da6a3ce929d0e0e4736", Filter: `trace_id:"4bf92f3577b34da6a3ce929d0e0e4736"`,
				Start: t0.Add(-3 * time.Minute), End: t0.Add(-time.Minute)}
		}
		r := newRig(t, src, j)
		r.m.SetSize(s.W+4, s.H+2)
		if state == "loading" {
			r.m.Start() // asked, not answered
			return r.m.View(r.st)
		}
		r.run(r.m.Start())
		switch state {
		case "error":
			src.err = errors.New("HTTP 502 Bad Gateway from http://victorialogs.qa:9428/select/logsql/query")
			r.advance(12 * time.Second)
		case "expanded":
			r.m.Move(-1)
			r.m.Expand()
		case "typing":
			r.run(r.m.StartFilter())
			r.m.input.SetValue(`level:error "pool"`)
		}
		return r.m.View(r.st)
	})
}
