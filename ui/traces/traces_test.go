package traces

import (
	"slices"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
)

// TestFields: an exemplar's row: time, value in the signal's unit (a
// failure says so), method and route, status, trace id, other labels; a
// hostile label cannot break the row.
func TestFields(t *testing.T) {
	at := time.Date(2026, 11, 30, 14, 2, 3, 0, time.UTC)
	e := sources.Exemplar{At: at, Value: 2.5, TraceID: "4bf92f3577b34da6a3ce929d0e0e4736",
		Labels: map[string]string{"handler": "/api/chat", "method": "POST", "status": "5xx", "instance": "api-1:8000", "zone": "b", "pod": "x\ny"}}
	got := Fields(e, units.Seconds, sources.P95Latency)
	want := []string{"14:02:03", "2.50 s", "POST /api/chat", "5xx", "4bf92f3577b34da6a3ce929d0e0e4736", "pod=x y zone=b"}
	if !slices.Equal(got, want) {
		t.Errorf("fields %q, want %q", got, want)
	}
	if f := Fields(e, units.Ratio, sources.ErrorRate); f[1] != "failed" {
		t.Errorf("a failure's value: %q", f[1])
	}
	if f := Fields(sources.Exemplar{At: at, Value: 1}, units.Seconds, sources.P95Latency); f[4] != "(no trace id)" {
		t.Errorf("no trace id: %q", f[4])
	}
}
