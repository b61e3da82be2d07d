package sources

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

var histNow = time.Date(2026, 11, 30, 14, 30, 0, 0, time.UTC)

func edge(labels map[string]string, ago time.Duration, k EdgeKind) AlertEdge {
	return AlertEdge{Labels: labels, At: histNow.Add(-ago), Kind: k}
}

func firingsText(fs []Firing) string {
	var parts []string
	for _, f := range fs {
		s := fmt.Sprintf("%s..%s", histNow.Sub(f.Start), histNow.Sub(f.End))
		if f.Open {
			s += " open"
		}
		if f.Before {
			s += " before"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// TestDeriveHistoryEdgeCases: each way a series' edges can come, as firings
// written as "start ago..end ago".
func TestDeriveHistoryEdgeCases(t *testing.T) {
	a := map[string]string{"alertname": "A", "severity": "warning"}
	step := time.Minute
	start := histNow.Add(-HistoryWeek)
	for _, c := range []struct {
		name  string
		edges []AlertEdge
		want  string
	}{
		{"still firing at the end", []AlertEdge{edge(a, 10*time.Minute, EdgeStart), edge(a, 0, EdgeNow)}, "10m0s..0s open"},
		{"firing all along", []AlertEdge{edge(a, 0, EdgeNow)}, "168h0m0s..0s open before"},
		{"resolved, begun before the history", []AlertEdge{edge(a, time.Hour, EdgeEnd)}, "168h0m0s..1h0m0s before"},
		{"one-sample firing", []AlertEdge{edge(a, 5*time.Minute, EdgeStart), edge(a, 4*time.Minute, EdgeEnd)}, "5m0s..4m0s"},
		{"a missed evaluation (one step apart) is no new firing", []AlertEdge{edge(a, 30*time.Minute, EdgeStart), edge(a, 20*time.Minute, EdgeEnd),
			edge(a, 19*time.Minute, EdgeStart), edge(a, 10*time.Minute, EdgeEnd)}, "30m0s..10m0s"},
		{"two steps apart are two firings", []AlertEdge{edge(a, 30*time.Minute, EdgeStart), edge(a, 20*time.Minute, EdgeEnd),
			edge(a, 18*time.Minute, EdgeStart), edge(a, 10*time.Minute, EdgeEnd)}, "30m0s..20m0s; 18m0s..10m0s"},
		{"started, not firing now: ended since the last step", []AlertEdge{edge(a, 3*time.Minute, EdgeStart)}, "3m0s..0s"},
		{"edges out of order", []AlertEdge{edge(a, 0, EdgeNow), edge(a, 4*time.Minute, EdgeEnd), edge(a, 2*time.Minute, EdgeStart), edge(a, 9*time.Minute, EdgeStart)},
			"9m0s..4m0s; 2m0s..0s open"},
	} {
		h := DeriveHistory(c.edges, start, histNow, step)
		if got := firingsText(h.Series[SeriesKey(a)].Firings); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
		if got := firingsText(h.Names["A"].Firings); got != c.want {
			t.Errorf("%s, by name: %q, want %q", c.name, got, c.want)
		}
	}
}

// TestDeriveHistoryLabelsChange: a series whose labels change mid-firing is
// two series, and one firing of its alert's name; alertstate does not tell
// series apart.
func TestDeriveHistoryLabelsChange(t *testing.T) {
	v1 := map[string]string{"alertname": "Disk", "value": "91%"}
	v2 := map[string]string{"alertname": "Disk", "value": "95%", "alertstate": "firing"}
	other := map[string]string{"alertname": "Other"}
	h := DeriveHistory([]AlertEdge{
		edge(v1, 40*time.Minute, EdgeStart), edge(v1, 25*time.Minute, EdgeEnd),
		edge(v2, 25*time.Minute, EdgeStart), edge(v2, 0, EdgeNow),
		edge(other, 90*time.Minute, EdgeStart), edge(other, 80*time.Minute, EdgeEnd),
	}, histNow.Add(-HistoryWeek), histNow, time.Minute)
	if len(h.Series) != 3 {
		t.Fatalf("%d series, want 3: %v", len(h.Series), h.Series)
	}
	if got := firingsText(h.Names["Disk"].Firings); got != "40m0s..0s open" {
		t.Errorf("Disk by name: %q", got)
	}
	got, ok := h.For(Alert{Name: "Disk", Labels: map[string]string{"alertname": "Disk", "value": "95%", "alertstate": "firing"}})
	if !ok || firingsText(got.Firings) != "25m0s..0s open" {
		t.Errorf("Disk's 95%% series: %v %q", ok, firingsText(got.Firings))
	}
	// Alertmanager's labels (an external label more) fall back to the name.
	got, ok = h.For(Alert{Name: "Disk", Labels: map[string]string{"alertname": "Disk", "value": "95%", "cluster": "eu"}})
	if !ok || got.Labels != nil || len(got.Firings) != 1 {
		t.Errorf("by name: %v %+v", ok, got)
	}
	if _, ok := h.For(Alert{Name: "Never"}); ok {
		t.Error("an alert with no series has a history")
	}
}

// TestHistoryStats: counts, time fired within each span, the median
// firing, the last resolve and flapping, from firings the test laid out.
func TestHistoryStats(t *testing.T) {
	a := map[string]string{"alertname": "A"}
	var edges []AlertEdge
	// Six days ago: three firings of 2, 4 and 30 minutes. In the last day:
	// four of 1, 3, 5 and 7 minutes, the last resolved 10 minutes ago.
	add := func(ago, length time.Duration) {
		edges = append(edges, edge(a, ago, EdgeStart), edge(a, ago-length, EdgeEnd))
	}
	add(6*HistoryDay, 2*time.Minute)
	add(6*HistoryDay-time.Hour, 4*time.Minute)
	add(6*HistoryDay-2*time.Hour, 30*time.Minute)
	add(20*time.Hour, time.Minute)
	add(10*time.Hour, 3*time.Minute)
	add(time.Hour, 5*time.Minute)
	add(17*time.Minute, 7*time.Minute)
	h := DeriveHistory(edges, histNow.Add(-HistoryWeek), histNow, time.Minute).Names["A"]
	day, week := h.Stats(histNow, HistoryDay), h.Stats(histNow, HistoryWeek)
	if day.Count != 4 || day.Total != 16*time.Minute || day.Median != 3*time.Minute {
		t.Errorf("day: %+v", day)
	}
	if week.Count != 7 || week.Total != 52*time.Minute || week.Median != 4*time.Minute {
		t.Errorf("week: %+v", week)
	}
	if at, ok := h.LastResolved(); !ok || !at.Equal(histNow.Add(-10*time.Minute)) {
		t.Errorf("last resolved %v %v", at, ok)
	}
	if !h.Flapping(histNow) {
		t.Error("four firings in a day is flapping")
	}
	if got := h.Line(histNow, HistoryWeek); got != "fired 7 times in 7 days, median 4m, 52m in all" {
		t.Errorf("line %q", got)
	}
	// A day later the last day holds none of them: no flapping.
	later := histNow.Add(HistoryDay)
	if h.Flapping(later) || h.Stats(later, HistoryDay).Count != 0 {
		t.Errorf("a day later: %+v", h.Stats(later, HistoryDay))
	}
	if got := h.Line(later, HistoryDay); got != "did not fire in 24 h" {
		t.Errorf("quiet line %q", got)
	}
	// A firing that straddles the span counts, for its part within it.
	long := DeriveHistory([]AlertEdge{edge(a, 25*time.Hour, EdgeStart), edge(a, 23*time.Hour, EdgeEnd)}, histNow.Add(-HistoryWeek), histNow, time.Minute).Names["A"]
	if st := long.Stats(histNow, HistoryDay); st.Count != 1 || st.Total != time.Hour || st.Median != 2*time.Hour {
		t.Errorf("straddling: %+v", st)
	}
	if got := long.Line(histNow, HistoryDay); got != "fired once in 24 h, for 2h" {
		t.Errorf("once: %q", got)
	}
	// Still firing: never resolved within the history.
	open := DeriveHistory([]AlertEdge{edge(a, 0, EdgeNow)}, histNow.Add(-HistoryWeek), histNow, time.Minute).Names["A"]
	if _, ok := open.LastResolved(); ok {
		t.Error("an alert firing all along resolved")
	}
}

func TestHistoryDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "<1s", 42 * time.Second: "42s", 4 * time.Minute: "4m", 4*time.Minute + 5*time.Second: "4m5s",
		70 * time.Minute: "1h10m", 2 * time.Hour: "2h", 51 * time.Hour: "2d3h", 48 * time.Hour: "2d"} {
		if got := HistoryDuration(d); got != want {
			t.Errorf("%v: %q, want %q", d, got, want)
		}
	}
}

// TestDeriveHistoryIgnoresEdgesOutside: an end before the history began
// (a server's answer out of its span; found by FuzzEdges) is left out, not
// a firing that ends before it starts.
func TestDeriveHistoryIgnoresEdgesOutside(t *testing.T) {
	a := map[string]string{"alertname": "A"}
	h := DeriveHistory([]AlertEdge{edge(a, 9*24*time.Hour, EdgeEnd), edge(a, -time.Hour, EdgeStart), edge(a, 10*time.Minute, EdgeStart),
		edge(a, 5*time.Minute, EdgeEnd)}, histNow.Add(-HistoryWeek), histNow, time.Minute)
	if got := firingsText(h.Names["A"].Firings); got != "10m0s..5m0s" {
		t.Errorf("firings %q", got)
	}
}

// TestSeriesKeyIsSafeText: a series' key is printable text whatever its
// labels hold, so that making the history safe for the terminal leaves
// the keys it is looked up by as they are; distinct labels, distinct keys.
func TestSeriesKeyIsSafeText(t *testing.T) {
	seen := map[string]bool{}
	for _, l := range []map[string]string{
		{"alertname": "A", "v": "a\x00b"}, {"alertname": "A", "v": "a\x1b[31m"}, {"alertname": "A", "v": "\u202e\uFFFD"},
		{"alertname": "A", "v": `x",w="y`}, {"alertname": "A", "v": "x", "w": "y"}, {"alertname": "A"},
	} {
		k := SeriesKey(l)
		for _, r := range k {
			if r < 0x20 || r == 0x7f || r == '\uFFFD' || r == '\u202e' {
				t.Errorf("key of %q holds %U: %q", l, r, k)
			}
		}
		if seen[k] {
			t.Errorf("two label sets share the key %q", k)
		}
		seen[k] = true
	}
}
