package breakdown

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/charmbracelet/x/ansi"
	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/pane"
	"github.com/opsdeck/opsdeck/ui/theme"
)

func TestFields(t *testing.T) {
	r := sources.BreakdownRow{Value: "/api/chat", Current: 12.5, Min: 2, Max: 12.5, Points: []float64{2, 5, 12.5}}
	got := Fields(r, units.ReqPerSec, 50)
	want := []string{"/api/chat", "12.5 req/s", "25.0 %", "2.00–12.5", ""}
	if !slices.Equal(got[:4], want[:4]) || len([]rune(got[4])) != sparkWidth {
		t.Errorf("fields %q, want %q and a %d-cell sparkline", got, want, sparkWidth)
	}
	// A ratio has no share; a value with no figure now says so.
	none := Fields(sources.BreakdownRow{Value: "", Current: math.NaN(), Min: math.NaN(), Max: math.NaN()}, units.Ratio, math.NaN())
	if none[0] != "(no value)" || none[1] != "–" || none[2] != "" || none[3] != "–" {
		t.Errorf("empty row: %q", none)
	}
}

func TestOrders(t *testing.T) {
	m := &Model{b: sources.Breakdown{Rows: []sources.BreakdownRow{
		{Value: "b", Current: 9, Min: 8, Max: 9}, {Value: "c", Current: 5, Min: 0, Max: 7}, {Value: "a", Current: 1, Min: math.NaN(), Max: math.NaN()}}}}
	names := func() []string {
		var out []string
		for _, r := range m.Rows() {
			out = append(out, r.Value)
		}
		return out
	}
	for _, want := range [][]string{{"b", "c", "a"}, {"c", "b", "a"}, {"a", "b", "c"}} {
		if got := names(); !slices.Equal(got, want) {
			t.Errorf("order %d: %v, want %v", m.order, got, want)
		}
		m.NextOrder()
	}
}

// early hands the rows over first, then the whole breakdown.
type early struct{ waited chan struct{} }

func (e early) Breakdown(ctx context.Context, spec sources.SignalSpec, label string, w sources.Window) (sources.Breakdown, error) {
	return e.BreakdownEarly(ctx, spec, label, w, nil)
}

func (e early) BreakdownEarly(_ context.Context, _ sources.SignalSpec, _ string, w sources.Window, f func(sources.Breakdown)) (sources.Breakdown, error) {
	rows := []sources.BreakdownRow{{Value: "/api/chat", Current: 3, Min: math.NaN(), Max: math.NaN()}}
	if f != nil {
		f(sources.Breakdown{Label: "handler", Labels: []string{"handler"}, Rows: rows, Total: math.NaN(), Partial: true})
	}
	<-e.waited // the rest comes when the test says
	rows[0].Min, rows[0].Max, rows[0].Points = 1, 3, []float64{1, 2, 3}
	return sources.Breakdown{Label: "handler", Labels: []string{"handler"}, Rows: rows, Total: 6, Others: 4, Window: w}, nil
}

// TestRowsFirst: a source that hands its rows over early has them on screen
// while the rest is read, and the rest replaces them when it comes.
func TestRowsFirst(t *testing.T) {
	src := early{waited: make(chan struct{})}
	ctx := &pane.Context{Styles: theme.New(theme.Dark(), true), Now: func() time.Time { return time.Unix(1e9, 0) },
		Time: pane.NewTimeline(15 * time.Minute), Base: context.Background()}
	m := New(ctx, src, sources.SignalSpec{Title: "Requests/s", Unit: units.ReqPerSec}, nil, "esc closes")
	m.SetSize(120, 30)
	batch, ok := m.Fetch()().(tea.BatchMsg)
	if !ok || len(batch) != 2 {
		t.Fatalf("the fetch is not a reader and a waiter: %T", batch)
	}
	done := make(chan tea.Msg)
	go func() { done <- batch[0]() }() // the reader, blocked until the rest is allowed
	next := m.Update(batch[1]())       // the rows
	view := ansi.Strip(strings.Join(m.View(ctx.Styles), "\n"))
	if !strings.Contains(view, "/api/chat") || !strings.Contains(view, "3.00 req/s") || !strings.Contains(view, "reading…") || strings.Contains(view, "more values") {
		t.Fatalf("rows first:\n%s", view)
	}
	close(src.waited)
	<-done
	if m.Update(next()) != nil {
		t.Error("the whole breakdown asked for more")
	}
	view = ansi.Strip(strings.Join(m.View(ctx.Styles), "\n"))
	if strings.Contains(view, "reading…") || !strings.Contains(view, "50.0 %") || !strings.Contains(view, "… 4 more values") {
		t.Errorf("the rest did not replace the rows:\n%s", view)
	}
}
