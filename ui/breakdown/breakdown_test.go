package breakdown

import (
	"math"
	"slices"
	"testing"

	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
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
