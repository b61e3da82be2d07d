package logsview

import (
	"fmt"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/sources"
)

// BenchmarkFollowRead is what a following view does with one read of a
// flood: Limit lines kept (made safe, cut, deduplicated) into a full ring.
func BenchmarkFollowRead(b *testing.B) {
	r := newRig(&testing.T{}, &fakeLogs{}, Jump{Follow: true})
	batch := func(from int) []entry {
		out := make([]entry, Limit)
		for i := range out {
			out[i] = entryOf(sources.LogLine{Time: t0.Add(time.Duration(from+i) * time.Millisecond), Level: "info",
				Message: fmt.Sprintf("GET /api/chat 200 in %d ms", i), TraceID: "4bf92f3577b34da6a3ce929d0e0e4736",
				Fields: map[string]string{"http.route": "/api/chat", "logger": "uvicorn.access"}})
		}
		return out
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r.m.keep(batch(i*Limit), false, true)
	}
}

// BenchmarkView is one frame of the view over a full ring, a filter's
// terms highlighted.
func BenchmarkView(b *testing.B) {
	r := newRig(&testing.T{}, &fakeLogs{}, Jump{Follow: true})
	r.m.filter = "chat"
	for i := range MaxLines {
		r.m.push(entryOf(sources.LogLine{Time: t0.Add(time.Duration(i) * time.Millisecond), Level: []string{"info", "error", "warn"}[i%3],
			Message: fmt.Sprintf("POST /api/chat 500: pool timeout after %d ms", i)}))
	}
	r.m.st.has = true
	b.ReportAllocs()
	for b.Loop() {
		r.m.View(r.st)
	}
}
