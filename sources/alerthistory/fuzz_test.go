package alerthistory

import (
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/prometheus"
)

// FuzzEdges: whatever a server answers the history's query with (labels,
// edge times that are not numbers, out of order, negative, repeated), the
// answer is refused or read into firings that each start no later than
// they end, sorted, within the history, counted no more than they are.
func FuzzEdges(f *testing.F) {
	f.Add("A", "1764513000", "-1764513060", 1764513120.0)
	f.Add("B\x1b[31m", "NaN", "", 0.0)
	f.Add("", "1e300", "-0", -5.0)
	f.Add("C", "+Inf", "1764513000.5", 1764513000.0)
	now := time.Unix(1764513300, 0)
	f.Fuzz(func(t *testing.T, name, at1, at2 string, nowValue float64) {
		var samples []prometheus.Sample
		for i, at := range []string{at1, at2, at1} {
			l := map[string]string{"alertname": name, "instance": strings.Repeat("x", i)}
			if at != "" {
				l[atLabel] = at
			}
			samples = append(samples, prometheus.Sample{Labels: l, Value: nowValue})
		}
		edges, err := Edges(samples)
		if err != nil {
			return
		}
		h := sources.DeriveHistory(edges, now.Add(-sources.HistoryWeek), now, time.Minute)
		for _, ah := range h.Series {
			for i, fr := range ah.Firings {
				if fr.End.Before(fr.Start) {
					t.Errorf("a firing ends before it starts: %+v", fr)
				}
				if i > 0 && fr.Start.Before(ah.Firings[i-1].Start) {
					t.Errorf("firings out of order: %+v", ah.Firings)
				}
			}
			if st := ah.Stats(now, sources.HistoryWeek); st.Count > len(ah.Firings) || st.Total < 0 || st.Median < 0 {
				t.Errorf("stats %+v of %+v", st, ah.Firings)
			}
		}
	})
}
